"""Use case: run the trading loop (signals → sizing → risk → orders → fills → ledger) bar by bar.

Paper and live differ only in the injected broker and bar feed; this loop is the same.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.application.ports import (
    BarReplay,
    Broker,
    BrokerEvent,
    Ledger,
    OrderCancelled,
    OrderRejected,
)
from quantcli.domain.bar import Bar
from quantcli.domain.errors import ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits, check_order
from quantcli.domain.signals import Signal
from quantcli.domain.sizing import rebalance_quantity
from quantcli.domain.trading_types import OrderSide, OrderType, TimeInForce, to_decimal

SignalSource = Callable[[datetime], Sequence[Signal]]
BarProgress = Callable[[int], None]


@attrs.frozen
class SessionSummary:
    account: str
    bars_processed: int
    orders_submitted: int
    orders_rejected: int
    fills: int
    open_orders: int
    final_equity: Decimal
    portfolio: Portfolio
    marks: Mapping[str, Decimal]


def client_order_id(account: str, symbol: str, decided_at: datetime) -> str:
    """Deterministic per account, symbol and decision bar: a rerun never duplicates an order."""
    return f"{account}-{symbol}-{decided_at:%Y%m%dT%H%M%S}"


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
    orders: dict[str, Order] = attrs.Factory(dict)
    marks: dict[str, Decimal] = attrs.Factory(dict)
    counts: dict[str, int] = attrs.Factory(
        lambda: {"bars": 0, "submitted": 0, "rejected": 0, "fills": 0}
    )

    def run(self, replay: BarReplay, on_bar: BarProgress | None = None) -> SessionSummary:
        last_time: datetime | None = None
        for timestamp, bars in replay:
            self.on_bars(timestamp, bars)
            last_time = timestamp
            if on_bar is not None:
                on_bar(self.counts["bars"])
        if last_time is None:
            raise ExecutionError(f"account {self.account}: the bar feed is empty")
        return self.summary()

    def on_bars(self, timestamp: datetime, bars: Mapping[str, Bar]) -> None:
        """One step: the broker sees the bar, fills land, then new signals become orders."""
        self.broker.on_market_data(bars)
        self._apply_events(self.broker.drain_events())
        for symbol, bar in bars.items():
            self.marks[symbol] = to_decimal(bar.close, f"{symbol} close")
        for signal in self.signal_source(timestamp):
            if signal.symbol in self.marks:
                self._act_on(signal, timestamp)
        self.ledger.save_portfolio(self.account, self.portfolio, timestamp)
        self.counts["bars"] += 1

    def _apply_events(self, events: Sequence[BrokerEvent]) -> None:
        for event in events:
            order = self.orders.get(event.client_order_id)
            if order is None:
                raise ExecutionError(
                    f"broker reported {type(event).__name__} "
                    f"for unknown order {event.client_order_id}"
                )
            # Work on copies and keep them only once the ledger committed: memory and ledger
            # must never disagree about a fill.
            order = copy.deepcopy(order)
            portfolio = copy.deepcopy(self.portfolio) if isinstance(event, Fill) else None
            with self.ledger.atomic():
                if isinstance(event, Fill):
                    order.apply_fill(event)
                    self.ledger.save_fill(event)
                elif isinstance(event, OrderCancelled):
                    order.cancel(event.timestamp)
                elif isinstance(event, OrderRejected):
                    order.reject(event.reason, event.timestamp)
                self.ledger.save_order(order)
            self.orders[order.client_order_id] = order
            if portfolio is not None and isinstance(event, Fill):
                portfolio.apply_fill(event)
                self.portfolio = portfolio
                self.counts["fills"] += 1

    def _act_on(self, signal: Signal, timestamp: datetime) -> None:
        price = self.marks[signal.symbol]
        equity = self.portfolio.equity(self.marks)
        # Shares still working at the broker count as held, or a late fill would be ordered twice.
        held = self.portfolio.quantity(signal.symbol) + self._working_quantity(signal.symbol)
        delta = rebalance_quantity(signal.target_weight, held, equity, price, self.rebalance_band)
        if delta == 0:
            return
        order = Order(
            client_order_id=client_order_id(self.account, signal.symbol, timestamp),
            symbol=signal.symbol,
            side=OrderSide.for_quantity_change(delta),
            quantity=abs(delta),
            created_at=timestamp,
            order_type=OrderType.MARKET,
            time_in_force=TimeInForce.DAY,
        )
        self.orders[order.client_order_id] = order
        violations = check_order(order, price, self.portfolio, self.marks, self.limits)
        if violations:
            order.reject("; ".join(f"{v.rule}: {v.reason}" for v in violations), timestamp)
            self.ledger.save_order(order)
            self.counts["rejected"] += 1
            return
        # Persisted before it reaches the broker: after a crash the id is known and never reused.
        self.ledger.save_order(order)
        broker_order_id = self.broker.submit_order(order)
        order.submit(timestamp, broker_order_id)
        self.ledger.save_order(order)
        self.counts["submitted"] += 1

    def _working_quantity(self, symbol: str) -> Decimal:
        return sum(
            (
                order.remaining_quantity * order.side.sign
                for order in self.orders.values()
                if order.symbol == symbol and order.status.is_open
            ),
            Decimal(0),
        )

    def summary(self) -> SessionSummary:
        open_orders = sum(1 for order in self.orders.values() if order.status.is_open)
        return SessionSummary(
            account=self.account,
            bars_processed=self.counts["bars"],
            orders_submitted=self.counts["submitted"],
            orders_rejected=self.counts["rejected"],
            fills=self.counts["fills"],
            open_orders=open_orders,
            final_equity=self.portfolio.equity(self.marks),
            portfolio=self.portfolio,
            marks=dict(self.marks),
        )
