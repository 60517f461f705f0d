"""A broker that fills orders against bars: the same Broker port for backtests and paper trading.

Matching rules, per working order and bar, in submission order:

- An order works from the first `on_market_data` call after it was submitted, never on a bar
  that was already known when it was sent (no same-bar look-ahead).
- MARKET fills at the open, moved against the trader by the slippage model.
- LIMIT fills at the open when the open is at or better than the limit, else at the limit when
  the bar trades through it; no slippage (a limit order gets its price or better).
- STOP triggers at the open when the bar gaps through the stop, else at the stop when the bar
  reaches it, and fills at the trigger price plus slippage.
- STOP_LIMIT triggers like STOP. If the trigger price satisfies the limit it fills there;
  otherwise it stays working as a LIMIT order from the next bar on. The rest of the trigger bar is
  not used because a bar does not tell in which order its high and low were reached.
- DAY and IOC orders are cancelled if they are still open after the first bar they were matched
  against (one bar stands for one session); GTC orders keep working.

Fill prices are exact decimals and are not rounded to a tick. Fills are whole for now;
`_fillable_quantity` is the single place a volume (participation) cap would go. The simulated
broker never rejects an order after accepting it: a request it cannot honour (an order that is
not NEW, a reused client order id) raises BrokerError at the call instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.application.ports.trading import BrokerEvent, OrderCancelled
from quantcli.domain.bar import Bar
from quantcli.domain.costs import BPS, CommissionSchedule, SlippageModel
from quantcli.domain.errors import BrokerError, DataError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    to_decimal,
)

_SINGLE_BAR_TIME_IN_FORCE = frozenset({TimeInForce.DAY, TimeInForce.IOC})


@attrs.frozen
class _BarPrices:
    """A bar's prices as exact decimals, converted once per bar."""

    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal

    @classmethod
    def of(cls, bar: Bar) -> _BarPrices:
        what = f"bar {bar.symbol} {bar.timestamp.isoformat()}"
        return cls(
            timestamp=bar.timestamp,
            open=to_decimal(bar.open, f"{what} open"),
            high=to_decimal(bar.high, f"{what} high"),
            low=to_decimal(bar.low, f"{what} low"),
        )


@attrs.define
class _WorkingOrder:
    """The broker's own copy of an order plus the matching state the Order type does not carry."""

    order: Order
    bars_matched: int = 0
    fills: int = 0
    # A triggered STOP_LIMIT is matched as a LIMIT order from then on.
    stop_triggered: bool = False


def _limit_fill_price(side: OrderSide, limit: Decimal, bar: _BarPrices) -> Decimal | None:
    """Where a limit order fills on this bar: the open if it is at or better, else the limit."""
    if side is OrderSide.BUY:
        if bar.open <= limit:
            return bar.open
        return limit if bar.low <= limit else None
    if bar.open >= limit:
        return bar.open
    return limit if bar.high >= limit else None


def _stop_trigger_price(side: OrderSide, stop: Decimal, bar: _BarPrices) -> Decimal | None:
    """Where a stop triggers on this bar: the open if the bar gaps through it, else the stop."""
    if side is OrderSide.BUY:
        if bar.open >= stop:
            return bar.open
        return stop if bar.high >= stop else None
    if bar.open <= stop:
        return bar.open
    return stop if bar.low <= stop else None


def _satisfies_limit(side: OrderSide, price: Decimal, limit: Decimal) -> bool:
    return price <= limit if side is OrderSide.BUY else price >= limit


class SimulatedBroker:
    """Fills orders against the bars it is given, charging the domain's commission and slippage."""

    def __init__(self, commission: CommissionSchedule, slippage: SlippageModel) -> None:
        if slippage.bps >= BPS:
            # 100% slippage or more would push a sell's fill price to zero or below.
            raise ValidationError(f"slippage bps {slippage.bps} must be below {BPS}")
        self._commission = commission
        self._slippage = slippage
        self._working: dict[str, _WorkingOrder] = {}
        self._finished: dict[str, OrderStatus] = {}
        self._events: list[BrokerEvent] = []
        self._next_broker_order_id = 1
        self._market_time: datetime | None = None

    def submit_order(self, order: Order) -> str:
        """Accept a NEW order; it works from the next `on_market_data` call. Returns "SIM-<n>"."""
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
        broker_order_id = f"SIM-{self._next_broker_order_id}"
        self._next_broker_order_id += 1
        working = attrs.evolve(order)
        working.submit(broker_order_id=broker_order_id)
        self._working[order.client_order_id] = _WorkingOrder(working)
        return broker_order_id

    def cancel_order(self, client_order_id: str) -> None:
        """Cancel a working order; an unknown or finished order is a BrokerError."""
        working = self._working.get(client_order_id)
        if working is None:
            finished = self._finished.get(client_order_id)
            state = "is unknown" if finished is None else f"is already {finished.value}"
            raise BrokerError(f"cannot cancel order {client_order_id}: it {state}")
        # The broker has no clock of its own: "now" is the latest bar it has seen, and never
        # earlier than the order itself.
        at = working.order.created_at
        if self._market_time is not None:
            at = max(at, self._market_time)
        self._cancel(working, "cancelled by request", at)

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        """Match every working order whose symbol has a bar in `bars` against that bar."""
        prices: dict[str, _BarPrices] = {}
        for symbol, bar in bars.items():
            if bar.symbol != symbol:
                raise DataError(f"bars[{symbol!r}] holds a bar for {bar.symbol!r}")
            prices[symbol] = _BarPrices.of(bar)
        # Orders finish while we iterate, so walk a snapshot (dicts keep submission order).
        for working in list(self._working.values()):
            bar_prices = prices.get(working.order.symbol)
            if bar_prices is not None:
                self._match(working, bar_prices)
        if prices:
            latest = max(p.timestamp for p in prices.values())
            self._market_time = max(latest, self._market_time or latest)

    def drain_events(self) -> list[BrokerEvent]:
        """Fills and cancellations since the last call, oldest first; the buffer is emptied."""
        events, self._events = self._events, []
        return events

    def open_orders(self) -> list[Order]:
        """Copies of the working orders in submission order."""
        return [attrs.evolve(working.order) for working in self._working.values()]

    def _match(self, working: _WorkingOrder, bar: _BarPrices) -> None:
        working.bars_matched += 1
        price = self._fill_price(working, bar)
        if price is not None:
            quantity = self._fillable_quantity(working, bar)
            if quantity > 0:
                self._fill(working, quantity, price, bar.timestamp)
        order = working.order
        expires = order.time_in_force in _SINGLE_BAR_TIME_IN_FORCE and working.bars_matched == 1
        if expires and order.status.is_open:
            self._cancel(working, _expiry_reason(order), bar.timestamp)

    def _fill_price(self, working: _WorkingOrder, bar: _BarPrices) -> Decimal | None:
        """The price this bar fills the order at, or None if it does not fill; may trigger stops."""
        order = working.order
        side = order.side
        if order.order_type is OrderType.MARKET:
            return self._slippage.fill_price(bar.open, side)
        if order.order_type is OrderType.LIMIT or working.stop_triggered:
            assert order.limit_price is not None  # Order validates prices per type
            return _limit_fill_price(side, order.limit_price, bar)
        assert order.stop_price is not None
        trigger = _stop_trigger_price(side, order.stop_price, bar)
        if trigger is None:
            return None
        if order.order_type is OrderType.STOP:
            return self._slippage.fill_price(trigger, side)
        assert order.limit_price is not None
        working.stop_triggered = True
        return trigger if _satisfies_limit(side, trigger, order.limit_price) else None

    def _fillable_quantity(self, working: _WorkingOrder, bar: _BarPrices) -> Decimal:
        """How much of the order this bar can fill: all of it until a participation cap exists."""
        return working.order.remaining_quantity

    def _fill(
        self, working: _WorkingOrder, quantity: Decimal, price: Decimal, at: datetime
    ) -> None:
        order = working.order
        working.fills += 1
        fill = Fill(
            fill_id=f"{order.client_order_id}-F{working.fills}",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            commission=self._commission.commission(quantity, price),
            timestamp=at,
        )
        order.apply_fill(fill)
        self._events.append(fill)
        if order.status is OrderStatus.FILLED:
            self._finish(working)

    def _cancel(self, working: _WorkingOrder, reason: str, at: datetime) -> None:
        working.order.cancel(at)
        self._events.append(OrderCancelled(working.order.client_order_id, reason, at))
        self._finish(working)

    def _finish(self, working: _WorkingOrder) -> None:
        client_order_id = working.order.client_order_id
        del self._working[client_order_id]
        self._finished[client_order_id] = working.order.status


def _expiry_reason(order: Order) -> str:
    tif = order.time_in_force.value
    if order.filled_quantity == 0:
        return f"{tif} order expired unfilled"
    return f"{tif} order expired with {order.remaining_quantity} of {order.quantity} unfilled"
