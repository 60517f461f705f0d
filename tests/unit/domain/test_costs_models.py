"""Decimal cost models, hand-computed, and the simulator charging the same per fill."""

from __future__ import annotations

import math
from decimal import Decimal as D  # noqa: N817 (reads like the literals it builds)

import numpy as np
import pytest

from quantcli import kernels
from quantcli.domain.cost_models import (
    CommissionTier,
    MarketImpact,
    PerShareCommission,
    SlippageCosts,
    adjusted_fill_price,
    borrow_fee,
    participation,
    participation_capacity,
)
from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderSide

IBKR_FIXED = PerShareCommission(per_share=D("0.005"), minimum=D(1), maximum_fraction=D("0.01"))
IBKR_TIERED = PerShareCommission(
    minimum=D("0.35"),
    tiers=(
        CommissionTier(D(0), D("0.0035")),
        CommissionTier(D(300_000), D("0.002")),
        CommissionTier(D(3_000_000), D("0.0015")),
    ),
)


def test_ibkr_fixed_minimum_rate_and_maximum() -> None:
    assert IBKR_FIXED.commission(D(100), D(50)) == D(1)  # 0.50 < minimum
    assert IBKR_FIXED.commission(D(-1000), D(50)) == D("5.000")  # 1% of 50 000 does not bind
    assert IBKR_FIXED.commission(D(1000), D("0.10")) == D("1.0000")  # 1% of 100 caps 5.00
    assert IBKR_FIXED.commission(D(0), D(50)) == 0


def test_bps_of_notional_is_added() -> None:
    schedule = PerShareCommission(per_share=D(0), minimum=D(0), bps=D(2))
    assert schedule.commission(D(300), D("25.50")) == D("1.53")


def test_ibkr_tiered_prices_a_fill_by_the_months_volume_before_it() -> None:
    assert IBKR_TIERED.commission(D(1000), D(20), monthly_volume=D(0)) == D("3.5000")
    assert IBKR_TIERED.commission(D(1000), D(20), monthly_volume=D(299_999)) == D("3.5000")
    assert IBKR_TIERED.commission(D(1000), D(20), monthly_volume=D(300_000)) == D("2.000")
    assert IBKR_TIERED.commission(D(100), D(20), monthly_volume=D(5_000_000)) == D("0.35")


def test_tiers_must_start_at_zero_and_increase() -> None:
    with pytest.raises(ValidationError, match="start at 0"):
        PerShareCommission(tiers=(CommissionTier(D(10), D("0.01")),))
    with pytest.raises(ValidationError, match="strictly increasing"):
        PerShareCommission(tiers=(CommissionTier(D(0), D(1)), CommissionTier(D(0), D(2))))


def test_slippage_fraction_fixed_half_spread_and_volume() -> None:
    slippage = SlippageCosts(fixed_bps=D(2), spread_bps=D(10), volume_k=D("0.01"))
    # 0.0002 + 0.0005 + 0.01 × 0.04
    assert slippage.fraction(D("0.04")) == D("0.0011")
    assert adjusted_fill_price(D(50), OrderSide.SELL, D("0.0011")) == D("49.94500")


def test_square_root_and_almgren_chriss_impact() -> None:
    impact = MarketImpact(square_root_y=D("0.5"), temporary_eta=D("0.1"), permanent_gamma=D("0.5"))
    # 0.5 × 0.02 × sqrt(0.04) + 0.1 × 0.04 = 0.002 + 0.004
    assert impact.temporary_fraction(D("0.04"), D("0.02")) == D("0.006")
    assert impact.permanent_factor(D("0.1"), OrderSide.BUY) == D("1.05")
    assert impact.permanent_factor(D("0.1"), OrderSide.SELL) == D("0.95")


def test_participation_capacity_and_borrow_fee() -> None:
    assert participation(D(-40), D(1000)) == D("0.04")
    assert participation(D(40), D(0)) == 0
    assert participation_capacity(D("0.1"), D(1234)) == D(123)
    assert participation_capacity(None, D(1234)) is None
    assert borrow_fee(D(5000), D("0.252"), D(252)) == D(5)
    with pytest.raises(ValidationError):
        borrow_fee(D(5000), D("-0.1"), D(252))


@pytest.mark.parametrize("field", ["per_share", "minimum", "maximum_fraction", "bps"])
def test_negative_commission_parameters_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} -1 is negative"):
        PerShareCommission(**{field: D(-1)})


def test_the_simulator_charges_a_fill_what_the_decimal_models_charge() -> None:
    price = np.array([[41.37], [41.37]])
    volume = np.full((2, 1), 20_000.0)
    costs = kernels.CostModel(
        commission_per_share=0.005,
        commission_minimum=1.0,
        commission_maximum_fraction=0.01,
        commission_bps=0.5,
        slippage_bps=3.0,
        spread_bps=4.0,
        volume_slippage=0.02,
        square_root_impact=0.7,
        temporary_impact=0.05,
    )
    result = kernels.simulate_portfolio(
        price, price, price, price, volume,
        orders=kernels.Orders([0], [0], [-1500.0], [0], [math.nan], [math.nan], [0]),
        initial_cash=100_000.0, costs=costs, volatility=0.018,
    )  # fmt: skip
    p = participation(D(1500), D(20_000))
    fraction = SlippageCosts(D(3), D(4), D("0.02")).fraction(p) + MarketImpact(
        D("0.7"), D("0.05")
    ).temporary_fraction(p, D("0.018"))
    fill = adjusted_fill_price(D("41.37"), OrderSide.SELL, fraction)
    fee = PerShareCommission(D("0.005"), D(1), D("0.01"), D("0.5")).commission(D(1500), fill)
    assert result.fills.price[0] == pytest.approx(float(fill), rel=1e-12)
    assert result.fills.commission[0] == pytest.approx(float(fee), rel=1e-12)
