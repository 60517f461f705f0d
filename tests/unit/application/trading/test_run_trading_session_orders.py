"""TradingSession with an order template: limit prices off the close, time in force, the price
collar on the limit, and flatten orders that stay MARKET DAY."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from quantcli.application.risk.kill_switch import KillSwitch, KillSwitchPolicy, record_trip
from quantcli.application.risk.risk_engine import RiskEngine, RiskEngineCheck
from quantcli.application.trading.run_trading_session import TradingSession
from quantcli.domain.bar import Bar
from quantcli.domain.fills import Fill
from quantcli.domain.kill_switch import KillTrigger
from quantcli.domain.order_rules import PriceCollarRule
from quantcli.domain.order_template import OrderTemplate
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.risk_rules import RiskRules
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

ACCOUNT = "paper-1"
CASH = Decimal(100_000)


def day(number: int) -> datetime:
    return datetime(2024, 1, number, tzinfo=UTC)


def bars_at(fakes: ModuleType, moment: datetime, **closes: float) -> dict[str, Bar]:
    return {symbol: fakes.bar(symbol, moment, close, close) for symbol, close in closes.items()}


def signal(symbol: str, moment: datetime, weight: float) -> Signal:
    return Signal(symbol, moment, weight, 0.5 + weight / 2)


def limit(offset_bps: int, tif: TimeInForce = TimeInForce.GTC) -> OrderTemplate:
    return OrderTemplate(OrderType.LIMIT, tif, Decimal(offset_bps))


def holding_aaa(shares: int = 200) -> Portfolio:
    portfolio = Portfolio(cash=CASH - shares * Decimal(50))
    portfolio.apply_fill(
        Fill("F0", "seed", "AAA", OrderSide.BUY, Decimal(shares), Decimal(50), Decimal(0), day(1))
    )
    return portfolio


def make_session(
    fakes: ModuleType,
    signals: Mapping[datetime, Sequence[Signal]],
    template: OrderTemplate | None,
    **fields: Any,
) -> TradingSession:
    ledger = fakes.FakeLedger()
    return TradingSession(
        account=ACCOUNT,
        broker=fakes.FakeBroker(ledger, **fields.pop("broker_options", {})),
        ledger=ledger,
        limits=RiskLimits(),
        signal_source=lambda moment: list(signals.get(moment, [])),
        portfolio=fields.pop("portfolio", None) or Portfolio(cash=CASH),
        order_template=template,
        **fields,
    )


def test_without_a_template_signals_still_become_market_day_orders(fakes: ModuleType) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, None)

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (order,) = session.broker.submitted
    assert (order.order_type, order.time_in_force, order.limit_price) == (
        OrderType.MARKET,
        TimeInForce.DAY,
        None,
    )


def test_a_buy_reaches_the_broker_as_a_limit_above_the_close(fakes: ModuleType) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, limit(50))

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (order,) = session.broker.submitted
    assert (order.side, order.quantity) == (OrderSide.BUY, Decimal(200))  # sized on the close
    assert order.order_type is OrderType.LIMIT
    assert order.time_in_force is TimeInForce.GTC
    assert order.limit_price == Decimal("50.25")  # 50 × (1 + 50 bps)
    # Saved with its price before the broker saw it.
    assert session.broker.ledger_status_at_submit[order.client_order_id] is OrderStatus.NEW
    saved = session.ledger.order(order.client_order_id)
    assert saved is not None
    assert saved.limit_price == Decimal("50.25")


def test_a_sell_reaches_the_broker_as_a_limit_below_the_close(fakes: ModuleType) -> None:
    session = make_session(
        fakes, {day(2): [signal("AAA", day(2), 0.0)]}, limit(50), portfolio=holding_aaa()
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (order,) = session.broker.submitted
    assert (order.side, order.quantity) == (OrderSide.SELL, Decimal(200))
    assert order.limit_price == Decimal("49.75")


def test_the_limit_price_is_rounded_to_the_cent_within_the_cap(fakes: ModuleType) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, limit(7))

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=33.3333))

    (order,) = session.broker.submitted
    assert order.limit_price == Decimal("33.35")  # 33.3333 × 1.0007 = 33.35663... → 33.35


@pytest.mark.parametrize("tif", list(TimeInForce))
def test_the_template_time_in_force_reaches_the_broker(fakes: ModuleType, tif: TimeInForce) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, limit(10, tif))

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    assert [o.time_in_force for o in session.broker.submitted] == [tif]


def test_a_working_gtc_limit_counts_as_held_so_the_next_bar_does_not_order_again(
    fakes: ModuleType,
) -> None:
    target = signal("AAA", day(2), 0.1)
    session = make_session(
        fakes, {day(2): [target], day(3): [signal("AAA", day(3), 0.1)]}, limit(10)
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))
    session.on_bars(day(3), bars_at(fakes, day(3), AAA=50.0))  # the fake broker fills nothing

    assert len(session.broker.submitted) == 1
    assert session.summary().open_orders == 1


@pytest.mark.parametrize(("offset", "approved"), [(50, True), (200, False)])
def test_the_price_collar_judges_the_limit_price(
    fakes: ModuleType, offset: int, approved: bool
) -> None:
    collar = RiskEngineCheck(RiskEngine(RiskRules((PriceCollarRule(Decimal("0.01")),))))
    session = make_session(
        fakes, {day(2): [signal("AAA", day(2), 0.1)]}, limit(offset), risk_check=collar
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (order,) = session.ledger.orders()
    assert bool(session.broker.submitted) is approved
    if approved:
        assert order.status is OrderStatus.SUBMITTED
    else:
        assert order.status is OrderStatus.REJECTED
        assert order.reject_reason is not None
        assert "price_collar" in order.reject_reason
        assert "limit_price 51.00 is 2.0% from last price 50" in order.reject_reason


def test_flatten_orders_stay_market_day_whatever_the_template(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = make_session(
        fakes,
        {},
        limit(10, TimeInForce.GTC),
        broker_options={"fill_at_open": True, "confirm_cancels": True},
        portfolio=holding_aaa(300),
        kill_switch=KillSwitch(store, KillSwitchPolicy()),
    )
    record_trip(store, KillTrigger.MANUAL, "halt", "alice", day(1), flatten=True)

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (flatten,) = session.broker.submitted
    assert flatten.client_order_id.endswith("-FLAT")
    assert (flatten.side, flatten.quantity) == (OrderSide.SELL, Decimal(300))
    assert (flatten.order_type, flatten.time_in_force, flatten.limit_price) == (
        OrderType.MARKET,
        TimeInForce.DAY,
        None,
    )
