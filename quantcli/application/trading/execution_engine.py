"""Order management for one account: place, cancel, replace, and apply what the broker reports.

Two rules keep the ledger and the broker from ever disagreeing for long:

- An order is saved (status NEW, with its client order id) before the broker sees it, so after
  a crash its id is known and the broker can be asked about it before anything is resent.
- A broker event changes the order and the portfolio only once the ledger has committed it.

A replace is a modify in place when the broker supports one, else cancel-then-new: the new
order (client id `<root>-R<n>`, `replaces` = the old id) is saved NEW at once and sent only when
the broker confirms the cancel, sized to the new total less what the old order filled; if the
old order fills first, the new one is cancelled unsent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.application.trading.ports import (
    Broker,
    BrokerEvent,
    Ledger,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
)
from quantcli.domain.errors import BrokerError, ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order, OrderAmendment, ReplaceMethod, check_order_quantity
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderStatus

ZERO = Decimal(0)


@attrs.frozen
class AppliedEvents:
    """What a batch of broker events did: fills booked, orders the broker rejected."""

    fills: tuple[Fill, ...] = ()
    rejected: tuple[Order, ...] = ()


def _adopt(target: Portfolio, source: Portfolio) -> None:
    """Give `target` the state of `source`, keeping the object others hold a reference to."""
    for field in attrs.fields(Portfolio):
        setattr(target, field.name, getattr(source, field.name))


def root_order_id(order: Order, lookup: Callable[[str], Order | None]) -> str:
    """The client id of the first order in a replace chain."""
    current = order
    while current.replaces is not None:
        parent = lookup(current.replaces)
        if parent is None:
            return current.replaces
        current = parent
    return current.client_order_id


@attrs.define
class ExecutionEngine:
    """One account's orders at one broker, recorded in the ledger first."""

    account: str
    broker: Broker
    ledger: Ledger
    portfolio: Portfolio
    # Open orders only: an order moves to `finished` the moment it is filled, cancelled or
    # rejected, so the per-signal work stays proportional to what is working.
    orders: dict[str, Order] = attrs.Factory(dict)
    finished: dict[str, Order] = attrs.Factory(dict)
    # Set while the kill switch is tripped: only risk-reducing orders may be placed.
    blocked_reason: str | None = None
    # The instruments traded by symbol; one not listed is an equity (whole shares only).
    instruments: Mapping[str, Instrument] = attrs.Factory(dict)
    _cancel_requests: dict[str, str] = attrs.field(factory=dict, init=False)

    def order(self, client_order_id: str) -> Order | None:
        """An order this engine handled, open or finished."""
        return self.orders.get(client_order_id) or self.finished.get(client_order_id)

    def check_quantity(self, client_order_id: str, symbol: str, quantity: Decimal) -> None:
        """Refuse (ExecutionError naming the order) a quantity the instrument does not trade:
        a fraction of a share, unless the instrument allows fractions."""
        instrument = self.instruments.get(symbol) or Instrument(symbol)
        check_order_quantity(client_order_id, quantity, instrument)

    def _file(self, order: Order) -> None:
        """Keep `orders` to the open ones."""
        if order.status.is_terminal:
            self.orders.pop(order.client_order_id, None)
            self.finished[order.client_order_id] = order
            self._cancel_requests.pop(order.client_order_id, None)
        else:
            self.orders[order.client_order_id] = order

    # -- placing -----------------------------------------------------------------------------

    def place(self, order: Order, at: datetime, *, risk_reducing: bool = False) -> Order:
        """Save a NEW order, then send it; a broker refusal rejects it (BrokerError re-raised
        only when the broker could not even say whether it has the order)."""
        if self.blocked_reason is not None and not risk_reducing:
            raise ExecutionError(
                f"order {order.client_order_id}: new orders are blocked ({self.blocked_reason})"
            )
        self.check_quantity(order.client_order_id, order.symbol, order.quantity)
        self._register(order)
        self.ledger.save_order(order)
        self.send(order, at)
        return order

    def record_rejection(self, order: Order, reason: str, at: datetime) -> Order:
        """A NEW order refused before the broker (risk): saved REJECTED with the reason."""
        self._register(order)
        order.reject(reason, at)
        self.ledger.save_order(order)
        self._file(order)
        return order

    def _register(self, order: Order) -> None:
        if order.status is not OrderStatus.NEW:
            raise ExecutionError(f"order {order.client_order_id}: only NEW orders can be placed")
        if order.account is None:
            order.account = self.account
        elif order.account != self.account:
            raise ExecutionError(
                f"order {order.client_order_id} belongs to account {order.account}, "
                f"not {self.account}"
            )
        known = self.order(order.client_order_id) or self.ledger.order(order.client_order_id)
        if known:
            raise ExecutionError(
                f"order {order.client_order_id}: client order id already used; "
                "a second order under it could be a duplicate at the broker"
            )
        self.orders[order.client_order_id] = order

    def send(self, order: Order, at: datetime) -> None:
        """Submit a saved NEW order and record the broker's acknowledgement."""
        try:
            broker_order_id = self.broker.submit_order(order)
        except BrokerError as error:
            # Did it get there anyway? Only the broker knows; if it cannot say, the order stays
            # NEW (unacknowledged) for recovery to settle.
            state = self.broker.lookup_order(order.client_order_id)
            if state is None:
                order.reject(f"broker refused the order: {error}", at)
                self.ledger.save_order(order)
                self._file(order)
                return
            broker_order_id = state.order.broker_order_id or ""
        order.submit(at, broker_order_id or None)
        self.ledger.save_order(order)

    # -- cancel and replace ------------------------------------------------------------------

    def cancel(
        self, client_order_id: str, at: datetime, reason: str = "cancelled by request"
    ) -> None:
        """Cancel an open order: at once if it never left, else at the broker (event follows)."""
        order = self._open_order(client_order_id)
        pending = self.pending_replacement(client_order_id)
        if pending is not None:
            self._cancel_unsent(pending, at, f"the order it replaces was cancelled ({reason})")
        never_sent = order.status is OrderStatus.NEW and order.broker_order_id is None
        if never_sent and self.broker.lookup_order(client_order_id) is None:
            self._cancel_unsent(order, at, reason)
            return
        if client_order_id in self._cancel_requests:
            return
        self._cancel_requests[client_order_id] = reason
        self.broker.cancel_order(client_order_id)

    def cancel_all(
        self, at: datetime, reason: str, keep: Callable[[Order], bool] = lambda _order: False
    ) -> list[str]:
        """Cancel every open order except those `keep` selects; returns the ids asked."""
        asked = []
        for order in self.open_orders():
            if keep(order) or order.client_order_id in self._cancel_requests:
                continue
            if order.status.is_open:  # an earlier cancel in this loop may have closed it
                self.cancel(order.client_order_id, at, reason)
                asked.append(order.client_order_id)
        return asked

    def replace(
        self,
        client_order_id: str,
        at: datetime,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        method: ReplaceMethod | None = None,
    ) -> str:
        """Change a working order's total quantity or prices; returns the id that carries it on."""
        order = self._open_order(client_order_id)
        if self.pending_replacement(client_order_id) is not None:
            raise ExecutionError(f"order {client_order_id}: a replace is already pending")
        if quantity is not None:
            self.check_quantity(client_order_id, order.symbol, quantity)
        if method is None:
            method = (
                ReplaceMethod.MODIFY
                if self.broker.supports_modify
                else ReplaceMethod.CANCEL_REPLACE
            )
        sequence = len(self.ledger.amendments(client_order_id)) + 1
        if method is ReplaceMethod.MODIFY:
            # Checked on a copy first: a change the order itself refuses never reaches the broker.
            copy.deepcopy(order).amend(at, quantity, limit_price, stop_price)
            self.broker.modify_order(client_order_id, quantity, limit_price, stop_price)
            self.ledger.save_amendment(
                OrderAmendment(
                    client_order_id, sequence, method, at, quantity, limit_price, stop_price
                )
            )
            return client_order_id
        total = order.quantity if quantity is None else quantity
        if total <= order.filled_quantity:
            raise ExecutionError(
                f"order {client_order_id}: new quantity {total} must exceed the "
                f"{order.filled_quantity} already filled; cancel the order instead"
            )
        replacement = Order(
            client_order_id=self._replacement_id(order),
            symbol=order.symbol,
            side=order.side,
            quantity=total - order.filled_quantity,
            created_at=at,
            order_type=order.order_type,
            time_in_force=order.time_in_force,
            limit_price=order.limit_price if limit_price is None else limit_price,
            stop_price=order.stop_price if stop_price is None else stop_price,
            account=self.account,
            replaces=client_order_id,
        )
        with self.ledger.atomic():
            self.ledger.save_order(replacement)
            self.ledger.save_amendment(
                OrderAmendment(
                    client_order_id,
                    sequence,
                    method,
                    at,
                    quantity,
                    limit_price,
                    stop_price,
                    replacement.client_order_id,
                )
            )
        self.orders[replacement.client_order_id] = replacement
        self._cancel_requests[client_order_id] = f"replaced by {replacement.client_order_id}"
        self.broker.cancel_order(client_order_id)
        return replacement.client_order_id

    def _replacement_id(self, order: Order) -> str:
        root = root_order_id(order, self._lookup)
        number = 1
        while self._lookup(f"{root}-R{number}") is not None:
            number += 1
        return f"{root}-R{number}"

    def pending_replacement(self, client_order_id: str) -> Order | None:
        """The unsent NEW order waiting for `client_order_id`'s cancel, if any."""
        for order in self.orders.values():
            if order.replaces == client_order_id and order.status is OrderStatus.NEW:
                return order
        return None

    def settle_replacement(self, parent: Order, at: datetime) -> None:
        """The replaced order is finished: send its replacement, or drop it if nothing is left."""
        pending = self.pending_replacement(parent.client_order_id)
        if pending is None or parent.status.is_open:
            return
        if parent.status is not OrderStatus.CANCELLED:
            reason = f"the order it replaces ended {parent.status.value} before the cancel"
            self._cancel_unsent(pending, at, reason)
            return
        total = self._requested_total(parent, pending)
        remaining = total - parent.filled_quantity
        if remaining <= 0:
            self._cancel_unsent(pending, at, "the order it replaces filled its new quantity")
            return
        if self.blocked_reason is not None:
            self._cancel_unsent(pending, at, f"new orders are blocked ({self.blocked_reason})")
            return
        if remaining != pending.quantity:
            pending.amend(at, quantity=remaining)
            self.ledger.save_order(pending)
        self.send(pending, at)

    def _requested_total(self, parent: Order, pending: Order) -> Decimal:
        for amendment in self.ledger.amendments(parent.client_order_id):
            if amendment.replacement_id == pending.client_order_id:
                return parent.quantity if amendment.quantity is None else amendment.quantity
        return pending.quantity + parent.filled_quantity

    def _cancel_unsent(self, order: Order, at: datetime, reason: str) -> None:
        order.cancel(at, reason)
        self.ledger.save_order(order)
        self._file(order)

    def close_unsettled(self, order: Order, at: datetime, reason: str) -> None:
        """End an open order the broker cannot settle (never received, or lost): an order
        never acknowledged, or partly filled, is cancelled; an acknowledged one rejected."""
        if order.status is OrderStatus.SUBMITTED:
            order.reject(reason, at)
        else:
            order.cancel(at, reason)
        self.ledger.save_order(order)
        self._file(order)

    # -- broker events -----------------------------------------------------------------------

    def process_broker_events(self) -> AppliedEvents:
        return self.apply_events(self.broker.drain_events())

    def apply_events(self, events: Iterable[BrokerEvent]) -> AppliedEvents:
        """Book each event in its own transaction; memory follows only after the commit."""
        fills: list[Fill] = []
        rejected: list[Order] = []
        for event in events:
            order = self._apply(event)
            if isinstance(event, Fill):
                fills.append(event)
            elif isinstance(event, OrderRejected):
                rejected.append(order)
            if order.status.is_terminal:
                self.settle_replacement(order, event.timestamp)
        return AppliedEvents(tuple(fills), tuple(rejected))

    def _apply(self, event: BrokerEvent) -> Order:
        known = self.order(event.client_order_id)
        if known is None:
            raise ExecutionError(
                f"broker reported {type(event).__name__} for unknown order {event.client_order_id}"
            )
        order = copy.deepcopy(known)
        portfolio = copy.deepcopy(self.portfolio) if isinstance(event, Fill) else None
        with self.ledger.atomic():
            if isinstance(event, Fill):
                order.apply_fill(event)
                assert portfolio is not None
                portfolio.apply_fill(event)
                self.ledger.save_fill(event)
            elif isinstance(event, OrderCancelled):
                requested = self._cancel_requests.get(order.client_order_id)
                order.cancel(event.timestamp, requested or event.reason)
            elif isinstance(event, OrderRejected):
                order.reject(event.reason, event.timestamp)
            elif isinstance(event, OrderAmended):
                order.amend(event.timestamp, event.quantity, event.limit_price, event.stop_price)
            self.ledger.save_order(order)
        self._file(order)
        if portfolio is not None:
            _adopt(self.portfolio, portfolio)
        return order

    # -- views -------------------------------------------------------------------------------

    def open_orders(self) -> list[Order]:
        return list(self.orders.values())

    def working_quantity(self, symbol: str) -> Decimal:
        """Signed shares still to fill on the symbol's open orders.

        A replacement waiting for its predecessor's cancel is not counted: the predecessor's
        remainder stands for it until then.
        """
        return sum(
            (
                order.remaining_quantity * order.side.sign
                for order in self.orders.values()
                if order.symbol == symbol
                and not (order.status is OrderStatus.NEW and order.replaces is not None)
            ),
            ZERO,
        )

    def _open_order(self, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        if order is None:
            raise ExecutionError(f"order {client_order_id}: not an order of account {self.account}")
        if order.status.is_terminal:
            raise ExecutionError(f"order {client_order_id}: already {order.status.value}")
        return order

    def _lookup(self, client_order_id: str) -> Order | None:
        return self.order(client_order_id) or self.ledger.order(client_order_id)


def sequence_of(orders: Sequence[Order]) -> list[Order]:
    """Orders in the order they were decided (creation time, then id)."""
    return sorted(orders, key=lambda order: (order.created_at, order.client_order_id))
