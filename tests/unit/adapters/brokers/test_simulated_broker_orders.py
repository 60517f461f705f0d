"""The simulated broker's order management: participation caps (partial fills), the kernel's cost
models, modify, lookup by client id, positions, and a durable book across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.application.trading.ports import OrderAmended, OrderCancelled
from quantcli.domain.bar import Bar
from quantcli.domain.cost_models import (
    CommissionTier,
    MarketImpact,
    PerShareCommission,
    SlippageCosts,
)
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import BrokerError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

T0 = datetime(2024, 1, 30, tzinfo=UTC)
FREE = CommissionSchedule(Decimal(0), Decimal(0))


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def bar(
    n: int, open_: float = 50.0, volume: float = 1_000.0, symbol: str = "AAA"
) -> dict[str, Bar]:
    return {symbol: Bar(symbol, day(n), open_, open_ * 1.02, open_ * 0.98, open_, volume)}


def order(
    client_order_id: str = "O-1",
    quantity: int = 500,
    side: OrderSide = OrderSide.BUY,
    tif: TimeInForce = TimeInForce.GTC,
    account: str | None = "acct",
    **extra: object,
) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol="AAA",
        side=side,
        quantity=Decimal(quantity),
        created_at=day(0),
        time_in_force=tif,
        account=account,
        **extra,  # type: ignore[arg-type]
    )


def fills_of(broker: SimulatedBroker) -> list[Fill]:
    return [e for e in broker.drain_events() if isinstance(e, Fill)]


# --- partial fills ----------------------------------------------------------------------------


def test_the_participation_cap_fills_part_of_an_order_per_bar_until_it_is_done() -> None:
    broker = SimulatedBroker(FREE, SlippageModel(), participation_rate=Decimal("0.2"))
    broker.submit_order(order(quantity=500))

    for n in (1, 2, 3):
        broker.on_market_data(bar(n, volume=1_000))

    assert [(f.fill_id, f.quantity) for f in fills_of(broker)] == [
        ("O-1-F1", Decimal(200)),
        ("O-1-F2", Decimal(200)),
        ("O-1-F3", Decimal(100)),
    ]
    assert broker.lookup_order("O-1").order.status is OrderStatus.FILLED


def test_orders_on_one_symbol_share_its_cap_in_submission_order() -> None:
    broker = SimulatedBroker(FREE, SlippageModel(), participation_rate=Decimal("0.1"))
    broker.submit_order(order("O-1", quantity=80))
    broker.submit_order(order("O-2", quantity=80))

    broker.on_market_data(bar(1, volume=1_000))

    assert [(f.client_order_id, f.quantity) for f in fills_of(broker)] == [
        ("O-1", Decimal(80)),
        ("O-2", Decimal(20)),
    ]


def test_a_day_order_partly_filled_by_the_cap_expires_with_the_rest() -> None:
    broker = SimulatedBroker(FREE, SlippageModel(), participation_rate=Decimal("0.1"))
    broker.submit_order(order(quantity=500, tif=TimeInForce.DAY))

    broker.on_market_data(bar(1, volume=1_000))

    events = broker.drain_events()
    assert events[-1] == OrderCancelled("O-1", "DAY order expired with 400 of 500 unfilled", day(1))
    assert broker.lookup_order("O-1").order.filled_quantity == Decimal(100)


# --- costs: the kernel's models ---------------------------------------------------------------


def test_spread_volume_slippage_and_temporary_impact_move_a_market_fill() -> None:
    slippage = SlippageCosts(fixed_bps=Decimal(2), spread_bps=Decimal(10), volume_k=Decimal("0.1"))
    broker = SimulatedBroker(FREE, slippage, impact=MarketImpact(temporary_eta=Decimal("0.05")))
    broker.submit_order(order(quantity=100, side=OrderSide.SELL))

    broker.on_market_data(bar(1, open_=50.0, volume=10_000))

    (fill,) = fills_of(broker)
    # p = 100 / 10 000 = 0.01: 2 bps + 5 bps + 0.1 × 0.01 + 0.05 × 0.01 = 0.0022 against a sell.
    assert fill.price == Decimal("50.0") * (1 - Decimal("0.0022"))


def test_limit_fills_take_no_slippage() -> None:
    slippage = SlippageCosts(fixed_bps=Decimal(20), spread_bps=Decimal(10))
    broker = SimulatedBroker(FREE, slippage)
    broker.submit_order(order(order_type=OrderType.LIMIT, limit_price=Decimal(51)))
    broker.on_market_data(bar(1, open_=50.0))
    assert fills_of(broker)[0].price == Decimal("50.0")


def test_commission_caps_and_monthly_tiers_follow_the_months_volume() -> None:
    commission = PerShareCommission(
        per_share=Decimal("0.005"),
        minimum=Decimal(1),
        maximum_fraction=Decimal("0.01"),
        tiers=(
            CommissionTier(Decimal(0), Decimal("0.0035")),
            CommissionTier(Decimal(300), Decimal("0.002")),
        ),
    )
    broker = SimulatedBroker(commission, SlippageModel())
    broker.submit_order(order("O-1", quantity=1_000))
    broker.on_market_data(bar(1, open_=50.0))  # January 31: first tier
    broker.submit_order(order("O-2", quantity=1_000))
    broker.on_market_data(bar(2, open_=50.0))  # February 1: the month's volume starts again
    broker.submit_order(order("O-3", quantity=1_000))
    broker.on_market_data(bar(3, open_=0.1))  # 1 000 shares of February already: second tier

    assert [f.commission for f in fills_of(broker)] == [
        Decimal("3.5000"),
        Decimal("3.5000"),
        # 1 000 × 0.002 = 2.00, capped at 1 % of 1 000 × 0.1 = 1.00
        Decimal("1.000"),
    ]


def test_square_root_or_permanent_impact_is_refused() -> None:
    with pytest.raises(ValidationError, match="temporary impact only"):
        SimulatedBroker(FREE, SlippageModel(), impact=MarketImpact(square_root_y=Decimal(1)))


def test_a_slippage_of_a_full_spread_and_more_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be below 10000"):
        SimulatedBroker(FREE, SlippageCosts(fixed_bps=Decimal(5_000), spread_bps=Decimal(10_000)))


# --- modify, lookup, positions ----------------------------------------------------------------


def test_modify_changes_a_working_order_in_place_and_reports_it() -> None:
    broker = SimulatedBroker(FREE, SlippageModel())
    broker.submit_order(order(order_type=OrderType.LIMIT, limit_price=Decimal(40)))
    broker.on_market_data(bar(1))  # no fill at 40

    broker.modify_order("O-1", quantity=Decimal(300), limit_price=Decimal(51))
    broker.on_market_data(bar(2))

    events = broker.drain_events()
    assert events[0] == OrderAmended("O-1", day(1), Decimal(300), Decimal(51), None)
    assert isinstance(events[1], Fill)
    assert events[1].quantity == Decimal(300)


def test_modify_is_refused_for_unknown_orders_bad_values_or_when_switched_off() -> None:
    broker = SimulatedBroker(FREE, SlippageModel())
    broker.submit_order(order())
    with pytest.raises(BrokerError, match="cannot modify order ghost: it is unknown"):
        broker.modify_order("ghost", quantity=Decimal(1))
    with pytest.raises(BrokerError, match="MARKET takes no limit_price"):
        broker.modify_order("O-1", limit_price=Decimal(1))
    off = SimulatedBroker(FREE, SlippageModel(), supports_modify=False)
    off.submit_order(order())
    assert not off.supports_modify
    with pytest.raises(BrokerError, match="modify is switched off"):
        off.modify_order("O-1", quantity=Decimal(1))


def test_lookup_by_client_order_id_returns_the_brokers_copy_and_fills() -> None:
    broker = SimulatedBroker(FREE, SlippageModel())
    assert broker.lookup_order("O-1") is None
    broker.submit_order(order(quantity=100))
    working = broker.lookup_order("O-1")
    assert working is not None
    assert (working.order.status, working.order.broker_order_id, working.fills) == (
        OrderStatus.SUBMITTED,
        "SIM-1",
        (),
    )
    broker.on_market_data(bar(1))

    finished = broker.lookup_order("O-1")

    assert finished is not None
    assert finished.order.status is OrderStatus.FILLED
    assert [f.fill_id for f in finished.fills] == ["O-1-F1"]


def test_positions_are_per_account_from_the_fills() -> None:
    broker = SimulatedBroker(FREE, SlippageModel())
    broker.submit_order(order("O-1", quantity=100, account="a"))
    broker.submit_order(order("O-2", quantity=30, side=OrderSide.SELL, account="a"))
    broker.submit_order(order("O-3", quantity=7, account="b"))
    broker.on_market_data(bar(1))

    assert broker.positions("a") == {"AAA": Decimal(70)}
    assert broker.positions("b") == {"AAA": Decimal(7)}
    assert broker.positions("c") == {}


def test_a_disconnected_broker_refuses_requests() -> None:
    broker = SimulatedBroker(FREE, SlippageModel())
    broker.connected = False
    assert not broker.is_connected()
    with pytest.raises(BrokerError, match="disconnected"):
        broker.submit_order(order())


def test_a_bar_already_matched_is_not_matched_again() -> None:
    broker = SimulatedBroker(FREE, SlippageModel(), participation_rate=Decimal("0.1"))
    broker.submit_order(order(quantity=500))
    broker.on_market_data(bar(1, volume=1_000))
    broker.on_market_data(bar(1, volume=1_000))  # a restarted session redoing the bar

    assert [f.quantity for f in fills_of(broker)] == [Decimal(100)]


# --- the durable book -------------------------------------------------------------------------


def journaled(path: Path) -> SimulatedBroker:
    return SimulatedBroker(
        PerShareCommission(tiers=(CommissionTier(Decimal(0), Decimal("0.01")),)),
        SlippageModel(),
        participation_rate=Decimal("0.1"),
        journal=SimulatedBrokerJournal(path / "broker.db"),
    )


def test_a_restarted_broker_knows_every_order_fill_and_its_clock(tmp_path: Path) -> None:
    first = journaled(tmp_path)
    first.submit_order(order("O-1", quantity=150))
    first.submit_order(order("O-2", quantity=10, tif=TimeInForce.DAY))
    first.on_market_data(bar(1, volume=1_000))
    first.submit_order(order("O-3", quantity=5))
    before = {i: first.lookup_order(i) for i in ("O-1", "O-2", "O-3")}

    second = journaled(tmp_path)  # the process died and came back

    assert {i: second.lookup_order(i) for i in ("O-1", "O-2", "O-3")} == before
    assert [o.client_order_id for o in second.open_orders()] == ["O-1", "O-3"]
    assert second.positions("acct") == first.positions("acct")
    with pytest.raises(BrokerError, match="already submitted"):
        second.submit_order(order("O-2"))
    second.on_market_data(bar(1, volume=1_000))  # already matched before the restart
    assert second.drain_events() == []
    second.on_market_data(bar(2, volume=1_000))
    fills = fills_of(second)
    assert [(f.fill_id, f.quantity) for f in fills] == [
        ("O-1-F2", Decimal(50)),
        ("O-3-F1", Decimal(5)),
    ]
    assert second.submit_order(order("O-4")) == "SIM-4"


def test_each_paper_account_has_its_own_book_and_clock_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.db"
    first = SimulatedBroker(FREE, SlippageModel(), journal=SimulatedBrokerJournal(path, "a"))
    first.submit_order(order("a-1", account="a"))
    first.on_market_data(bar(5))
    other = SimulatedBroker(FREE, SlippageModel(), journal=SimulatedBrokerJournal(path, "b"))
    other.submit_order(order("b-1", account="b"))

    other.on_market_data(bar(1))  # b replays earlier bars than a has seen: they still match

    assert [f.client_order_id for f in fills_of(other)] == ["b-1"]
    assert other.lookup_order("a-1") is None
    reopened = SimulatedBroker(FREE, SlippageModel(), journal=SimulatedBrokerJournal(path, "a"))
    assert reopened.positions("a") == {"AAA": Decimal(500)}
