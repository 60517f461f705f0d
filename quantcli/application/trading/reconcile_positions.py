"""Use case: start an account from its ledger after a stop or a crash, settle every order the
ledger left open against the broker, and compare positions with the broker's.

Nothing is resent before the broker has been asked about it by client order id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.application.trading.execution_engine import ExecutionEngine, sequence_of
from quantcli.application.trading.ports import (
    BrokerEvent,
    BrokerOrderState,
    Ledger,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
)
from quantcli.domain.fills import Fill
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderStatus

ZERO = Decimal(0)


def rebuild_portfolio(ledger: Ledger, account: str, opening_cash: Decimal) -> Portfolio:
    """The account as its ledger's fills make it: opening cash, then every fill in order."""
    portfolio = Portfolio(cash=opening_cash)
    portfolio.apply_fills(ledger.fills(account))
    return portfolio


@attrs.frozen
class RestoredAccount:
    """An account as its ledger leaves it: the portfolio its fills make, its open orders."""

    portfolio: Portfolio
    open_orders: dict[str, Order]
    equity_history: list[EquityPoint]
    last_bar: datetime | None  # the last bar a session finished: resume after it


def restore_account(ledger: Ledger, account: str, opening_cash: Decimal) -> RestoredAccount:
    open_orders = [o for o in ledger.orders(account=account) if o.status.is_open]
    return RestoredAccount(
        portfolio=rebuild_portfolio(ledger, account, opening_cash),
        open_orders={o.client_order_id: o for o in sequence_of(open_orders)},
        equity_history=ledger.equity_history(account),
        last_bar=ledger.portfolio_as_of(account),
    )


@attrs.frozen
class RecoveryReport:
    """How recovery settled the orders the ledger had left open."""

    adopted: tuple[str, ...] = ()  # unacknowledged, but the broker had them
    resubmitted: tuple[str, ...] = ()  # unacknowledged and unknown to the broker: sent now
    abandoned: tuple[str, ...] = ()  # unacknowledged, unknown and stale (or blocked): cancelled
    missing_at_broker: tuple[str, ...] = ()  # acknowledged, yet unknown to the broker
    fills_recovered: int = 0  # broker fills the ledger had missed
    closed: tuple[str, ...] = ()  # finished at the broker while QuantCLI was away

    @property
    def changed(self) -> bool:
        return any(
            (
                self.adopted,
                self.resubmitted,
                self.abandoned,
                self.missing_at_broker,
                self.fills_recovered,
                self.closed,
            )
        )

    def lines(self) -> list[str]:
        parts = [
            ("adopted from the broker", self.adopted),
            ("resubmitted (never reached the broker)", self.resubmitted),
            ("abandoned (never reached the broker, stale)", self.abandoned),
            ("missing at the broker", self.missing_at_broker),
            ("finished at the broker meanwhile", self.closed),
        ]
        found = [f"{label}: {', '.join(ids)}" for label, ids in parts if ids]
        if self.fills_recovered:
            found.append(f"fills recovered from the broker: {self.fills_recovered}")
        return found


def recover_orders(
    engine: ExecutionEngine, resume_from: datetime | None, *, resubmit: bool = True
) -> RecoveryReport:
    """Settle every open ledger order against the broker's record of it.

    An order the broker never received is resent only if `resubmit` and it was decided at or
    after `resume_from` (the last bar the session finished; None: always); older ones are
    cancelled as stale. A replacement waiting for a cancel is settled with its predecessor.
    """
    known_fills = {fill.fill_id for fill in engine.ledger.fills(engine.account)}
    report: dict[str, list[str]] = {
        "adopted": [],
        "resubmitted": [],
        "abandoned": [],
        "missing": [],
        "closed": [],
    }
    recovered = 0
    for order in sequence_of(engine.open_orders()):
        if order.status.is_terminal:
            continue  # settled earlier in this loop, as a replacement
        state = engine.broker.lookup_order(order.client_order_id)
        if state is None:
            _settle_unknown(engine, order, resume_from, resubmit, report)
            continue
        if order.status is OrderStatus.NEW:
            order.submit(state.order.updated_at or order.created_at, state.order.broker_order_id)
            engine.ledger.save_order(order)
            report["adopted"].append(order.client_order_id)
        events = _missed_events(order, state, known_fills)
        recovered += sum(1 for event in events if isinstance(event, Fill))
        engine.apply_events(events)
        if order.client_order_id not in engine.orders:
            report["closed"].append(order.client_order_id)
    for order in list(engine.orders.values()):
        if order.replaces is not None and order.status is OrderStatus.NEW:
            parent = engine.order(order.replaces) or engine.ledger.order(order.replaces)
            if parent is not None and parent.status.is_terminal:
                engine.settle_replacement(parent, resume_from or order.created_at)
    return RecoveryReport(
        adopted=tuple(report["adopted"]),
        resubmitted=tuple(report["resubmitted"]),
        abandoned=tuple(report["abandoned"]),
        missing_at_broker=tuple(report["missing"]),
        fills_recovered=recovered,
        closed=tuple(report["closed"]),
    )


def _settle_unknown(
    engine: ExecutionEngine,
    order: Order,
    resume_from: datetime | None,
    resubmit: bool,
    report: dict[str, list[str]],
) -> None:
    at = max(order.updated_at or order.created_at, resume_from or order.created_at)
    if order.status is not OrderStatus.NEW:
        # Acknowledged once, unknown now: the broker lost it. Nothing is working there.
        engine.close_unsettled(order, at, "not found at the broker on recovery")
        report["missing"].append(order.client_order_id)
        return
    if order.replaces is not None:
        return  # waits for its predecessor, settled after the loop
    fresh = resume_from is None or order.created_at >= resume_from
    if resubmit and fresh and engine.blocked_reason is None:
        engine.send(order, at)
        report["resubmitted"].append(order.client_order_id)
        return
    why = "stale" if not fresh else engine.blocked_reason or "resubmission off"
    engine.close_unsettled(
        order, at, f"never reached the broker; not resubmitted on recovery ({why})"
    )
    report["abandoned"].append(order.client_order_id)


def _missed_events(
    order: Order, state: BrokerOrderState, known_fills: set[str]
) -> list[BrokerEvent]:
    """The events that take the ledger's order to the broker's state of it."""
    broker_order = state.order
    events: list[BrokerEvent] = []
    if (broker_order.quantity, broker_order.limit_price, broker_order.stop_price) != (
        order.quantity,
        order.limit_price,
        order.stop_price,
    ):
        events.append(
            OrderAmended(
                order.client_order_id,
                broker_order.updated_at or order.created_at,
                broker_order.quantity,
                broker_order.limit_price,
                broker_order.stop_price,
            )
        )
    events += [fill for fill in state.fills if fill.fill_id not in known_fills]
    at = broker_order.updated_at or order.created_at
    if broker_order.status is OrderStatus.CANCELLED:
        reason = broker_order.cancel_reason or "cancelled at the broker"
        events.append(OrderCancelled(order.client_order_id, reason, at))
    elif broker_order.status is OrderStatus.REJECTED:
        reason = broker_order.reject_reason or "rejected by the broker"
        events.append(OrderRejected(order.client_order_id, reason, at))
    return events


@attrs.frozen
class PositionBreak:
    """A symbol where the ledger and the broker disagree."""

    symbol: str
    ledger_quantity: Decimal
    broker_quantity: Decimal


def reconcile_positions(
    portfolio: Portfolio, broker_positions: Mapping[str, Decimal]
) -> list[PositionBreak]:
    """Every symbol whose quantity differs between the ledger's portfolio and the broker."""
    symbols = sorted(set(portfolio.positions) | set(broker_positions))
    breaks = []
    for symbol in symbols:
        mine = portfolio.quantity(symbol)
        theirs = broker_positions.get(symbol, ZERO)
        if mine != theirs:
            breaks.append(PositionBreak(symbol, mine, theirs))
    return breaks
