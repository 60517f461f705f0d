"""Commission schedule and slippage model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderSide


def test_default_commission_charges_the_minimum_on_a_small_fill() -> None:
    # 100 × 0.005 = 0.50 < minimum 1.00
    assert CommissionSchedule().commission(Decimal(100), Decimal(50)) == Decimal("1.00")


def test_default_commission_charges_per_share_above_the_minimum() -> None:
    # 1 000 × 0.005 = 5.000
    assert CommissionSchedule().commission(Decimal(1000), Decimal(50)) == Decimal("5.000")


def test_commission_adds_basis_points_of_notional() -> None:
    schedule = CommissionSchedule(per_share=Decimal("0.01"), minimum=Decimal(1), bps=Decimal(2))
    # max(300 × 0.01, 1) + 2 × 300 × 25.50 / 10 000 = 3.00 + 1.53
    assert schedule.commission(Decimal(300), Decimal("25.50")) == Decimal("4.53")


def test_commission_uses_the_absolute_quantity() -> None:
    schedule = CommissionSchedule()
    assert schedule.commission(Decimal(-1000), Decimal(50)) == Decimal("5.000")


def test_empty_fill_pays_no_commission() -> None:
    assert CommissionSchedule(bps=Decimal(5)).commission(Decimal(0), Decimal(50)) == 0


@pytest.mark.parametrize("field", ["per_share", "minimum", "bps"])
def test_negative_commission_parameter_is_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} -0.1 is negative"):
        CommissionSchedule(**{field: Decimal("-0.1")})


def test_slippage_moves_a_buy_up_and_a_sell_down() -> None:
    slippage = SlippageModel(bps=Decimal(10))
    assert slippage.fill_price(Decimal(100), OrderSide.BUY) == Decimal("100.1")
    assert slippage.fill_price(Decimal(100), OrderSide.SELL) == Decimal("99.9")


def test_zero_slippage_fills_at_the_reference_price() -> None:
    assert SlippageModel().fill_price(Decimal("187.23"), OrderSide.BUY) == Decimal("187.23")


def test_negative_slippage_is_rejected() -> None:
    with pytest.raises(ValidationError, match="bps -1 is negative"):
        SlippageModel(bps=Decimal(-1))
