"""Trading ports: the broker, its events and order states, the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import attrs

from quantcli.domain.bar import Bar
from quantcli.domain.fills import Fill
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.orders import Order, OrderAmendment
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderStatus


@attrs.frozen
class OrderCancelled:
    """The broker cancelled or expired an order (DAY end, IOC remainder, user request)."""

    client_order_id: str
    reason: str
    timestamp: datetime


@attrs.frozen
class OrderRejected:
    """The broker refused an order."""

    client_order_id: str
    reason: str
    timestamp: datetime


@attrs.frozen
class OrderAmended:
    """The broker changed a working order in place (a modify); None kept a value."""

    client_order_id: str
    timestamp: datetime
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


BrokerEvent = Fill | OrderCancelled | OrderRejected | OrderAmended


@attrs.frozen
class BrokerOrderState:
    """What the broker knows of one order, looked up by client order id: its copy and fills."""

    order: Order
    fills: tuple[Fill, ...] = ()


class Broker(Protocol):
    """Where orders go. The simulated broker and IBKR both implement it.

    Orders are keyed by the client order id chosen (and persisted) before submission; a
    broker must refuse a second order with an id it already knows, so a resubmission after a
    crash can never duplicate an order.
    """

    def submit_order(self, order: Order) -> str:
        """Send an order (status NEW); returns the broker's order id or raises BrokerError."""
        ...

    def cancel_order(self, client_order_id: str) -> None:
        """Ask for a cancel; the OrderCancelled event (or a fill that won the race) follows."""
        ...

    @property
    def supports_modify(self) -> bool:
        """True when modify_order changes a working order in place."""
        ...

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Change a working order in place (OrderAmended follows) or raise BrokerError."""
        ...

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        """The broker's copy of an order and its fills, or None if it never received it."""
        ...

    def positions(self, account: str) -> dict[str, Decimal]:
        """Signed quantity per symbol the broker holds for `account` (flat symbols left out)."""
        ...

    def is_connected(self) -> bool: ...

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        """A new bar per symbol has closed. The simulated broker matches working orders against
        it; a real broker, which sees the market itself, ignores it."""
        ...

    def drain_events(self) -> list[BrokerEvent]:
        """Fills, cancellations and rejections since the last call, in the order they happened."""
        ...

    def open_orders(self) -> list[Order]: ...


class Ledger(Protocol):
    """The durable record of orders, fills and positions; every write is idempotent."""

    def atomic(self) -> AbstractContextManager[None]:
        """A transaction: everything written inside commits together or not at all."""
        ...

    def save_order(self, order: Order) -> None:
        """Insert or update by client_order_id."""
        ...

    def order(self, client_order_id: str) -> Order | None: ...

    def save_fill(self, fill: Fill) -> None:
        """Insert by fill_id; saving the same fill twice keeps one row."""
        ...

    def orders(
        self, status: OrderStatus | None = None, account: str | None = None
    ) -> list[Order]: ...

    def fills(self, account: str | None = None) -> list[Fill]:
        """Fills in time order; with `account`, those of that account's orders."""
        ...

    def save_amendment(self, amendment: OrderAmendment) -> None: ...

    def amendments(self, client_order_id: str | None = None) -> list[OrderAmendment]: ...

    def open_account(self, account: str, opening_cash: Decimal, at: datetime) -> Decimal:
        """Record the account's opening cash once; returns the recorded amount."""
        ...

    def save_portfolio(self, account: str, portfolio: Portfolio, as_of: datetime) -> None:
        """Replace the account's cash and positions snapshot."""
        ...

    def load_portfolio(self, account: str) -> Portfolio | None: ...

    def portfolio_as_of(self, account: str) -> datetime | None:
        """When the last snapshot was taken: the last bar a session finished for the account."""
        ...

    def save_equity(self, account: str, point: EquityPoint) -> None:
        """Insert or replace the account's equity at point.timestamp."""
        ...

    def equity_history(self, account: str) -> list[EquityPoint]: ...
