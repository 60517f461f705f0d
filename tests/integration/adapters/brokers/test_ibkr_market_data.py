"""Market data through IbkrBroker: quotes, and what TWS connectivity notices do to subscriptions."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from fake_ib_gateway import (
    CANCEL_MKT_DATA,
    REQ_ACCOUNT_SUMMARY,
    REQ_MKT_DATA,
    FakeIbGateway,
    FaultScript,
)
from ibkr_support import MakeBroker, MakeGateway, collect_events, eventually, make_order

from quantcli.adapters.brokers.ibkr import ConnectionState, IbkrBroker, Quote
from quantcli.domain.fills import Fill


def quote_of(broker: IbkrBroker, symbol: str, last: str) -> Quote:
    eventually(
        lambda: (q := broker.latest_quote(symbol)) is not None and q.last == Decimal(last),
        what=f"{symbol} last {last}",
    )
    quote = broker.latest_quote(symbol)
    assert quote is not None
    return quote


def test_subscription_delivers_last_bid_and_ask(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    heard: list[Quote] = []
    broker = make_broker(gateway, on_quote=heard.append)

    broker.subscribe_market_data("AAPL")

    quote = quote_of(broker, "AAPL", "150.00")
    assert (quote.bid, quote.ask, quote.last) == (
        Decimal("149.98"),
        Decimal("150.02"),
        Decimal("150.00"),
    )
    assert (quote.bid_size, quote.ask_size, quote.last_size) == (100, 200, 50)
    gateway.set_quote("AAPL", bid="151.00", ask="151.10", last="151.05")
    assert quote_of(broker, "AAPL", "151.05").ask == Decimal("151.10")
    assert heard
    assert heard[-1].symbol == "AAPL"
    assert broker.latest_quote("MSFT") is None


def test_unsubscribing_cancels_the_stream(gateway: FakeIbGateway, broker: IbkrBroker) -> None:
    broker.subscribe_market_data("AAPL")
    quote_of(broker, "AAPL", "150.00")

    broker.unsubscribe_market_data("AAPL")

    eventually(lambda: len(gateway.requests(CANCEL_MKT_DATA)) == 1, what="cancelMktData")
    assert broker.latest_quote("AAPL") is None


def test_error_1101_data_lost_resubscribes_market_data(
    make_gateway: MakeGateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(FaultScript.push_errors(1100, 1101))
    gateway.set_quote("AAPL", bid="149.98", ask="150.02", last="150.00")
    broker = make_broker(gateway)

    broker.subscribe_market_data("AAPL")

    eventually(lambda: len(gateway.requests(REQ_MKT_DATA)) == 2, what="a second reqMktData")
    assert len(gateway.requests(CANCEL_MKT_DATA)) == 1
    assert broker.async_broker.market_data.resubscriptions == 1
    gateway.set_quote("AAPL", bid="152.00", ask="152.10", last="152.05")
    assert quote_of(broker, "AAPL", "152.05").bid == Decimal("152.00")
    assert broker.state is ConnectionState.CONNECTED


@pytest.mark.parametrize("codes", [(1102,), (1100, 1102)])
def test_error_1102_data_maintained_does_not_resubscribe(
    make_gateway: MakeGateway, make_broker: MakeBroker, codes: tuple[int, ...]
) -> None:
    gateway = make_gateway(FaultScript.push_errors(*codes))
    gateway.set_quote("AAPL", bid="149.98", ask="150.02", last="150.00")
    broker = make_broker(gateway)

    broker.subscribe_market_data("AAPL")

    # ib_async answers 1102 by asking for the account summary again: once the gateway has that
    # request, the client has handled the notice.
    eventually(lambda: len(gateway.requests(REQ_ACCOUNT_SUMMARY)) == 1, what="1102 handled")
    assert len(gateway.requests(REQ_MKT_DATA)) == 1
    assert gateway.requests(CANCEL_MKT_DATA) == []
    assert broker.async_broker.market_data.resubscriptions == 0
    assert broker.state is ConnectionState.CONNECTED


def test_farm_status_notices_are_logged_and_never_raised(
    make_gateway: MakeGateway, make_broker: MakeBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quantcli.adapters.brokers.ibkr")
    gateway = make_gateway(FaultScript.push_errors(2103, 2104, 2106, 2158))
    gateway.set_quote("AAPL", bid="149.98", ask="150.02", last="150.00")
    broker = make_broker(gateway)
    broker.subscribe_market_data("AAPL")

    # A request answered after the notices proves they were handled, in order, without harm.
    broker.submit_order(make_order("AFTER-1", quantity="10"))
    [fill] = collect_events(broker, 1)

    assert isinstance(fill, Fill)
    notices = [r for r in caplog.records if r.name == "quantcli.adapters.brokers.ibkr.client"]
    assert [r.getMessage() for r in notices if "farm status" in r.getMessage()] == [
        "IB farm status 2103: Market data farm connection is broken:usfarm",
        "IB farm status 2104: Market data farm connection is OK:usfarm",
        "IB farm status 2106: HMDS data farm connection is OK:ushmds",
        "IB farm status 2158: Sec-def data farm connection is OK:secdefnj",
    ]
    assert all(r.levelno == logging.INFO for r in notices if "farm status" in r.getMessage())
    assert len(gateway.requests(REQ_MKT_DATA)) == 1
    assert broker.state is ConnectionState.CONNECTED
