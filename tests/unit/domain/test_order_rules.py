"""Order rules: size, notional, price collar, rate, restricted list and short availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.fills import Fill
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
from quantcli.domain.risk_rules import RiskContext, RuleVerdict
from quantcli.domain.trading_types import OrderSide, OrderType

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def order(
    side: OrderSide,
    quantity: int,
    *,
    limit: str | None = None,
    stop: str | None = None,
    symbol: str = "AAPL",
) -> Order:
    kinds = {
        (False, False): OrderType.MARKET,
        (True, False): OrderType.LIMIT,
        (False, True): OrderType.STOP,
        (True, True): OrderType.STOP_LIMIT,
    }
    return Order(
        "O-1",
        symbol,
        side,
        Decimal(quantity),
        T0,
        order_type=kinds[(limit is not None, stop is not None)],
        limit_price=None if limit is None else Decimal(limit),
        stop_price=None if stop is None else Decimal(stop),
    )


def context(
    held: int = 0,
    *,
    submissions: tuple[datetime, ...] = (),
    locates: dict[str, int] | None = None,
) -> RiskContext:
    """100 000 in cash before trading `held` AAPL at 100 (negative: short); AAPL last at 100."""
    portfolio = Portfolio(Decimal(100_000))
    if held:
        side = BUY if held > 0 else SELL
        portfolio.apply_fill(
            Fill("F", "B", "AAPL", side, Decimal(abs(held)), Decimal(100), Decimal(0), T0)
        )
    return RiskContext(
        portfolio,
        {"AAPL": Decimal(100)},
        T0,
        recent_submissions=submissions,
        locates={s: Decimal(q) for s, q in (locates or {}).items()},
    )


# --- order_size and order_notional ------------------------------------------------------------


def test_order_size_on_both_sides_of_the_limit() -> None:
    rule = OrderSizeRule(Decimal(100))

    assert rule.evaluate(order(BUY, 100), context()) == RuleVerdict(
        "order_size", True, "order AAPL BUY 100: quantity 100 <= max_order_quantity 100"
    )
    assert rule.evaluate(order(SELL, 101), context()) == RuleVerdict(
        "order_size", False, "order AAPL SELL 101: quantity 101 > max_order_quantity 100"
    )


def test_order_notional_on_both_sides_of_the_limit() -> None:
    rule = OrderNotionalRule(Decimal(25_000))

    assert rule.evaluate(order(BUY, 250), context()) == RuleVerdict(
        "order_notional",
        True,
        "order AAPL BUY 250: notional 25000.00 at 100 <= max_order_notional 25000.00",
    )
    assert rule.evaluate(order(BUY, 251), context()) == RuleVerdict(
        "order_notional",
        False,
        "order AAPL BUY 251: notional 25100.00 at 100 > max_order_notional 25000.00",
    )


def test_order_notional_values_a_limit_order_at_its_limit() -> None:
    verdict = OrderNotionalRule(Decimal(25_000)).evaluate(order(BUY, 200, limit="130"), context())

    assert verdict.reason == (
        "order AAPL BUY 200: notional 26000.00 at 130 > max_order_notional 25000.00"
    )


# --- price_collar -----------------------------------------------------------------------------

COLLAR = PriceCollarRule(Decimal("0.05"))


def test_price_collar_passes_a_limit_at_the_collar() -> None:
    assert COLLAR.evaluate(order(BUY, 10, limit="105"), context()) == RuleVerdict(
        "price_collar",
        True,
        "order AAPL BUY 10: limit_price 105 is 5.0% from last price 100 <= price_collar 5.0%",
    )


def test_price_collar_rejects_a_limit_just_beyond_it() -> None:
    assert COLLAR.evaluate(order(BUY, 10, limit="105.01"), context()) == RuleVerdict(
        "price_collar",
        False,
        "order AAPL BUY 10: limit_price 105.01 is 5.01% from last price 100 > price_collar 5.00%",
    )


def test_price_collar_checks_stop_prices_below_the_market_too() -> None:
    verdict = COLLAR.evaluate(order(SELL, 10, stop="94"), context())

    assert verdict.reason == (
        "order AAPL SELL 10: stop_price 94 is 6.0% from last price 100 > price_collar 5.0%"
    )


def test_price_collar_names_the_stop_limit_price_furthest_from_the_market() -> None:
    verdict = COLLAR.evaluate(order(BUY, 10, stop="101", limit="90"), context())

    assert not verdict.passed
    assert "limit_price 90 is 10.0% from last price 100" in verdict.reason


def test_price_collar_passes_a_market_order() -> None:
    assert COLLAR.evaluate(order(BUY, 10), context()) == RuleVerdict(
        "price_collar", True, "order AAPL BUY 10: no limit or stop price"
    )


@pytest.mark.parametrize("collar", ["0", "1.5", "-0.1"])
def test_price_collar_must_be_a_fraction(collar: str) -> None:
    with pytest.raises(ValidationError, match=rf"price_collar: {collar} is not in \(0, 1\]"):
        PriceCollarRule(Decimal(collar))


# --- order_rate -------------------------------------------------------------------------------

RATE = OrderRateRule(3)


def test_order_rate_passes_the_last_order_the_window_allows() -> None:
    submissions = (T0 - timedelta(seconds=59), T0 - timedelta(seconds=30))

    assert RATE.evaluate(order(BUY, 10), context(submissions=submissions)) == RuleVerdict(
        "order_rate", True, "order AAPL BUY 10 would be order 3 in the last 60s <= max 3 per 60s"
    )


def test_order_rate_rejects_one_order_more() -> None:
    submissions = (T0 - timedelta(seconds=59), T0 - timedelta(seconds=30), T0)

    assert RATE.evaluate(order(BUY, 10), context(submissions=submissions)) == RuleVerdict(
        "order_rate", False, "order AAPL BUY 10 would be order 4 in the last 60s > max 3 per 60s"
    )


def test_a_submission_exactly_one_window_old_has_left_the_window() -> None:
    just_left = T0 - timedelta(minutes=1)
    just_inside = T0 - timedelta(minutes=1) + timedelta(microseconds=1)
    others = (T0 - timedelta(seconds=10), T0 - timedelta(seconds=5))

    assert RATE.evaluate(order(BUY, 1), context(submissions=(just_left, *others))).passed
    assert not RATE.evaluate(order(BUY, 1), context(submissions=(just_inside, *others))).passed


def test_order_rate_window_is_configurable() -> None:
    rule = OrderRateRule(1, window=timedelta(seconds=1))

    verdict = rule.evaluate(order(BUY, 1), context(submissions=(T0 - timedelta(seconds=0.5),)))

    assert verdict.reason == "order AAPL BUY 1 would be order 2 in the last 1s > max 1 per 1s"


def test_order_rate_limit_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="max_orders: 0 is not positive"):
        OrderRateRule(0)


# --- restricted -------------------------------------------------------------------------------


def test_restricted_rejects_either_side_of_a_restricted_symbol() -> None:
    rule = RestrictedRule(frozenset({"AAPL"}))

    for side in (BUY, SELL):
        assert rule.evaluate(order(side, 1), context()) == RuleVerdict(
            "restricted", False, "AAPL is on the restricted list"
        )
    assert RestrictedRule(frozenset({"GME"})).evaluate(order(BUY, 1), context()) == RuleVerdict(
        "restricted", True, "AAPL is not on the restricted list"
    )


# --- short_availability -----------------------------------------------------------------------


def test_orders_that_open_no_short_pass() -> None:
    rule = ShortAvailabilityRule(require_locate=True, shortable=frozenset())

    assert rule.evaluate(order(BUY, 10), context()) == RuleVerdict(
        "short_availability", True, "order AAPL BUY 10 sells nothing new short"
    )
    assert rule.evaluate(order(SELL, 100), context(held=100)).passed


def test_a_short_needs_no_locate_unless_required() -> None:
    verdict = ShortAvailabilityRule().evaluate(order(SELL, 300), context(held=100))

    assert verdict == RuleVerdict(
        "short_availability", True, "order AAPL SELL 300 would short 200 shares; no locate required"
    )


def test_required_locate_must_cover_the_new_short() -> None:
    rule = ShortAvailabilityRule(require_locate=True)

    short = rule.evaluate(order(SELL, 300), context(held=100, locates={"AAPL": 199}))
    covered = rule.evaluate(order(SELL, 300), context(held=100, locates={"AAPL": 200}))

    assert short == RuleVerdict(
        "short_availability",
        False,
        "order AAPL SELL 300 would short 200 shares but only 199 are located (locate required)",
    )
    assert covered == RuleVerdict(
        "short_availability",
        True,
        "order AAPL SELL 300 would short 200 shares, 200 located (locate required)",
    )


def test_without_a_locate_nothing_is_located() -> None:
    verdict = ShortAvailabilityRule(require_locate=True).evaluate(order(SELL, 10), context())

    assert verdict.reason.endswith("would short 10 shares but only 0 are located (locate required)")


def test_hard_to_borrow_needs_a_locate_even_when_locates_are_not_required() -> None:
    rule = ShortAvailabilityRule(hard_to_borrow=frozenset({"AAPL"}))

    verdict = rule.evaluate(order(SELL, 50), context(held=-100, locates={"AAPL": 40}))

    assert verdict == RuleVerdict(
        "short_availability",
        False,
        "order AAPL SELL 50 would short 50 shares but only 40 are located (hard to borrow)",
    )


def test_symbols_off_the_shortable_list_cannot_be_shorted() -> None:
    rule = ShortAvailabilityRule(shortable=frozenset({"MSFT"}))

    verdict = rule.evaluate(order(SELL, 300), context(held=100, locates={"AAPL": 1000}))

    assert verdict == RuleVerdict(
        "short_availability",
        False,
        "order AAPL SELL 300 would short 200 shares; AAPL is not on the shortable list",
    )
