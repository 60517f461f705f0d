"""Sizing rules: weight to shares, volatility target, fractional Kelly."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.sizing import (
    fractional_kelly_weight,
    rebalance_quantity,
    shares_for_weight,
    volatility_target_weight,
)


def test_shares_for_weight_rounds_down_to_whole_shares() -> None:
    # 0.5 × 100 000 / 33 = 1 515.15…
    assert shares_for_weight(0.5, Decimal(100_000), Decimal(33)) == Decimal(1515)


def test_shares_for_a_short_weight_round_toward_zero() -> None:
    assert shares_for_weight(-0.5, Decimal(100_000), Decimal(33)) == Decimal(-1515)


def test_shares_for_weight_uses_the_weight_as_written() -> None:
    # 0.3 as a binary float is 0.29999…; through its repr it is exactly 0.3, so 3 000 / 10 = 300.
    assert shares_for_weight(0.3, Decimal(10_000), Decimal(10)) == Decimal(300)


def test_zero_weight_gives_no_shares() -> None:
    assert shares_for_weight(0.0, Decimal(100_000), Decimal(33)) == 0


@pytest.mark.parametrize("price", [Decimal(0), Decimal(-1)])
def test_shares_for_weight_rejects_a_non_positive_price(price: Decimal) -> None:
    with pytest.raises(ValidationError, match=f"price {price} is not positive"):
        shares_for_weight(0.5, Decimal(100_000), price)


def test_volatility_target_scales_by_target_over_realized_volatility() -> None:
    assert volatility_target_weight(1, 0.40, 0.10, 1.0) == pytest.approx(0.25)
    assert volatility_target_weight(-1, 0.40, 0.10, 1.0) == pytest.approx(-0.25)


def test_volatility_target_weight_is_capped_in_absolute_value() -> None:
    assert volatility_target_weight(1, 0.05, 0.10, 0.5) == 0.5
    assert volatility_target_weight(-1, 0.05, 0.10, 0.5) == -0.5


def test_flat_direction_gives_zero_weight() -> None:
    assert volatility_target_weight(0, 0.2, 0.1, 1.0) == 0.0


@pytest.mark.parametrize("volatility", [0.0, -0.1, math.nan, math.inf])
def test_unusable_volatility_gives_zero_weight(volatility: float) -> None:
    assert volatility_target_weight(1, volatility, 0.1, 1.0) == 0.0


def test_kelly_weight_is_the_kelly_bet_scaled_by_the_fraction() -> None:
    # p = 0.6, b = 1: full Kelly 0.6 - 0.4 = 0.2; half Kelly 0.1
    assert fractional_kelly_weight(0.6, 1.0, 0.5, 1.0) == pytest.approx(0.1)
    # p = 0.5, b = 2: 0.5 - 0.5 / 2 = 0.25
    assert fractional_kelly_weight(0.5, 2.0, 1.0, 1.0) == pytest.approx(0.25)


def test_kelly_weight_is_negative_when_the_edge_is_against_us() -> None:
    # p = 0.3, b = 1: 0.3 - 0.7 = -0.4
    assert fractional_kelly_weight(0.3, 1.0, 1.0, 1.0) == pytest.approx(-0.4)


def test_kelly_weight_is_capped_on_both_sides() -> None:
    assert fractional_kelly_weight(0.9, 1.0, 1.0, 0.25) == 0.25
    assert fractional_kelly_weight(0.1, 1.0, 1.0, 0.25) == -0.25


@pytest.mark.parametrize("probability", [-0.01, 1.01, math.nan])
def test_kelly_rejects_a_probability_outside_zero_one(probability: float) -> None:
    with pytest.raises(ValidationError, match="probability_up"):
        fractional_kelly_weight(probability, 1.0, 0.5, 1.0)


@pytest.mark.parametrize("payoff_ratio", [0.0, -1.0])
def test_kelly_rejects_a_non_positive_payoff_ratio(payoff_ratio: float) -> None:
    with pytest.raises(ValidationError, match="payoff_ratio"):
        fractional_kelly_weight(0.6, payoff_ratio, 0.5, 1.0)


def test_rebalance_quantity_skips_a_same_side_resize_inside_the_band() -> None:
    # Target trunc(0.052 × 10 000 / 10) = 52 vs 50 held: 20 of value < 0.005 × 10 000 = 50.
    assert rebalance_quantity(0.052, Decimal(50), Decimal(10_000), Decimal(10), 0.005) == 0


def test_rebalance_quantity_trades_a_same_side_resize_outside_the_band() -> None:
    assert rebalance_quantity(0.06, Decimal(50), Decimal(10_000), Decimal(10), 0.005) == 10


@pytest.mark.parametrize(
    ("weight", "held", "expected"),
    [(0.001, Decimal(0), Decimal(1)), (0.0, Decimal(3), Decimal(-3)), (-0.001, Decimal(3), -4)],
    ids=["opening", "closing", "flipping"],
)
def test_rebalance_quantity_always_opens_closes_and_flips(
    weight: float, held: Decimal, expected: Decimal
) -> None:
    assert rebalance_quantity(weight, held, Decimal(10_000), Decimal(10), 0.5) == expected
