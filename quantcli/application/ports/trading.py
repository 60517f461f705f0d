"""Ports of the trading path: ledger, broker, clock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

import attrs

from quantcli.domain.bar import Bar
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
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


BrokerEvent = Fill | OrderCancelled | OrderRejected


class Broker(Protocol):
    """Where orders go. The simulated broker and IBKR both implement it."""

    def submit_order(self, order: Order) -> str:
        """Send an order (status NEW); returns the broker's order id or raises BrokerError."""
        ...

    def cancel_order(self, client_order_id: str) -> None: ...

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

    def save_fill(self, fill: Fill) -> None:
        """Insert by fill_id; saving the same fill twice keeps one row."""
        ...

    def orders(self, status: OrderStatus | None = None) -> list[Order]: ...

    def fills(self) -> list[Fill]: ...

    def save_portfolio(self, account: str, portfolio: Portfolio, as_of: datetime) -> None:
        """Replace the account's cash and positions snapshot."""
        ...

    def load_portfolio(self, account: str) -> Portfolio | None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class BarReplay(Protocol):
    """A feed of bars in time order, one slice (all symbols at one timestamp) at a time."""

    def __iter__(self) -> Iterator[tuple[datetime, Mapping[str, Bar]]]: ...
