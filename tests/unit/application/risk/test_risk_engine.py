"""The risk engine: checks with every rule, the order-rate window on an injected clock, loss
limits, stress tests and VaR from its config; approval never depends on rule order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from quantcli.application.risk.risk_engine import RiskEngine
from quantcli.application.risk.value_at_risk import VaRConfig
from quantcli.domain.errors import RiskError, ValidationError
from quantcli.domain.exposure_rules import (
    BuyingPowerRule,
    GrossExposureRule,
    MaxPositionRule,
    NetExposureRule,
    SectorExposureRule,
)
from quantcli.domain.fills import Fill
from quantcli.domain.loss_limits import LossLimits
from quantcli.domain.order_rules import (
    OrderNotionalRule,
    OrderRateRule,
    OrderSizeRule,
    PriceCollarRule,
    RestrictedRule,
    ShortAvailabilityRule,
)
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk_rules import RiskRule, RiskRules
from quantcli.domain.stress_scenarios import StressScenario
from quantcli.domain.trading_types import OrderSide, OrderType

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
MARKS = {"AAPL": Decimal(100), "MSFT": Decimal(100)}


@attrs.define
class FakeClock:
    """A clock the test moves by hand."""

    current: datetime = T0

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def buy(quantity: int, symbol: str = "AAPL") -> Order:
    return Order(f"O-{symbol}-{quantity}", symbol, OrderSide.BUY, Decimal(quantity), T0)


def cash(amount: int = 100_000) -> Portfolio:
    return Portfolio(Decimal(amount))


# --- check and record_submission --------------------------------------------------------------


def test_check_gives_every_verdict_and_the_first_rejection() -> None:
    engine = RiskEngine(RiskRules([OrderSizeRule(Decimal(100)), MaxPositionRule(Decimal("0.1"))]))

    decision = engine.check(buy(150), cash(), MARKS, T0)

    assert [(v.rule, v.passed) for v in decision.verdicts] == [
        ("order_size", False),
        ("max_position", False),
    ]
    assert decision.reject_reason == (
        "order_size: order AAPL BUY 150: quantity 150 > max_order_quantity 100"
    )


def test_rate_limit_follows_the_injected_clock_across_the_window_edge() -> None:
    clock = FakeClock()
    engine = RiskEngine(RiskRules([OrderRateRule(2)]), clock=clock)
    engine.record_submission()  # T0
    clock.advance(10)
    engine.record_submission()  # T0 + 10s

    clock.advance(49.999999)  # T0 + 59.999999s: both still count
    rejected = engine.check(buy(1), cash(), MARKS)
    clock.advance(0.000001)  # T0 + 60s: the first has left the window
    approved = engine.check(buy(1), cash(), MARKS)

    assert rejected.reject_reason == (
        "order_rate: order AAPL BUY 1 would be order 3 in the last 60s > max 2 per 60s"
    )
    assert approved.approved
    assert engine.recent_submissions == (T0 + timedelta(seconds=10),)


def test_checks_do_not_count_as_submissions() -> None:
    engine = RiskEngine(RiskRules([OrderRateRule(1)]))

    for _ in range(3):
        assert engine.check(buy(1), cash(), MARKS, T0).approved
    engine.record_submission(T0)

    assert not engine.check(buy(1), cash(), MARKS, T0 + timedelta(seconds=1)).approved


def test_submissions_recorded_out_of_order_still_expire_correctly() -> None:
    engine = RiskEngine(RiskRules([OrderRateRule(5)]))
    engine.record_submission(T0 + timedelta(seconds=30))
    engine.record_submission(T0)

    engine.check(buy(1), cash(), MARKS, T0 + timedelta(seconds=60))

    assert engine.recent_submissions == (T0 + timedelta(seconds=30),)


def test_without_a_rate_rule_no_submission_is_kept() -> None:
    engine = RiskEngine(RiskRules([]))
    engine.record_submission(T0)

    assert engine.recent_submissions == ()


def test_broker_buying_power_and_locates_reach_the_rules() -> None:
    engine = RiskEngine(
        RiskRules([BuyingPowerRule(Decimal(2)), ShortAvailabilityRule(require_locate=True)])
    )
    short = Order("O-S", "AAPL", OrderSide.SELL, Decimal(100), T0)

    low_power = engine.check(buy(100), cash(), MARKS, T0, buying_power=Decimal(9_999))
    located = engine.check(short, cash(), MARKS, T0, locates={"AAPL": Decimal(100)})
    not_located = engine.check(short, cash(), MARKS, T0)

    assert low_power.rejection is not None
    assert low_power.rejection.rule == "buying_power"
    assert located.approved
    assert not_located.reject_reason == (
        "short_availability: order AAPL SELL 100 would short 100 shares but only 0 are located "
        "(locate required)"
    )


def test_now_is_needed_and_must_be_utc() -> None:
    engine = RiskEngine(RiskRules([]))

    with pytest.raises(ValidationError, match="now: not given and the risk engine has no clock"):
        engine.record_submission()
    with pytest.raises(ValidationError, match="now: 2024-01-02T14:30:00 is not timezone-aware"):
        engine.check(buy(1), cash(), MARKS, T0.replace(tzinfo=None))


# --- loss limits, stress, VaR -----------------------------------------------------------------


def test_loss_limit_breach_reports_the_first_limit_breached() -> None:
    engine = RiskEngine(
        RiskRules([]), loss_limits=LossLimits(daily=Decimal("0.03"), max_drawdown=Decimal("0.2"))
    )
    day = datetime(2024, 3, 4, 21, tzinfo=UTC)
    history = [(day, Decimal(100_000)), (day + timedelta(hours=18), Decimal(97_500))]

    assert engine.loss_limit_breach(history) is None
    history.append((day + timedelta(hours=19), Decimal(75_000)))
    breach = engine.loss_limit_breach(history)
    assert breach is not None
    assert (breach.name, breach.value, breach.limit) == ("daily", Decimal("0.25"), Decimal("0.03"))
    assert [b.name for b in engine.loss_limit_breaches(history)] == ["daily", "max_drawdown"]


def test_loss_limits_use_the_engines_session_calendar() -> None:
    engine = RiskEngine(
        RiskRules([]),
        loss_limits=LossLimits(daily=Decimal("0.03")),
        session_of=lambda stamp: (stamp + timedelta(hours=2)).date(),
    )
    day = datetime(2024, 3, 4, tzinfo=UTC)
    history = [
        (day + timedelta(hours=1), Decimal(100_000)),
        (day + timedelta(hours=21), Decimal(98_000)),
        (day + timedelta(hours=23), Decimal(96_000)),
    ]

    assert engine.loss_limit_breach(history) is None


def held(**quantities: int) -> Portfolio:
    portfolio = cash()
    for n, (symbol, quantity) in enumerate(quantities.items()):
        side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
        portfolio.apply_fill(
            Fill(f"F{n}", f"O{n}", symbol, side, Decimal(abs(quantity)), Decimal(100), 0, T0)
        )
    return portfolio


def test_stress_test_applies_the_configured_scenarios_to_the_book() -> None:
    engine = RiskEngine(
        RiskRules([]),
        stress_scenarios=(
            StressScenario("crash", {"*": Decimal("-0.3"), "sector:tech": Decimal("-0.5")}),
        ),
        sectors={"AAPL": "tech"},
    )

    (result,) = engine.stress_test(held(AAPL=100, MSFT=-200), {**MARKS, "AAPL": Decimal(120)})

    # AAPL 12 000 × -0.5 = -6 000; MSFT short -20 000 × -0.3 = +6 000.
    assert result.pnl_by_symbol == {"AAPL": Decimal(-6_000), "MSFT": Decimal(6_000)}
    assert result.pnl == 0


def test_value_at_risk_of_the_book_by_the_engines_config() -> None:
    engine = RiskEngine(RiskRules([]), var_config=VaRConfig(confidence=0.75))
    returns = pd.DataFrame({"AAPL": [0.01, -0.02, 0.03, 0.00], "MSFT": [0.0, 0.0, 0.0, -0.01]})

    result = engine.value_at_risk(held(AAPL=100, MSFT=-100), MARKS, returns)

    # P&L 100, -200, 300, 100: the worst of 4 at 75%.
    assert result.value_at_risk == pytest.approx(200.0)
    with pytest.raises(RiskError, match="no open positions"):
        engine.value_at_risk(cash(), MARKS, returns)


# --- property: approval is the conjunction of the rules, in any order ---------------------------

SYMBOLS = ("AAPL", "MSFT", "XOM")
fractions = st.decimals(min_value="0.05", max_value="3", places=2)


@st.composite
def rule_sets(draw: st.DrawFn) -> list[RiskRule]:
    candidates: list[RiskRule] = [
        MaxPositionRule(draw(fractions)),
        SectorExposureRule(draw(fractions), {"AAPL": "tech", "MSFT": "tech", "XOM": "energy"}),
        GrossExposureRule(draw(fractions)),
        NetExposureRule(draw(fractions)),
        BuyingPowerRule(draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(4)]))),
        OrderSizeRule(Decimal(draw(st.integers(1, 2_000)))),
        OrderNotionalRule(Decimal(draw(st.integers(1_000, 200_000)))),
        PriceCollarRule(draw(st.decimals(min_value="0.01", max_value="1", places=2))),
        OrderRateRule(draw(st.integers(1, 4))),
        RestrictedRule(frozenset(draw(st.sets(st.sampled_from(SYMBOLS), max_size=1)))),
        ShortAvailabilityRule(
            require_locate=draw(st.booleans()),
            shortable=draw(st.none() | st.frozensets(st.sampled_from(SYMBOLS))),
        ),
    ]
    return draw(st.lists(st.sampled_from(candidates), min_size=1, unique=True))


@st.composite
def books(draw: st.DrawFn) -> tuple[Portfolio, dict[str, Decimal]]:
    portfolio = Portfolio(Decimal(draw(st.integers(-10_000, 200_000))))
    marks = {s: Decimal(draw(st.integers(1, 300))) for s in SYMBOLS}
    for n, symbol in enumerate(SYMBOLS):
        quantity = draw(st.integers(-500, 500))
        if quantity:
            side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
            portfolio.apply_fill(
                Fill(f"F{n}", f"B{n}", symbol, side, Decimal(abs(quantity)), marks[symbol], 0, T0)
            )
    return portfolio, marks


@st.composite
def orders(draw: st.DrawFn) -> Order:
    limit = draw(st.none() | st.integers(1, 400))
    return Order(
        "O-1",
        draw(st.sampled_from(SYMBOLS)),
        draw(st.sampled_from(OrderSide)),
        Decimal(draw(st.integers(1, 1_500))),
        T0,
        order_type=OrderType.MARKET if limit is None else OrderType.LIMIT,
        limit_price=None if limit is None else Decimal(limit),
    )


@settings(max_examples=150, deadline=None)
@given(rules=rule_sets(), book=books(), order=orders(), data=st.data())
def test_engine_approves_only_what_every_rule_alone_approves_in_any_order(
    rules: list[RiskRule],
    book: tuple[Portfolio, dict[str, Decimal]],
    order: Order,
    data: st.DataObject,
) -> None:
    portfolio, marks = book
    now = T0 + timedelta(minutes=5)
    submitted_seconds_ago = data.draw(st.lists(st.integers(0, 120), max_size=5))
    locates = {order.symbol: Decimal(data.draw(st.integers(0, 1_000)))}

    def engine_of(chosen: list[RiskRule]) -> RiskEngine:
        engine = RiskEngine(RiskRules(chosen))
        for seconds in submitted_seconds_ago:
            engine.record_submission(now - timedelta(seconds=seconds))
        return engine

    decision = engine_of(rules).check(order, portfolio, marks, now, locates=locates)
    alone = [
        engine_of([rule]).check(order, portfolio, marks, now, locates=locates).approved
        for rule in rules
    ]
    shuffled = data.draw(st.permutations(rules))
    reordered = engine_of(shuffled).check(order, portfolio, marks, now, locates=locates)

    event("approved" if decision.approved else f"rejected by {len(alone) - sum(alone)} rule(s)")
    assert decision.approved == all(alone)
    if not all(alone):
        assert decision.rejection is not None
        assert decision.rejection.rule == rules[alone.index(False)].name
    assert reordered.approved == decision.approved
    assert set(reordered.verdicts) == set(decision.verdicts)
