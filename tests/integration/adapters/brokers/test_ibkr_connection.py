"""IbkrBroker connecting to a fake IB gateway: handshake, startup, reconciliation, faults."""

from __future__ import annotations

import socket
import time
from decimal import Decimal

import pytest
from fake_ib_gateway import (
    PINNED_SERVER_VERSION,
    REQ_MARKET_DATA_TYPE,
    START_API,
    FakeIbGateway,
    FaultScript,
)
from ibkr_support import CLIENT_ID, MakeBroker, MakeGateway, collect_events, make_order

from quantcli.adapters.brokers.ibkr import (
    BrokerOrder,
    ConnectionState,
    IbkrClientIdInUse,
    IbkrTimeout,
    LocalBook,
    MarketDataType,
    OrderMismatch,
    PositionMismatch,
)
from quantcli.domain.errors import BrokerError
from quantcli.domain.fills import Fill
from quantcli.domain.trading_types import OrderSide, OrderType

BUY = OrderSide.BUY


def test_connect_to_an_empty_account_reports_no_differences(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    broker = make_broker(
        gateway, local_book=lambda: LocalBook(positions={}), market_data_type="delayed"
    )

    report = broker.last_reconciliation
    assert report is not None
    assert report.is_clean
    assert report.positions_checked
    assert not report.reconnect
    assert broker.state is ConnectionState.CONNECTED
    assert broker.async_broker.account == "DU1234567"
    assert [f[2] for f in gateway.requests(START_API)] == [str(CLIENT_ID)]
    assert gateway.requests(REQ_MARKET_DATA_TYPE)[0][2] == str(int(MarketDataType.DELAYED))
    assert broker.async_broker.client.ib.client.serverVersion() == PINNED_SERVER_VERSION


def test_connect_reports_every_difference_between_local_books_and_the_broker(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    gateway.add_position("AAPL", "100", "150.10")
    gateway.add_position("TSLA", "5", "200")
    gateway.add_position("SPY", "7", "500")
    same = gateway.add_open_order(
        order_ref="L-SAME", symbol="AAPL", action="BUY", quantity="50",
        limit_price="140", client_id=CLIENT_ID,
    )  # fmt: skip
    gateway.add_open_order(
        order_ref="L-BIGGER", symbol="AAPL", action="SELL", quantity="30",
        limit_price="160", client_id=CLIENT_ID, filled="10",
    )  # fmt: skip
    gateway.add_open_order(
        order_ref="B-UNKNOWN", symbol="MSFT", action="BUY", quantity="5",
        limit_price="400", client_id=CLIENT_ID,
    )  # fmt: skip
    local = LocalBook(
        open_orders=[
            make_order("L-SAME", BUY, "50", OrderType.LIMIT, limit="140"),
            make_order("L-BIGGER", OrderSide.SELL, "20", OrderType.LIMIT, limit="160"),
            make_order("L-MISSING", BUY, "10", OrderType.LIMIT, limit="130"),
        ],
        positions={"AAPL": Decimal(100), "MSFT": Decimal(10), "TSLA": Decimal(3)},
    )
    for order in local.open_orders:
        order.submit()

    report = make_broker(gateway, local_book=lambda: local).connect()

    assert report.missing_orders == ("L-MISSING",)
    assert report.unknown_orders == (
        BrokerOrder(
            client_order_id="B-UNKNOWN",
            broker_order_id=str(same.perm_id + 2),
            symbol="MSFT",
            side=BUY,
            quantity=Decimal(5),
            filled_quantity=Decimal(0),
            ib_order_type="LMT",
            ib_status="Submitted",
        ),
    )
    assert report.order_mismatches == (
        OrderMismatch(
            client_order_id="L-BIGGER",
            local_quantity=Decimal(20),
            broker_quantity=Decimal(30),
            local_filled=Decimal(0),
            broker_filled=Decimal(10),
            broker_status="Submitted",
        ),
    )
    assert report.missing_positions == (PositionMismatch("MSFT", Decimal(10), Decimal(0)),)
    assert report.unknown_positions == (PositionMismatch("SPY", Decimal(0), Decimal(7)),)
    assert report.position_mismatches == (PositionMismatch("TSLA", Decimal(3), Decimal(5)),)
    assert not report.is_clean


def test_local_orders_the_broker_has_are_followed_after_reconciliation(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    gateway.add_open_order(
        order_ref="L-1", symbol="AAPL", action="BUY", quantity="50",
        limit_price="140", client_id=CLIENT_ID,
    )  # fmt: skip
    mine = make_order("L-1", BUY, "50", OrderType.LIMIT, limit="140")
    mine.submit()
    broker = make_broker(gateway, local_book=lambda: LocalBook(open_orders=[mine]))

    gateway.fill("L-1", "50", "139.90")

    [fill] = collect_events(broker, 1)
    assert isinstance(fill, Fill)
    assert (fill.client_order_id, fill.quantity, fill.price) == ("L-1", 50, Decimal("139.90"))
    assert broker.open_orders() == []


def test_no_handshake_reply_fails_with_a_timeout_instead_of_hanging(
    make_gateway: MakeGateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(FaultScript.no_handshake())
    broker = make_broker(gateway, connect=False, connect_timeout=0.3, max_reconnect_attempts=2)

    started = time.monotonic()
    with pytest.raises(IbkrTimeout, match=r"no API handshake within 0\.3 s"):
        broker.connect()

    assert time.monotonic() - started < 2.0
    assert gateway.connections == 2
    assert not broker.is_connected()


def test_client_id_in_use_fails_at_once_naming_the_client_id(
    make_gateway: MakeGateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(FaultScript.client_id_in_use())
    broker = make_broker(gateway, connect=False, connect_timeout=2.0)

    started = time.monotonic()
    with pytest.raises(IbkrClientIdInUse, match=f"client id {CLIENT_ID} is already in use"):
        broker.connect()

    # Well before the 2 s handshake timeout, and not retried: retrying cannot free the id.
    assert time.monotonic() - started < 1.0
    assert gateway.connections == 1


def test_a_second_session_with_the_same_client_id_is_refused(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    make_broker(gateway)

    with pytest.raises(IbkrClientIdInUse, match=f"client id {CLIENT_ID}"):
        make_broker(gateway)


def test_an_unanswered_startup_request_is_a_timeout_naming_it(
    make_gateway: MakeGateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(FaultScript.unanswered_startup())
    broker = make_broker(gateway, connect=False, connect_timeout=0.3, max_reconnect_attempts=2)

    started = time.monotonic()
    with pytest.raises(IbkrTimeout, match="positions request timed out"):
        broker.connect()

    assert time.monotonic() - started < 3.0
    assert gateway.connections == 2
    assert not broker.is_connected()


def test_a_closed_port_is_a_broker_error(make_broker: MakeBroker) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = FakeIbGateway()
    closed.port = port
    broker = make_broker(closed, connect=False, max_reconnect_attempts=2)

    with pytest.raises(BrokerError, match="connection refused"):
        broker.connect()


def test_requests_before_connecting_are_refused(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    broker = make_broker(gateway, connect=False)

    with pytest.raises(BrokerError, match="not connected"):
        broker.submit_order(make_order("X-1"))
