"""Orders and their state machine: new → submitted → partly filled → filled|cancelled|rejected."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.domain.bar import require_utc
from quantcli.domain.errors import ExecutionError, IllegalOrderTransition
from quantcli.domain.fills import Fill
from quantcli.domain.instrument import Instrument, check_symbol
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

_ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.SUBMITTED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
    ),
    OrderStatus.SUBMITTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}


def _check_prices(order: Order) -> None:
    needs_limit = order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    for name, price, needed in (
        ("limit_price", order.limit_price, needs_limit),
        ("stop_price", order.stop_price, needs_stop),
    ):
        if needed and price is None:
            raise ExecutionError(
                f"order {order.client_order_id}: {order.order_type.value} needs a {name}"
            )
        if not needed and price is not None:
            raise ExecutionError(
                f"order {order.client_order_id}: {order.order_type.value} takes no {name}"
            )
        if price is not None and price <= 0:
            raise ExecutionError(f"order {order.client_order_id}: {name} {price} is not positive")


@attrs.define
class Order:
    """An order to buy or sell; its client order id is chosen before it ever reaches a broker."""

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    created_at: datetime
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus = OrderStatus.NEW
    filled_quantity: Decimal = Decimal(0)
    average_fill_price: Decimal | None = None
    broker_order_id: str | None = None
    reject_reason: str | None = None
    updated_at: datetime | None = None
    account: str | None = None
    # The client order id this order replaces (cancel-then-new); None for an original order.
    replaces: str | None = None
    cancel_reason: str | None = None
    # Exact Σ price × quantity of the fills so far. average_fill_price is a rounded quotient;
    # re-deriving the notional from it on each fill would let the rounding accumulate. Left out
    # of equality so an order rebuilt from (filled_quantity, average_fill_price) compares equal.
    filled_notional: Decimal = attrs.field(
        default=attrs.Factory(
            lambda self: (self.average_fill_price or Decimal(0)) * self.filled_quantity,
            takes_self=True,
        ),
        eq=False,
    )

    def __attrs_post_init__(self) -> None:
        if not self.client_order_id:
            raise ExecutionError("order: client_order_id is empty")
        check_symbol(self.symbol)
        require_utc(self.created_at, f"order {self.client_order_id} created_at")
        if self.quantity <= 0:
            raise ExecutionError(
                f"order {self.client_order_id}: quantity {self.quantity} is not positive"
            )
        _check_prices(self)

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity * self.side.sign

    def _move_to(self, status: OrderStatus, at: datetime | None) -> None:
        if status not in _ALLOWED_TRANSITIONS[self.status]:
            raise IllegalOrderTransition(
                f"order {self.client_order_id}: "
                f"cannot go from {self.status.value} to {status.value}"
            )
        self.status = status
        if at is not None:
            self.updated_at = require_utc(at, f"order {self.client_order_id} update")

    def submit(self, at: datetime | None = None, broker_order_id: str | None = None) -> None:
        self._move_to(OrderStatus.SUBMITTED, at)
        if broker_order_id is not None:
            self.broker_order_id = broker_order_id

    def cancel(self, at: datetime | None = None, reason: str | None = None) -> None:
        self._move_to(OrderStatus.CANCELLED, at)
        if reason is not None:
            self.cancel_reason = reason

    def reject(self, reason: str, at: datetime | None = None) -> None:
        self._move_to(OrderStatus.REJECTED, at)
        self.reject_reason = reason

    def apply_fill(self, fill: Fill) -> None:
        """Record a (partial) fill; the average fill price stays exact."""
        if fill.client_order_id != self.client_order_id:
            raise ExecutionError(
                f"fill {fill.fill_id} belongs to order {fill.client_order_id}, "
                f"not {self.client_order_id}"
            )
        if fill.side is not self.side or fill.symbol != self.symbol:
            raise ExecutionError(
                f"fill {fill.fill_id}: {fill.side.value} {fill.symbol} does not match order "
                f"{self.client_order_id} ({self.side.value} {self.symbol})"
            )
        if fill.quantity > self.remaining_quantity:
            raise ExecutionError(
                f"fill {fill.fill_id}: quantity {fill.quantity} exceeds the remaining "
                f"{self.remaining_quantity} of order {self.client_order_id}"
            )
        new_filled = self.filled_quantity + fill.quantity
        target = OrderStatus.FILLED if new_filled == self.quantity else OrderStatus.PARTIALLY_FILLED
        self._move_to(target, fill.timestamp)
        self.filled_notional += fill.price * fill.quantity
        self.average_fill_price = self.filled_notional / new_filled
        self.filled_quantity = new_filled

    def amend(
        self,
        at: datetime,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Change an open order in place (a broker-side modify); None keeps a value."""
        if self.status.is_terminal:
            raise IllegalOrderTransition(
                f"order {self.client_order_id}: cannot amend a {self.status.value} order"
            )
        new_quantity = self.quantity if quantity is None else quantity
        if new_quantity <= self.filled_quantity:
            raise ExecutionError(
                f"order {self.client_order_id}: new quantity {new_quantity} must exceed the "
                f"{self.filled_quantity} already filled; cancel the order instead"
            )
        before = (self.quantity, self.limit_price, self.stop_price)
        self.quantity = new_quantity
        self.limit_price = self.limit_price if limit_price is None else limit_price
        self.stop_price = self.stop_price if stop_price is None else stop_price
        try:
            _check_prices(self)
        except ExecutionError:
            self.quantity, self.limit_price, self.stop_price = before
            raise
        self.updated_at = require_utc(at, f"order {self.client_order_id} amendment")


def check_order_quantity(
    client_order_id: str, quantity: Decimal, instrument: Instrument
) -> Decimal:
    """A new order's quantity, or a replace's new total, in units `instrument` trades: whole
    shares unless it allows fractions. ExecutionError names the order and the quantity."""
    return instrument.check_quantity(quantity, f"order {client_order_id}")


class ReplaceMethod(enum.Enum):
    """How a replace reached the broker: modified in place, or cancelled and sent anew."""

    MODIFY = "MODIFY"
    CANCEL_REPLACE = "CANCEL_REPLACE"


@attrs.frozen
class OrderAmendment:
    """A replace asked of a working order, as the ledger records it; None keeps a value."""

    client_order_id: str
    sequence: int
    method: ReplaceMethod
    requested_at: datetime
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    # With CANCEL_REPLACE: the new order that takes over once the cancel is confirmed.
    replacement_id: str | None = None
