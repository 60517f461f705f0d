"""Compare what QuantCLI believes (open orders, positions) with what the broker reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.adapters.brokers.ibkr.parsing import DONE_STATUSES, BrokerOrder
from quantcli.adapters.brokers.ibkr.records import BrokerPosition
from quantcli.domain.orders import Order

ZERO = Decimal(0)


@attrs.frozen
class LocalBook:
    """QuantCLI's side: its open orders and, when it tracks them, its positions by symbol."""

    open_orders: Sequence[Order] = ()
    # None: positions are not compared (the caller keeps no positions of its own).
    positions: Mapping[str, Decimal] | None = None


@attrs.frozen
class OrderMismatch:
    """An order both sides know whose size, fills or liveness differ."""

    client_order_id: str
    local_quantity: Decimal
    broker_quantity: Decimal
    local_filled: Decimal
    broker_filled: Decimal
    broker_status: str


@attrs.frozen
class PositionMismatch:
    symbol: str
    local_quantity: Decimal
    broker_quantity: Decimal


@attrs.frozen
class ReconciliationReport:
    """The differences found on one (re)connect; empty tuples everywhere means the books agree."""

    at: datetime
    reconnect: bool
    # Open locally, unknown to the broker (never arrived, or lost).
    missing_orders: tuple[str, ...] = ()
    # Open at the broker, not open locally (placed elsewhere, or forgotten after a crash).
    unknown_orders: tuple[BrokerOrder, ...] = ()
    order_mismatches: tuple[OrderMismatch, ...] = ()
    # Held locally, flat at the broker.
    missing_positions: tuple[PositionMismatch, ...] = ()
    # Held at the broker, flat locally.
    unknown_positions: tuple[PositionMismatch, ...] = ()
    position_mismatches: tuple[PositionMismatch, ...] = ()
    positions_checked: bool = False

    @property
    def is_clean(self) -> bool:
        return not (
            self.missing_orders
            or self.unknown_orders
            or self.order_mismatches
            or self.missing_positions
            or self.unknown_positions
            or self.position_mismatches
        )

    def describe(self) -> str:
        """One line for the log."""
        if self.is_clean:
            return "books agree"
        parts = []
        if self.missing_orders:
            parts.append(f"missing at broker: {', '.join(self.missing_orders)}")
        if self.unknown_orders:
            ids = ", ".join(o.client_order_id for o in self.unknown_orders)
            parts.append(f"open only at the broker: {ids}")
        for m in self.order_mismatches:
            parts.append(
                f"order {m.client_order_id}: local {m.local_filled}/{m.local_quantity} filled, "
                f"broker {m.broker_filled}/{m.broker_quantity} ({m.broker_status})"
            )
        for kind, mismatches in (
            ("held only locally", self.missing_positions),
            ("held only at the broker", self.unknown_positions),
            ("quantity differs", self.position_mismatches),
        ):
            for p in mismatches:
                parts.append(
                    f"position {p.symbol} {kind}: local {p.local_quantity}, "
                    f"broker {p.broker_quantity}"
                )
        return "; ".join(parts)


def _preferred(orders: Sequence[BrokerOrder]) -> dict[str, BrokerOrder]:
    """One broker order per client order id; a live one wins over a finished one."""
    chosen: dict[str, BrokerOrder] = {}
    for order in orders:
        current = chosen.get(order.client_order_id)
        if current is None or current.ib_status in DONE_STATUSES:
            chosen[order.client_order_id] = order
    return chosen


def reconcile(
    local: LocalBook,
    broker_orders: Sequence[BrokerOrder],
    broker_positions: Sequence[BrokerPosition],
    at: datetime,
    reconnect: bool = False,
) -> ReconciliationReport:
    """The differences between `local` and the broker's orders (open and finished) and positions."""
    by_id = _preferred(broker_orders)
    local_ids = {order.client_order_id for order in local.open_orders}
    missing: list[str] = []
    mismatches: list[OrderMismatch] = []
    for order in local.open_orders:
        theirs = by_id.get(order.client_order_id)
        if theirs is None:
            missing.append(order.client_order_id)
            continue
        if (
            theirs.quantity != order.quantity
            or theirs.filled_quantity != order.filled_quantity
            or theirs.ib_status in DONE_STATUSES
        ):
            mismatches.append(
                OrderMismatch(
                    client_order_id=order.client_order_id,
                    local_quantity=order.quantity,
                    broker_quantity=theirs.quantity,
                    local_filled=order.filled_quantity,
                    broker_filled=theirs.filled_quantity,
                    broker_status=theirs.ib_status,
                )
            )
    unknown = tuple(
        order
        for order in by_id.values()
        if order.ib_status not in DONE_STATUSES and order.client_order_id not in local_ids
    )
    report = ReconciliationReport(
        at=at,
        reconnect=reconnect,
        missing_orders=tuple(missing),
        unknown_orders=unknown,
        order_mismatches=tuple(mismatches),
    )
    if local.positions is None:
        return report
    return _with_positions(report, local.positions, broker_positions)


def _with_positions(
    report: ReconciliationReport,
    local: Mapping[str, Decimal],
    broker_positions: Sequence[BrokerPosition],
) -> ReconciliationReport:
    theirs: dict[str, Decimal] = {}
    for position in broker_positions:
        theirs[position.symbol] = theirs.get(position.symbol, ZERO) + position.quantity
    missing, unknown, differ = [], [], []
    for symbol in sorted(set(local) | set(theirs)):
        ours_qty, theirs_qty = local.get(symbol, ZERO), theirs.get(symbol, ZERO)
        if ours_qty == theirs_qty:
            continue
        mismatch = PositionMismatch(symbol, ours_qty, theirs_qty)
        if theirs_qty == 0:
            missing.append(mismatch)
        elif ours_qty == 0:
            unknown.append(mismatch)
        else:
            differ.append(mismatch)
    return attrs.evolve(
        report,
        missing_positions=tuple(missing),
        unknown_positions=tuple(unknown),
        position_mismatches=tuple(differ),
        positions_checked=True,
    )
