"""A broker that fills orders against bars: the same Broker port for backtests and paper trading.

Its fill model is the backtest simulator's (`quantcli.kernels.simulate_portfolio`, whose Rust
code mirrors these rules in float64), so the same orders on the same bars fill alike in both.
Matching rules, per working order and bar, in submission order:

- An order works from the first `on_market_data` call after it was submitted, never on a bar
  that was already known when it was sent (no same-bar look-ahead). A slice no later than the
  last one matched is ignored, so a session redoing a bar after a restart cannot match twice.
- MARKET fills at the open, moved against the trader by slippage and temporary impact.
- LIMIT fills at the open when the open is at or better than the limit, else at the limit when
  the bar trades through it; no slippage (a limit order gets its price or better).
- STOP triggers at the open when the bar gaps through the stop, else at the stop when the bar
  reaches it, and fills at the trigger price plus slippage and impact.
- STOP_LIMIT triggers like STOP. If the trigger price satisfies the limit it fills there;
  otherwise it stays working as a LIMIT order from the next bar on.
- `participation_rate` caps the shares one symbol trades per bar at floor(rate × volume), shared
  by its orders in submission order: the rest of an order is a partial fill that keeps working
  as its time in force allows.
- DAY and IOC orders are cancelled if they are still open after the first bar they were matched
  against (one bar stands for one session); GTC orders keep working.

Costs are the domain's Decimal cost models (`quantcli.domain.cost_models`), the ones the kernel
mirrors: commission min(max(rate × Q, minimum), maximum_fraction × notional) + bps × notional
with monthly volume tiers (the month is the bar's UTC month), slippage fixed + half spread +
volume_k × Q/V, temporary impact eta × Q/V. Square-root and permanent impact, borrow fees and
margin are backtest-only: the broker refuses an impact model that sets them.

With a `journal` every state change is written through to its own SQLite file, so a restarted
process finds every order it was ever sent (`lookup_order`) — what crash recovery relies on.
Fill prices are exact decimals and are not rounded to a tick. A request the broker cannot
honour (an order that is not NEW, a reused client order id) raises BrokerError at the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.adapters.brokers.simulated_journal import (
    BookEntry,
    BrokerClock,
    SimulatedBrokerJournal,
)
from quantcli.adapters.brokers.simulated_matching import (
    BarPrices,
    limit_fill_price,
    satisfies_limit,
    stop_trigger_price,
)
from quantcli.application.trading.ports import (
    BrokerEvent,
    BrokerOrderState,
    OrderAmended,
    OrderCancelled,
)
from quantcli.domain.bar import Bar
from quantcli.domain.cost_models import (
    MarketImpact,
    PerShareCommission,
    SlippageCosts,
    adjusted_fill_price,
    participation,
    participation_capacity,
)
from quantcli.domain.costs import BPS, CommissionSchedule, SlippageModel
from quantcli.domain.errors import BrokerError, DataError, ExecutionError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderStatus, OrderType, TimeInForce

# Kept under their old names: tests and subclasses hook `_fillable_quantity` with them.
_BarPrices = BarPrices
_WorkingOrder = BookEntry

_SINGLE_BAR_TIME_IN_FORCE = frozenset({TimeInForce.DAY, TimeInForce.IOC})
ZERO = Decimal(0)


def _commission_model(commission: CommissionSchedule | PerShareCommission) -> PerShareCommission:
    if isinstance(commission, PerShareCommission):
        return commission
    return PerShareCommission(
        per_share=commission.per_share, minimum=commission.minimum, bps=commission.bps
    )


def _slippage_model(slippage: SlippageModel | SlippageCosts) -> SlippageCosts:
    if isinstance(slippage, SlippageCosts):
        model = slippage
    else:
        if slippage.bps >= BPS:
            raise ValidationError(f"slippage bps {slippage.bps} must be below {BPS}")
        model = SlippageCosts(fixed_bps=slippage.bps)
    if model.fixed_bps + model.spread_bps / 2 >= BPS:
        # 100% slippage or more would push a sell's fill price to zero or below.
        raise ValidationError(
            f"slippage bps {model.fixed_bps} + half spread {model.spread_bps / 2} must be "
            f"below {BPS}"
        )
    return model


class SimulatedBroker:
    """Fills orders against the bars it is given, charging the domain's cost models."""

    def __init__(
        self,
        commission: CommissionSchedule | PerShareCommission,
        slippage: SlippageModel | SlippageCosts,
        *,
        impact: MarketImpact | None = None,
        participation_rate: Decimal | None = None,
        journal: SimulatedBrokerJournal | None = None,
        supports_modify: bool = True,
    ) -> None:
        self._commission = _commission_model(commission)
        self._slippage = _slippage_model(slippage)
        self._impact = impact or MarketImpact()
        if self._impact.square_root_y or self._impact.permanent_gamma:
            raise ValidationError(
                "the simulated broker models temporary impact only; square-root and permanent "
                "impact are backtest-only (set them to 0 for paper trading)"
            )
        if participation_rate is not None and not 0 < participation_rate <= 1:
            raise ValidationError(f"participation rate {participation_rate} is not in (0, 1]")
        self._participation_rate = participation_rate
        self._supports_modify = supports_modify
        self._journal = journal
        self._working: dict[str, BookEntry] = {}
        self._finished: dict[str, Order] = {}
        self._fills: dict[str, list[Fill]] = {}
        self._events: list[BrokerEvent] = []
        self._next_sequence = 1
        self._clock = BrokerClock()
        self.connected = True
        if journal is not None:
            self._restore(journal)

    def _restore(self, journal: SimulatedBrokerJournal) -> None:
        state = journal.load()
        for entry in state.entries:
            if entry.order.status.is_open:
                self._working[entry.order.client_order_id] = entry
            else:
                self._finished[entry.order.client_order_id] = entry.order
            self._next_sequence = max(self._next_sequence, entry.sequence + 1)
        for fill in state.fills:
            self._fills.setdefault(fill.client_order_id, []).append(fill)
        self._clock = state.clock

    # -- the Broker port ---------------------------------------------------------------------

    @property
    def supports_modify(self) -> bool:
        return self._supports_modify

    def is_connected(self) -> bool:
        return self.connected

    def submit_order(self, order: Order) -> str:
        """Accept a NEW order; it works from the next `on_market_data` call. Returns "SIM-<n>"."""
        self._require_connection()
        if order.status is not OrderStatus.NEW:
            raise BrokerError(
                f"order {order.client_order_id}: only NEW orders can be submitted, "
                f"this one is {order.status.value}"
            )
        known = order.client_order_id in self._working or order.client_order_id in self._finished
        if known:
            raise BrokerError(
                f"order {order.client_order_id}: client order id already submitted; "
                "a resubmission would duplicate the order"
            )
        broker_order_id = f"SIM-{self._next_sequence}"
        working = attrs.evolve(order)
        working.submit(broker_order_id=broker_order_id)
        entry = BookEntry(working, sequence=self._next_sequence)
        self._save([entry])
        self._next_sequence += 1
        self._working[order.client_order_id] = entry
        return broker_order_id

    def cancel_order(self, client_order_id: str) -> None:
        """Cancel a working order; an unknown or finished order is a BrokerError."""
        self._require_connection()
        working = self._working_entry(client_order_id, "cancel")
        self._cancel(working, "cancelled by request", self._now(working))
        self._save([working])

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Change a working order in place; it keeps its place in the queue and its fills."""
        self._require_connection()
        if not self._supports_modify:
            raise BrokerError(f"cannot modify order {client_order_id}: modify is switched off")
        working = self._working_entry(client_order_id, "modify")
        at = self._now(working)
        amended = attrs.evolve(working.order)
        try:
            amended.amend(at, quantity, limit_price, stop_price)
        except ExecutionError as error:
            raise BrokerError(f"cannot modify order {client_order_id}: {error}") from error
        working.order = amended
        self._events.append(OrderAmended(client_order_id, at, quantity, limit_price, stop_price))
        self._save([working])

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        """The broker's copy of the order and its fills; None if it was never submitted."""
        self._require_connection()
        working = self._working.get(client_order_id)
        order = working.order if working is not None else self._finished.get(client_order_id)
        if order is None:
            return None
        return BrokerOrderState(attrs.evolve(order), tuple(self._fills.get(client_order_id, ())))

    def positions(self, account: str) -> dict[str, Decimal]:
        """Signed shares per symbol from every fill of `account`'s orders."""
        self._require_connection()
        accounts = {e.order.client_order_id: e.order.account for e in self._working.values()}
        accounts.update({i: o.account for i, o in self._finished.items()})
        held: dict[str, Decimal] = {}
        for client_order_id, fills in self._fills.items():
            if accounts.get(client_order_id) != account:
                continue
            for fill in fills:
                held[fill.symbol] = held.get(fill.symbol, ZERO) + fill.signed_quantity
        return {symbol: quantity for symbol, quantity in sorted(held.items()) if quantity != 0}

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        """Match every working order whose symbol has a bar in `bars` against that bar."""
        prices: dict[str, BarPrices] = {}
        for symbol, bar in bars.items():
            if bar.symbol != symbol:
                raise DataError(f"bars[{symbol!r}] holds a bar for {bar.symbol!r}")
            prices[symbol] = BarPrices.of(bar)
        if not prices:
            return
        latest = max(p.timestamp for p in prices.values())
        clock = self._clock
        if clock.market_time is not None and latest <= clock.market_time:
            return  # already matched: a restarted session is redoing this bar
        month = latest.year * 12 + latest.month
        monthly_volume = clock.monthly_volume if clock.month == month else ZERO
        self._clock = BrokerClock(latest, month, monthly_volume)
        traded: dict[str, Decimal] = {}
        changed: list[BookEntry] = []
        fills_before = len(self._events)
        # Orders finish while we iterate, so walk a snapshot (dicts keep submission order).
        for working in list(self._working.values()):
            bar_prices = prices.get(working.order.symbol)
            if bar_prices is not None:
                self._match(working, bar_prices, traded)
                changed.append(working)
        new_fills = [e for e in self._events[fills_before:] if isinstance(e, Fill)]
        self._save(changed, new_fills, self._clock)

    def drain_events(self) -> list[BrokerEvent]:
        """Fills, cancellations and amendments since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def open_orders(self) -> list[Order]:
        """Copies of the working orders in submission order."""
        return [attrs.evolve(working.order) for working in self._working.values()]

    # -- matching ----------------------------------------------------------------------------

    def _match(self, working: BookEntry, bar: BarPrices, traded: dict[str, Decimal]) -> None:
        working.bars_matched += 1
        reference = self._rule_price(working, bar)
        if reference is not None:
            price, adjusted = reference
            quantity = self._fillable_quantity(working, bar)
            symbol = working.order.symbol
            capacity = participation_capacity(self._participation_rate, bar.volume)
            if capacity is not None:
                quantity = min(quantity, max(capacity - traded.get(symbol, ZERO), ZERO))
            if quantity > 0:
                if adjusted:
                    price = self._adjusted(price, working, quantity, bar)
                self._fill(working, quantity, price, bar.timestamp)
                traded[symbol] = traded.get(symbol, ZERO) + quantity
        order = working.order
        expires = order.time_in_force in _SINGLE_BAR_TIME_IN_FORCE and working.bars_matched == 1
        if expires and order.status.is_open:
            self._cancel(working, _expiry_reason(order), bar.timestamp)

    def _rule_price(self, working: BookEntry, bar: BarPrices) -> tuple[Decimal, bool] | None:
        """(price, moved by slippage?) this bar fills the order at, or None; may trigger stops."""
        order = working.order
        side = order.side
        if order.order_type is OrderType.MARKET:
            return bar.open, True
        if order.order_type is OrderType.LIMIT or working.stop_triggered:
            assert order.limit_price is not None  # Order validates prices per type
            limit = limit_fill_price(side, order.limit_price, bar)
            return None if limit is None else (limit, False)
        assert order.stop_price is not None
        trigger = stop_trigger_price(side, order.stop_price, bar)
        if trigger is None:
            return None
        if order.order_type is OrderType.STOP:
            return trigger, True
        assert order.limit_price is not None
        working.stop_triggered = True
        return (trigger, False) if satisfies_limit(side, trigger, order.limit_price) else None

    def _adjusted(
        self, reference: Decimal, working: BookEntry, quantity: Decimal, bar: BarPrices
    ) -> Decimal:
        share = participation(quantity, bar.volume)
        fraction = self._slippage.fraction(share) + self._impact.temporary_fraction(share, ZERO)
        price = adjusted_fill_price(reference, working.order.side, fraction)
        if price <= 0:
            raise BrokerError(
                f"order {working.order.client_order_id}: slippage and impact of {fraction} "
                f"leave no positive fill price at {bar.timestamp.isoformat()}"
            )
        return price

    def _fillable_quantity(self, working: BookEntry, bar: BarPrices) -> Decimal:
        """How much of the order this bar could fill before the participation cap."""
        return working.order.remaining_quantity

    def _fill(self, working: BookEntry, quantity: Decimal, price: Decimal, at: datetime) -> None:
        order = working.order
        working.fills += 1
        commission = self._commission.commission(quantity, price, self._clock.monthly_volume)
        self._clock = attrs.evolve(
            self._clock, monthly_volume=self._clock.monthly_volume + quantity
        )
        fill = Fill(
            fill_id=f"{order.client_order_id}-F{working.fills}",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            commission=commission,
            timestamp=at,
        )
        order.apply_fill(fill)
        self._fills.setdefault(order.client_order_id, []).append(fill)
        self._events.append(fill)
        if order.status is OrderStatus.FILLED:
            self._finish(working)

    def _cancel(self, working: BookEntry, reason: str, at: datetime) -> None:
        working.order.cancel(at, reason)
        self._events.append(OrderCancelled(working.order.client_order_id, reason, at))
        self._finish(working)

    def _finish(self, working: BookEntry) -> None:
        client_order_id = working.order.client_order_id
        del self._working[client_order_id]
        self._finished[client_order_id] = working.order

    # -- helpers -----------------------------------------------------------------------------

    def _working_entry(self, client_order_id: str, action: str) -> BookEntry:
        working = self._working.get(client_order_id)
        if working is None:
            finished = self._finished.get(client_order_id)
            state = "is unknown" if finished is None else f"is already {finished.status.value}"
            raise BrokerError(f"cannot {action} order {client_order_id}: it {state}")
        return working

    def _now(self, working: BookEntry) -> datetime:
        # The broker has no clock of its own: "now" is the latest bar it has seen, and never
        # earlier than the order itself.
        at = working.order.created_at
        if self._clock.market_time is not None:
            at = max(at, self._clock.market_time)
        return at

    def _require_connection(self) -> None:
        if not self.connected:
            raise BrokerError("simulated broker: disconnected")

    def _save(
        self,
        entries: list[BookEntry],
        fills: list[Fill] | None = None,
        clock: BrokerClock | None = None,
    ) -> None:
        if self._journal is not None:
            self._journal.save(entries, fills or (), clock)


def _expiry_reason(order: Order) -> str:
    tif = order.time_in_force.value
    if order.filled_quantity == 0:
        return f"{tif} order expired unfilled"
    return f"{tif} order expired with {order.remaining_quantity} of {order.quantity} unfilled"
