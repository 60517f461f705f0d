"""The rule collection: every rule runs, the first rejection is reported, inputs are checked."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantcli.domain.errors import RiskError, ValidationError
from quantcli.domain.exposure_rules import MaxPositionRule
from quantcli.domain.fills import Fill
from quantcli.domain.order_rules import OrderNotionalRule, OrderSizeRule, RestrictedRule
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk_rules import RiskContext, RiskDecision, RiskRules, RuleVerdict
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
MARKS = {"AAPL": Decimal(100)}

RULES = RiskRules(
    [
        RestrictedRule(frozenset({"GME"})),
        OrderSizeRule(Decimal(100)),
        OrderNotionalRule(Decimal(5_000)),
        MaxPositionRule(Decimal("0.10")),
    ]
)


def buy(quantity: int, symbol: str = "AAPL") -> Order:
    return Order("O-1", symbol, OrderSide.BUY, Decimal(quantity), T0)


def context(marks: dict[str, Decimal] = MARKS, portfolio: Portfolio | None = None) -> RiskContext:
    return RiskContext(portfolio or Portfolio(Decimal(100_000)), marks, T0)


def test_an_order_every_rule_passes_is_approved_with_all_verdicts() -> None:
    decision = RULES.evaluate(buy(10), context())

    assert decision.approved
    assert decision.rejection is None
    assert decision.reject_reason is None
    assert [v.rule for v in decision.verdicts] == [
        "restricted",
        "order_size",
        "order_notional",
        "max_position",
    ]
    assert all(v.passed for v in decision.verdicts)


def test_the_first_rejection_is_reported_and_every_rule_still_runs() -> None:
    decision = RULES.evaluate(buy(200), context())

    assert not decision.approved
    assert decision.rejection == RuleVerdict(
        "order_size", False, "order AAPL BUY 200: quantity 200 > max_order_quantity 100"
    )
    assert [v.rule for v in decision.rejections] == ["order_size", "order_notional", "max_position"]
    assert len(decision.verdicts) == 4
    assert decision.reject_reason == (
        "order_size: order AAPL BUY 200: quantity 200 > max_order_quantity 100"
    )


def test_a_rejected_order_records_the_rule_and_reason() -> None:
    an_order = buy(200)
    decision = RULES.evaluate(an_order, context())

    assert decision.reject_reason is not None
    an_order.reject(decision.reject_reason, T0)

    assert an_order.reject_reason == (
        "order_size: order AAPL BUY 200: quantity 200 > max_order_quantity 100"
    )


def test_no_rules_approve_everything() -> None:
    assert RiskRules([]).evaluate(buy(10**6), context()) == RiskDecision(())


def test_rule_names_must_be_distinct() -> None:
    with pytest.raises(ValidationError, match="rules: order_size appears twice"):
        RiskRules([OrderSizeRule(Decimal(1)), OrderSizeRule(Decimal(2))])


def test_an_order_without_a_last_price_cannot_be_checked() -> None:
    with pytest.raises(RiskError, match="marks: no last price for MSFT"):
        RULES.evaluate(buy(1, "MSFT"), context())


def test_context_needs_a_last_price_for_every_holding() -> None:
    portfolio = Portfolio(Decimal(100_000))
    portfolio.apply_fill(
        Fill("F", "B", "MSFT", OrderSide.BUY, Decimal(1), Decimal(10), Decimal(0), T0)
    )

    with pytest.raises(ValidationError, match="marks: no last price for MSFT, which the portfolio"):
        context(portfolio=portfolio)


def test_context_rejects_non_positive_marks_negative_locates_and_naive_times() -> None:
    with pytest.raises(ValidationError, match=r"marks\[AAPL\]: last price 0 is not positive"):
        context(marks={"AAPL": Decimal(0)})
    with pytest.raises(ValidationError, match=r"locates\[AAPL\]: -1 is negative"):
        RiskContext(Portfolio(Decimal(1)), MARKS, T0, locates={"AAPL": Decimal(-1)})
    with pytest.raises(ValidationError, match="now: 2024-01-02T14:30:00 is not timezone-aware"):
        RiskContext(Portfolio(Decimal(1)), MARKS, T0.replace(tzinfo=None))
    with pytest.raises(ValidationError, match=r"recent_submissions\[0\]: .* not timezone-aware"):
        RiskContext(Portfolio(Decimal(1)), MARKS, T0, recent_submissions=(datetime(2024, 1, 1),))
