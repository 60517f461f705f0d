"""Helpers shared by the IBKR adapter tests: fast settings, orders, waiting for broker events."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fake_ib_gateway import FakeIbGateway

from quantcli.adapters.brokers.ibkr import IbkrBroker, IbkrConfig
from quantcli.application.trading.ports import BrokerEvent
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderType, TimeInForce

CLIENT_ID = 7
# The conftest fixtures' factories: make_gateway(script, **options), make_broker(gateway, ...).
MakeGateway = Callable[..., FakeIbGateway]
MakeBroker = Callable[..., IbkrBroker]
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def fast_config(port: int, **overrides: Any) -> IbkrConfig:
    """Timeouts of a fraction of a second: every test finishes in seconds, even the failures."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "client_id": CLIENT_ID,
        "connect_timeout": 0.5,
        "request_timeout": 1.0,
        "reconnect_backoff_base": 0.02,
        "reconnect_backoff_max": 0.1,
        "max_reconnect_attempts": 3,
    }
    settings.update(overrides)
    return IbkrConfig(**settings)


def make_order(
    client_order_id: str,
    side: OrderSide = OrderSide.BUY,
    quantity: str = "100",
    order_type: OrderType = OrderType.MARKET,
    *,
    symbol: str = "AAPL",
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        created_at=T0,
        order_type=order_type,
        time_in_force=tif,
        limit_price=Decimal(limit) if limit is not None else None,
        stop_price=Decimal(stop) if stop is not None else None,
    )


def collect_events(broker: IbkrBroker, count: int, timeout: float = 3.0) -> list[BrokerEvent]:
    """Drain the broker until `count` events arrived; fails on timeout or on extra events."""
    events: list[BrokerEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} broker events, got {events}")
        events.extend(broker.drain_events())
        time.sleep(0.01)
    assert len(events) == count, f"expected {count} broker events, got {events}"
    return events


def eventually(condition: Callable[[], bool], timeout: float = 3.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)
