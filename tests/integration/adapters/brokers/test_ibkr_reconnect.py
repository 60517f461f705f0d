"""IbkrBroker losing its socket: reconnect with backoff, resubscribe, reconcile, catch up."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from fake_ib_gateway import REQ_MKT_DATA, START_API, FakeIbGateway, FaultScript, Trigger
from ibkr_support import MakeBroker, MakeGateway, collect_events, eventually, make_order

from quantcli.adapters.brokers.ibkr import (
    ConnectionState,
    IbkrNotConnected,
    LocalBook,
    PositionMismatch,
    ReconciliationReport,
)
from quantcli.domain.fills import Fill
from quantcli.domain.trading_types import OrderSide, OrderType


def test_dropped_socket_reconnects_with_backoff_resubscribes_and_reconciles(
    make_gateway: MakeGateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(FaultScript.drop_socket(Trigger.MARKET_DATA))
    gateway.set_quote("AAPL", bid="149.98", ask="150.02", last="150.00")
    gateway.add_position("AAPL", "100", "150")
    reports: list[ReconciliationReport] = []
    local = LocalBook(positions={"AAPL": Decimal(100)})
    broker = make_broker(
        gateway,
        local_book=lambda: local,
        on_reconciliation=reports.append,
        reconnect_backoff_base=0.2,
        reconnect_backoff_max=1.0,
    )

    dropped_at = time.monotonic()
    broker.subscribe_market_data("AAPL")

    eventually(lambda: len(reports) == 2, what="the reconciliation after the reconnect")
    assert time.monotonic() - dropped_at >= 0.2  # waited the first backoff
    assert [r.reconnect for r in reports] == [False, True]
    assert all(r.is_clean and r.positions_checked for r in reports)
    assert broker.state is ConnectionState.CONNECTED
    assert broker.async_broker.client.reconnects == 1
    assert [f[2] for f in gateway.requests(START_API)] == ["7", "7"]
    assert len(gateway.requests(REQ_MKT_DATA)) == 2  # subscribed again in the new session
    gateway.set_quote("AAPL", bid="153.00", ask="153.10", last="153.05")
    eventually(
        lambda: (q := broker.latest_quote("AAPL")) is not None and q.last == Decimal("153.05")
    )


def test_fills_during_the_outage_are_reported_after_the_reconnect(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    reports: list[ReconciliationReport] = []
    order = make_order("OUT-1", OrderSide.BUY, "100", OrderType.LIMIT, limit="150")
    # The caller's books, as its ledger would give them (read on the adapter's loop thread).
    broker = make_broker(
        gateway,
        on_reconciliation=reports.append,
        local_book=lambda: LocalBook([order] if order.status.is_open else [], positions={}),
        reconnect_backoff_base=0.3,
        reconnect_backoff_max=1.0,
    )
    order.submit(broker_order_id=broker.submit_order(order))

    gateway.drop_connections()
    gateway.fill("OUT-1", "60", "149.95")  # nobody is connected to hear it live
    eventually(lambda: len(reports) == 2, what="the reconciliation after the reconnect")

    # The reconciliation saw the books as they were; the missed fill then arrives as an event.
    assert reports[1].reconnect
    assert reports[1].unknown_positions == (PositionMismatch("AAPL", Decimal(0), Decimal(60)),)
    [mismatch] = reports[1].order_mismatches
    assert (mismatch.client_order_id, mismatch.local_filled, mismatch.broker_filled) == (
        "OUT-1",
        Decimal(0),
        Decimal(60),
    )
    [fill] = collect_events(broker, 1)
    assert isinstance(fill, Fill)
    assert (fill.client_order_id, fill.quantity, fill.price, fill.commission) == (
        "OUT-1",
        60,
        Decimal("149.95"),
        1,
    )
    order.apply_fill(fill)
    gateway.fill("OUT-1", "40", "149.90")  # live again
    [rest] = collect_events(broker, 1)
    assert isinstance(rest, Fill)
    order.apply_fill(rest)
    assert order.filled_quantity == 100
    assert broker.open_orders() == []


def test_requests_during_the_outage_fail_fast(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    broker = make_broker(gateway, reconnect_backoff_base=0.5, reconnect_backoff_max=1.0)

    gateway.drop_connections()
    eventually(lambda: broker.state is ConnectionState.RECONNECTING, what="the drop noticed")

    with pytest.raises(IbkrNotConnected, match="reconnecting"):
        broker.submit_order(make_order("DURING-1"))
    eventually(lambda: broker.state is ConnectionState.CONNECTED, what="the reconnect")
    broker.submit_order(make_order("AFTER-1", quantity="10"))
    assert isinstance(collect_events(broker, 1)[0], Fill)


def test_reconnecting_gives_up_after_the_configured_attempts(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    broker = make_broker(gateway, max_reconnect_attempts=2)

    gateway.stop()  # the gateway is gone for good

    eventually(lambda: broker.state is ConnectionState.FAILED, what="giving up")
    with pytest.raises(IbkrNotConnected, match="2 reconnect attempt"):
        broker.submit_order(make_order("LATE-1"))


def test_connect_during_a_reconnect_replaces_it(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    broker = make_broker(gateway, reconnect_backoff_base=0.3, reconnect_backoff_max=1.0)
    gateway.drop_connections()
    eventually(lambda: broker.state is ConnectionState.RECONNECTING, what="the drop noticed")

    report = broker.connect()

    assert not report.reconnect
    assert broker.state is ConnectionState.CONNECTED
    time.sleep(0.4)  # past the backoff the cancelled reconnect would have waited
    assert gateway.connections == 2
    assert gateway.live_sessions() == 1
    assert broker.is_connected()
