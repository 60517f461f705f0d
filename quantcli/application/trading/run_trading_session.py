"""Use case: run the trading loop (signals → sizing → risk → orders → fills → ledger) bar by bar.

Paper and live differ only in the injected broker, bar feed and clock; this loop is the same.
Per bar: the exchange calendar must know the bar's day as a session (else the bar is rejected
by name); the broker sees the bar and its fills land; the kill switch is consulted (and its
automatic triggers checked); then, unless it is tripped, signals are sized into orders (shaped
by the order template: market, or a limit off the last close) that pass the pre-trade check
before they are saved and sent. The bar ends with one ledger commit of the portfolio snapshot
and the equity point, which is also the checkpoint a restart resumes after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

import attrs

from quantcli.application.common.ports import TradingCalendar
from quantcli.application.marketdata.ports import BarReplay
from quantcli.application.risk.kill_switch import KillSwitch
from quantcli.application.strategy.order_sizing import SignalSizer, SizingPolicy
from quantcli.application.trading.execution_engine import AppliedEvents, ExecutionEngine
from quantcli.application.trading.ports import Broker, Ledger
from quantcli.application.trading.reconcile_positions import RecoveryReport, recover_orders
from quantcli.domain.bar import Bar
from quantcli.domain.errors import BrokerError, ExecutionError
from quantcli.domain.kill_switch import KillSwitchStatus, KillTrigger
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.order_template import MARKET_DAY, OrderTemplate
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits, check_order
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    to_decimal,
)

logger = logging.getLogger("quantcli.trading")

SignalSource = Callable[[datetime], Sequence[Signal]]
BarProgress = Callable[[int], None]
FLATTEN_SUFFIX = "-FLAT"


class PreTradeCheck(Protocol):
    """The risk check every order passes before it is sent.

    The richer `RiskEngine` plugs in here: `reject_reason` returns
    `engine.check(order, portfolio, {**marks, order.symbol: price}, now).reject_reason` and
    `on_submitted` calls `engine.record_submission(now)`.
    """

    def reject_reason(
        self,
        order: Order,
        price: Decimal,
        portfolio: Portfolio,
        marks: Mapping[str, Decimal],
        now: datetime,
    ) -> str | None: ...

    def on_submitted(self, order: Order, now: datetime) -> None: ...


@attrs.frozen
class LimitsCheck:
    """PreTradeCheck by `check_order` against RiskLimits: every broken rule, `rule: reason`."""

    limits: RiskLimits

    def reject_reason(
        self,
        order: Order,
        price: Decimal,
        portfolio: Portfolio,
        marks: Mapping[str, Decimal],
        now: datetime,
    ) -> str | None:
        violations = check_order(order, price, portfolio, marks, self.limits)
        return "; ".join(f"{v.rule}: {v.reason}" for v in violations) or None

    def on_submitted(self, order: Order, now: datetime) -> None:
        return None


@attrs.frozen
class SessionSummary:
    """What a session did. `orders_submitted` counts every order sent, a kill switch's
    flatten orders included; `flatten_orders` says how many of them those were."""

    account: str
    bars_processed: int
    orders_submitted: int
    orders_rejected: int
    fills: int
    open_orders: int
    final_equity: Decimal
    portfolio: Portfolio
    marks: Mapping[str, Decimal]
    bars_rejected: tuple[str, ...] = ()
    bars_skipped: int = 0  # finished before a restart: seen for marks only
    signals_blocked: int = 0
    flatten_orders: int = 0
    kill_switch: KillSwitchStatus | None = None


def client_order_id(account: str, symbol: str, decided_at: datetime) -> str:
    """Deterministic per account, symbol and decision bar: a rerun never duplicates an order."""
    return f"{account}-{symbol}-{decided_at:%Y%m%dT%H%M%S}"


def is_flatten_order(order: Order) -> bool:
    return order.client_order_id.endswith(FLATTEN_SUFFIX)


@attrs.define
class TradingSession:
    """One account trading through one broker, recording everything in the ledger."""

    account: str
    broker: Broker
    ledger: Ledger
    limits: RiskLimits
    signal_source: SignalSource
    portfolio: Portfolio
    rebalance_band: float = 0.0
    sizing: SizingPolicy | None = None  # None: the signal's weight, with rebalance_band
    risk_check: PreTradeCheck | None = None  # None: LimitsCheck(limits)
    calendar: TradingCalendar | None = None  # None: every bar is a session
    kill_switch: KillSwitch | None = None
    order_template: OrderTemplate | None = None  # None: MARKET DAY
    equity_history: list[EquityPoint] = attrs.Factory(list)
    orders: dict[str, Order] = attrs.Factory(dict)
    marks: dict[str, Decimal] = attrs.Factory(dict)
    counts: dict[str, int] = attrs.Factory(
        lambda: dict.fromkeys(
            ("bars", "submitted", "rejected", "fills", "skipped", "blocked", "flatten"), 0
        )
    )
    rejected_bars: list[str] = attrs.Factory(list)
    engine: ExecutionEngine = attrs.field(init=False)
    sizer: SignalSizer = attrs.field(init=False)
    _check: PreTradeCheck = attrs.field(init=False)
    _last_session: date | None = attrs.field(default=None, init=False)
    _last_bar_at: datetime | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self.engine = ExecutionEngine(
            self.account, self.broker, self.ledger, self.portfolio, self.orders
        )
        self.sizer = SignalSizer(self.sizing or SizingPolicy(rebalance_band=self.rebalance_band))
        self._check = self.risk_check or LimitsCheck(self.limits)

    @property
    def actor(self) -> str:
        return f"session:{self.account}"

    # -- start and loop ----------------------------------------------------------------------

    def recover(self, resume_from: datetime | None, *, resubmit: bool = True) -> RecoveryReport:
        """Settle the orders a previous run left open with the broker (see reconcile_positions)."""
        if self.kill_switch is not None:
            status = self.kill_switch.status()
            if status.trip is not None:
                self.engine.blocked_reason = f"kill switch tripped: {status.trip.reason}"
        report = recover_orders(self.engine, resume_from, resubmit=resubmit)
        self.counts["fills"] += report.fills_recovered
        return report

    def run(
        self,
        replay: BarReplay,
        on_bar: BarProgress | None = None,
        resume_after: datetime | None = None,
    ) -> SessionSummary:
        """Trade every slice after `resume_after`; earlier ones only warm up marks and sizing."""
        seen = False
        for timestamp, bars in replay:
            seen = True
            if resume_after is not None and timestamp <= resume_after:
                self.warm_up(timestamp, bars)
                continue
            self.on_bars(timestamp, bars)
            if on_bar is not None:
                on_bar(self.counts["bars"])
        if not seen:
            raise ExecutionError(f"account {self.account}: the bar feed is empty")
        return self.summary()

    def seed(self, history: BarReplay) -> None:
        """Before a live start: marks and sizing history from stored bars, so the first live bar
        sizes (volatility target) and values held positions as a replay would. Calendar and
        kill switch state start with the first live bar."""
        for _timestamp, bars in history:
            for symbol, bar in bars.items():
                self.marks[symbol] = to_decimal(bar.close, f"{symbol} close")
            self.sizer.observe(bars)

    def seed_marks(self, closes: Mapping[str, Decimal]) -> None:
        """Marks from stored closes before the first bar replayed, so a held symbol without a
        bar in the first slices is valued at its last close rather than not at all."""
        for symbol, close in closes.items():
            self.marks.setdefault(symbol, close)

    def warm_up(self, timestamp: datetime, bars: Mapping[str, Bar]) -> None:
        """A bar finished before a restart: marks, sizing history and calendar position only."""
        day = self._session_day(timestamp)
        if day is not None and self.calendar is not None and not self.calendar.is_session(day):
            return
        self._observe(timestamp, bars, day)
        self.counts["skipped"] += 1

    def on_bars(self, timestamp: datetime, bars: Mapping[str, Bar]) -> None:
        """One step: the broker sees the bar, fills land, the kill switch decides, orders go."""
        day = self._session_day(timestamp)
        if day is not None and self.calendar is not None and not self.calendar.is_session(day):
            self._reject_bar(timestamp, day)
            return
        missing = 0
        if day is not None and self._last_session is not None and self.calendar is not None:
            missing = self.calendar.sessions_between(self._last_session, day)
        self.broker.on_market_data(bars)
        self._book(self.engine.process_broker_events(), timestamp)
        self._observe(timestamp, bars, day)
        point = EquityPoint(timestamp, self.portfolio.equity(self.marks))
        self.equity_history.append(point)
        status = self._consult_kill_switch(timestamp, missing_sessions=missing)
        signals = self.signal_source(timestamp)
        if status is not None and status.tripped:
            self.counts["blocked"] += len(signals)
        else:
            for signal in signals:
                self.act_on(signal, timestamp)
        with self.ledger.atomic():
            self.ledger.save_portfolio(self.account, self.portfolio, timestamp)
            self.ledger.save_equity(self.account, point)
        self.counts["bars"] += 1

    def heartbeat(self, now: datetime, last_data_at: datetime | None = None) -> None:
        """Between bars (live): book broker events, check disconnection and staleness.

        Fills booked here also refresh the ledger's portfolio snapshot (what `quantcli
        positions` reads), still stamped with the last finished bar: that stamp is the
        checkpoint a restart resumes after, and the fills belong to that bar's decisions.
        `last_data_at` is when the feed last spoke (default: the last bar), for staleness.
        """
        applied = self.engine.process_broker_events()
        self._book(applied, now)
        if applied.fills and self._last_bar_at is not None:
            with self.ledger.atomic():
                self.ledger.save_portfolio(self.account, self.portfolio, self._last_bar_at)
        self._consult_kill_switch(now, last_data_at=last_data_at or self._last_bar_at)

    # -- signals to orders -------------------------------------------------------------------

    def act_on(self, signal: Signal, timestamp: datetime) -> Order | None:
        """Size the signal, check the order, save it, send it; None when nothing is to trade."""
        if signal.symbol not in self.marks:
            return None
        order_id = client_order_id(self.account, signal.symbol, timestamp)
        if self.engine.order(order_id) or self.ledger.order(order_id) is not None:
            return None  # decided before a restart; recovery settled it
        price = self.marks[signal.symbol]
        equity = self.portfolio.equity(self.marks)
        # Shares still working at the broker count as held, or a late fill would be ordered twice.
        held = self.portfolio.quantity(signal.symbol) + self.engine.working_quantity(signal.symbol)
        delta = self.sizer.order_quantity(signal, held, equity, price)
        if delta == 0:
            return None
        order = (self.order_template or MARKET_DAY).build(
            client_order_id=order_id,
            symbol=signal.symbol,
            side=OrderSide.for_quantity_change(delta),
            quantity=abs(delta),
            last_price=price,
            created_at=timestamp,
            account=self.account,
        )
        reason = self._check.reject_reason(order, price, self.portfolio, self.marks, timestamp)
        if reason is not None:
            self.engine.record_rejection(order, reason, timestamp)
            self._note_reject(timestamp)
            return order
        self.engine.place(order, timestamp)
        if order.status is OrderStatus.REJECTED:
            self._note_reject(timestamp)
        else:
            self.counts["submitted"] += 1
            self._check.on_submitted(order, timestamp)
        return order

    # -- kill switch -------------------------------------------------------------------------

    def trip(
        self, trigger: KillTrigger, reason: str, at: datetime, *, flatten: bool = False
    ) -> None:
        """Trip the switch from inside (a drift monitor, an embedding service) and act on it."""
        if self.kill_switch is None:
            raise ExecutionError(f"account {self.account}: this session has no kill switch")
        self.kill_switch.trip(
            trigger, reason, at, actor=self.actor, account=self.account, flatten=flatten
        )
        self._enforce(self.kill_switch.status(), at)

    def _consult_kill_switch(
        self, now: datetime, *, missing_sessions: int = 0, last_data_at: datetime | None = None
    ) -> KillSwitchStatus | None:
        if self.kill_switch is None:
            return None
        status = self.kill_switch.status()
        if not status.tripped:
            signal = self.kill_switch.check(
                now,
                equity_history=self.equity_history,
                broker_connected=self.broker.is_connected(),
                last_data_at=last_data_at,
                missing_sessions=missing_sessions,
            )
            if signal is not None:
                trigger, reason = signal
                self.kill_switch.trip(trigger, reason, now, actor=self.actor, account=self.account)
                status = self.kill_switch.status()
        if status.tripped:
            self._enforce(status, now)
        else:
            self.engine.blocked_reason = None
        return status

    def _enforce(self, status: KillSwitchStatus, at: datetime) -> None:
        """A tripped switch: block new orders, cancel working ones, flatten if asked."""
        assert status.trip is not None
        reason = f"kill switch tripped: {status.trip.reason}"
        self.engine.blocked_reason = reason
        try:
            self.engine.cancel_all(at, reason, keep=is_flatten_order)
            self._book(self.engine.process_broker_events(), at)
            if status.flatten:
                self._flatten(at)
        except BrokerError as error:
            # The switch stays tripped; cancels and flattening are retried on the next bar.
            logger.error("account %s: kill switch could not act yet: %s", self.account, error)

    def _flatten(self, at: datetime) -> None:
        for symbol, position in sorted(self.portfolio.positions.items()):
            working = sum(
                (
                    o.remaining_quantity * o.side.sign
                    for o in self.engine.open_orders()
                    if o.symbol == symbol and is_flatten_order(o)
                ),
                Decimal(0),
            )
            need = -(position.quantity + working)
            order_id = client_order_id(self.account, symbol, at) + FLATTEN_SUFFIX
            if need == 0 or self.engine.order(order_id) or self.ledger.order(order_id):
                continue
            # Whatever the order template: a flatten order reduces risk and must get out.
            order = Order(
                client_order_id=order_id,
                symbol=symbol,
                side=OrderSide.for_quantity_change(need),
                quantity=abs(need),
                created_at=at,
                order_type=OrderType.MARKET,
                time_in_force=TimeInForce.DAY,
                account=self.account,
            )
            self.engine.place(order, at, risk_reducing=True)
            self.counts["flatten"] += 1
            if order.status is not OrderStatus.REJECTED:
                self.counts["submitted"] += 1

    # -- bookkeeping -------------------------------------------------------------------------

    def _book(self, applied: AppliedEvents, at: datetime) -> None:
        self.counts["fills"] += len(applied.fills)
        for _order in applied.rejected:
            self._note_reject(at)

    def _note_reject(self, at: datetime) -> None:
        self.counts["rejected"] += 1
        if self.kill_switch is not None:
            self.kill_switch.record_reject(at)

    def _session_day(self, timestamp: datetime) -> date | None:
        return None if self.calendar is None else self.calendar.session_of(timestamp)

    def _reject_bar(self, timestamp: datetime, day: date) -> None:
        assert self.calendar is not None
        reason = (
            f"bar at {timestamp.isoformat()} rejected: {day} is not a {self.calendar.name} "
            f"session ({self.calendar.closed_reason(day)})"
        )
        self.rejected_bars.append(reason)

    def _observe(self, timestamp: datetime, bars: Mapping[str, Bar], day: date | None) -> None:
        for symbol, bar in bars.items():
            self.marks[symbol] = to_decimal(bar.close, f"{symbol} close")
        self.sizer.observe(bars)
        self._last_session = day if day is not None else self._last_session
        self._last_bar_at = timestamp

    def summary(self) -> SessionSummary:
        counts = self.counts
        return SessionSummary(
            account=self.account,
            bars_processed=counts["bars"],
            orders_submitted=counts["submitted"],
            orders_rejected=counts["rejected"],
            fills=counts["fills"],
            open_orders=len(self.engine.orders),
            final_equity=self.portfolio.equity(self.marks),
            portfolio=self.portfolio,
            marks=dict(self.marks),
            bars_rejected=tuple(self.rejected_bars),
            bars_skipped=counts["skipped"],
            signals_blocked=counts["blocked"],
            flatten_orders=counts["flatten"],
            kill_switch=None if self.kill_switch is None else self.kill_switch.status(),
        )
