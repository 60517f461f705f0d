"""IbkrBroker orders against the fake gateway: place, fill, modify, cancel, reject, resubmit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from fake_ib_gateway import CANCEL_ORDER, PLACE_ORDER, FakeIbGateway
from ibkr_support import CLIENT_ID, MakeBroker, collect_events, fast_config, make_order

from quantcli.adapters.brokers.ibkr import AsyncIbkrBroker, IbkrBroker
from quantcli.application.trading.ports import Broker, OrderAmended, OrderCancelled, OrderRejected
from quantcli.domain.errors import BrokerError
from quantcli.domain.fills import Fill
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_ibkr_broker_implements_the_broker_port(broker: IbkrBroker) -> None:
    port: Broker = broker
    members = {name for name in vars(Broker) if not name.startswith("_")}

    assert {name for name in members if not hasattr(broker, name)} == set()
    assert port.supports_modify
    assert port.is_connected()
    assert port.open_orders() == []
    assert port.drain_events() == []
    assert port.lookup_order("NEVER-SENT") is None
    assert port.positions("DU1234567") == {}


def test_market_order_fills_with_price_quantity_and_commission(
    gateway: FakeIbGateway, broker: IbkrBroker
) -> None:
    order = make_order("MKT-1", BUY, "300")

    broker_order_id = broker.submit_order(order)

    [fill] = collect_events(broker, 1)
    assert isinstance(fill, Fill)
    placed = gateway.order("MKT-1")
    assert broker_order_id == str(placed.perm_id)
    assert (placed.order_type, placed.tif, placed.quantity) == ("MKT", "DAY", 300)
    assert fill.fill_id == gateway.executions[0].exec_id
    assert (fill.client_order_id, fill.symbol, fill.side) == ("MKT-1", "AAPL", BUY)
    assert fill.quantity == Decimal(300)
    assert fill.price == Decimal("150.02")  # the ask
    assert fill.commission == Decimal("1.5")  # 300 × 0.005
    assert fill.timestamp.utcoffset() == timedelta(0)
    order.submit(broker_order_id=broker_order_id)
    order.apply_fill(fill)
    assert order.status is OrderStatus.FILLED
    assert broker.open_orders() == []


def test_limit_order_is_modified_then_cancelled(gateway: FakeIbGateway, broker: IbkrBroker) -> None:
    order = make_order("LMT-1", BUY, "100", OrderType.LIMIT, limit="145.50", tif=TimeInForce.GTC)

    broker.submit_order(order)
    placed = gateway.order("LMT-1")
    assert (placed.order_type, placed.limit_price, placed.tif) == ("LMT", "145.5", "GTC")
    [working] = broker.open_orders()
    assert working.status is OrderStatus.SUBMITTED

    broker.modify_order("LMT-1", Decimal(120), Decimal("146.25"))

    [amended] = collect_events(broker, 1)
    assert isinstance(amended, OrderAmended)
    assert (amended.client_order_id, amended.quantity, amended.limit_price) == (
        "LMT-1",
        Decimal(120),
        Decimal("146.25"),
    )
    assert amended.stop_price is None
    order.submit()
    order.amend(amended.timestamp, amended.quantity, amended.limit_price, amended.stop_price)
    at_broker = gateway.order("LMT-1")
    assert (at_broker.quantity, at_broker.limit_price) == (Decimal(120), "146.25")
    assert len(gateway.orders_with_ref("LMT-1")) == 1
    assert broker.open_orders()[0].quantity == Decimal(120)

    broker.cancel_order("LMT-1")

    [cancelled] = collect_events(broker, 1)
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.client_order_id, cancelled.reason) == ("LMT-1", "cancelled by request")
    order.cancel(cancelled.timestamp, cancelled.reason)
    assert broker.lookup_order("LMT-1").order.status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert gateway.order("LMT-1").status == "Cancelled"
    assert broker.open_orders() == []
    with pytest.raises(BrokerError, match="already Cancelled"):
        broker.cancel_order("LMT-1")
    with pytest.raises(BrokerError, match="cannot modify order LMT-1"):
        broker.modify_order("LMT-1", limit_price=Decimal(140))


def test_partial_fill_then_the_rest(gateway: FakeIbGateway, broker: IbkrBroker) -> None:
    order = make_order("PART-1", SELL, "1000", OrderType.LIMIT, limit="150")
    order.submit(broker_order_id=broker.submit_order(order))

    gateway.fill("PART-1", "400", "150.00")
    [first] = collect_events(broker, 1)
    assert isinstance(first, Fill)
    order.apply_fill(first)
    [working] = broker.open_orders()
    assert (working.status, working.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 400)

    gateway.fill("PART-1", "600", "150.10")
    [second] = collect_events(broker, 1)
    assert isinstance(second, Fill)
    order.apply_fill(second)

    assert (first.quantity, first.price, first.commission) == (400, Decimal("150.00"), 2)
    assert (second.quantity, second.price, second.commission) == (600, Decimal("150.10"), 3)
    assert first.fill_id != second.fill_id
    assert order.status is OrderStatus.FILLED
    assert order.average_fill_price == Decimal("150.06")
    assert broker.open_orders() == []


def test_broker_cancellation_after_a_partial_fill_comes_after_the_fill(
    gateway: FakeIbGateway, broker: IbkrBroker
) -> None:
    order = make_order("PART-2", BUY, "100", OrderType.LIMIT, limit="150")
    order.submit(broker_order_id=broker.submit_order(order))

    gateway.fill("PART-2", "40", "149.90")
    gateway.cancel_by_broker("PART-2")

    fill, cancelled = collect_events(broker, 2)
    assert isinstance(fill, Fill)
    assert isinstance(cancelled, OrderCancelled)
    order.apply_fill(fill)
    order.cancel(cancelled.timestamp)
    assert cancelled.reason == "cancelled by IB (IB status Cancelled)"
    assert order.filled_quantity == 40


def test_resubmitting_a_client_order_id_the_broker_has_does_not_place_it_again(
    gateway: FakeIbGateway, broker: IbkrBroker
) -> None:
    first_id = broker.submit_order(make_order("DUP-1", BUY, "10", OrderType.LIMIT, limit="140"))

    with pytest.raises(BrokerError, match=f"DUP-1: IB already has .* IB order {first_id}"):
        broker.submit_order(make_order("DUP-1", BUY, "10", OrderType.LIMIT, limit="140"))

    assert len(gateway.orders_with_ref("DUP-1")) == 1
    assert len(gateway.requests(PLACE_ORDER)) == 1
    state = broker.lookup_order("DUP-1")
    assert state is not None
    assert (state.order.broker_order_id, state.order.status) == (first_id, OrderStatus.SUBMITTED)


def test_resubmission_after_a_crash_finds_the_order_and_its_fills(
    gateway: FakeIbGateway, make_broker: MakeBroker
) -> None:
    crashed = make_broker(gateway)
    broker_order_id = crashed.submit_order(
        make_order("CRASH-1", BUY, "100", OrderType.LIMIT, limit="151")
    )
    crashed.close()
    gateway.fill("CRASH-1", "30", "150.50")  # while no one was connected
    restarted = make_broker(gateway)

    with pytest.raises(BrokerError, match="CRASH-1: IB already has"):
        restarted.submit_order(make_order("CRASH-1", BUY, "100", OrderType.LIMIT, limit="151"))
    state = restarted.lookup_order("CRASH-1")

    assert len(gateway.orders_with_ref("CRASH-1")) == 1
    assert len(gateway.requests(PLACE_ORDER)) == 1
    assert state is not None
    order = state.order
    assert (order.client_order_id, order.broker_order_id) == ("CRASH-1", broker_order_id)
    assert (order.status, order.quantity, order.filled_quantity) == (
        OrderStatus.PARTIALLY_FILLED,
        Decimal(100),
        Decimal(30),
    )
    assert (order.order_type, order.limit_price) == (OrderType.LIMIT, Decimal(151))
    [fill] = state.fills
    assert (fill.client_order_id, fill.quantity, fill.price, fill.commission) == (
        "CRASH-1",
        30,
        Decimal("150.50"),
        1,
    )
    # The snapshot carried the past; events carry what happens from now on, once.
    assert restarted.drain_events() == []
    gateway.fill("CRASH-1", "20", "150.40")
    [live] = collect_events(restarted, 1)
    assert isinstance(live, Fill)
    assert live.quantity == 20
    [working] = restarted.open_orders()
    assert (working.client_order_id, working.filled_quantity) == ("CRASH-1", 50)
    restarted.cancel_order("CRASH-1")
    assert len(gateway.requests(CANCEL_ORDER)) == 1
    [cancelled] = collect_events(restarted, 1)
    assert isinstance(cancelled, OrderCancelled)


@pytest.mark.parametrize(
    ("order_kwargs", "expected"),
    [
        ({"order_type": OrderType.STOP, "stop": "140"}, ("STP", "", "140.0", "DAY")),
        (
            {
                "order_type": OrderType.STOP_LIMIT,
                "stop": "155",
                "limit": "156",
                "tif": TimeInForce.IOC,
            },
            ("STP LMT", "156.0", "155.0", "IOC"),
        ),
        (
            {"order_type": OrderType.LIMIT, "limit": "99.5", "tif": TimeInForce.GTC},
            ("LMT", "99.5", "", "GTC"),
        ),
    ],
)
def test_order_types_and_time_in_force_reach_the_broker(
    gateway: FakeIbGateway, broker: IbkrBroker, order_kwargs: dict, expected: tuple
) -> None:
    broker.submit_order(make_order("TYPE-1", SELL, "5", **order_kwargs))

    placed = gateway.order("TYPE-1")
    assert (placed.order_type, placed.limit_price, placed.aux_price, placed.tif) == expected
    assert (placed.action, placed.order_ref, placed.client_id) == ("SELL", "TYPE-1", CLIENT_ID)


def test_an_order_the_broker_refuses_becomes_a_rejection(
    make_gateway, make_broker: MakeBroker
) -> None:
    gateway = make_gateway(rejected_symbols={"TSLA"})
    broker = make_broker(gateway)
    order = make_order("REJ-1", BUY, "10", symbol="TSLA")

    order.submit(broker_order_id=broker.submit_order(order))

    [rejected] = collect_events(broker, 1)
    assert isinstance(rejected, OrderRejected)
    assert rejected.client_order_id == "REJ-1"
    assert rejected.reason.startswith("IB error 201: Order rejected")
    order.reject(rejected.reason, rejected.timestamp)
    assert broker.open_orders() == []


def test_an_unknown_symbol_is_a_broker_error(broker: IbkrBroker) -> None:
    with pytest.raises(BrokerError, match="symbol NOPE: IB has no unique STK contract"):
        broker.submit_order(make_order("BAD-1", symbol="NOPE"))


def test_only_new_orders_can_be_submitted(broker: IbkrBroker) -> None:
    order = make_order("OLD-1")
    order.submit()

    with pytest.raises(BrokerError, match="only NEW orders"):
        broker.submit_order(order)


def test_cancelling_an_unknown_order_is_a_broker_error(broker: IbkrBroker) -> None:
    with pytest.raises(BrokerError, match="cannot cancel order NOPE-1: IB does not know it"):
        broker.cancel_order("NOPE-1")


def test_positions_and_account_summary(gateway: FakeIbGateway, broker: IbkrBroker) -> None:
    gateway.add_position("MSFT", "-20", "410.5")
    broker.submit_order(make_order("POS-1", BUY, "100"))
    collect_events(broker, 1)

    positions = {p.symbol: p for p in broker.broker_positions()}
    summary = broker.account_summary()

    assert {s: (p.quantity, p.average_cost) for s, p in positions.items()} == {
        "AAPL": (Decimal(100), Decimal("150.02")),
        "MSFT": (Decimal(-20), Decimal("410.5")),
    }
    assert positions["AAPL"].account == "DU1234567"
    expected = {"AAPL": Decimal(100), "MSFT": Decimal(-20)}
    assert broker.positions("DU1234567") == expected
    assert broker.positions("a QuantCLI account label") == expected
    assert (summary.account, summary.currency) == ("DU1234567", "USD")
    assert summary.net_liquidation == Decimal("100000.00")
    assert summary.total_cash == Decimal("85000.00")
    assert summary.buying_power == Decimal("340000.00")
    assert broker.buying_power() == Decimal("340000.00")


def test_the_async_api_runs_on_the_callers_event_loop(gateway: FakeIbGateway) -> None:
    async def trade() -> list:
        broker = AsyncIbkrBroker(fast_config(gateway.port))
        report = await broker.connect()
        assert report.is_clean
        await broker.submit_order(make_order("ASYNC-1", BUY, "10"))
        for _ in range(300):
            events = broker.drain_events()
            if events:
                break
            await asyncio.sleep(0.01)
        await broker.close()
        return events

    [fill] = asyncio.run(trade())
    assert isinstance(fill, Fill)
    assert (fill.client_order_id, fill.quantity, fill.commission) == ("ASYNC-1", 10, 1)
