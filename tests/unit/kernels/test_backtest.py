"""Target-weight backtest kernel: hand-worked cases, the Python-loop reference, the domain costs."""

from __future__ import annotations

import math
from decimal import Decimal
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantcli import kernels
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.trading_types import OrderSide

nan = math.nan
FREE = {
    "commission_per_share": 0.0,
    "commission_minimum": 0.0,
    "commission_bps": 0.0,
    "slippage_bps": 0.0,
}


def column(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64).reshape(-1, 1)


def test_three_bars_with_commission_and_slippage_worked_by_hand() -> None:
    result = kernels.simulate_target_weights(
        open=column(10, 10, 12),
        close=column(10, 11, 12),
        target_weights=column(0.5, 0.0, 1.0),
        initial_cash=1000.0,
        commission_per_share=0.01,
        commission_minimum=1.0,
        commission_bps=10.0,
        slippage_bps=50.0,
    )
    # Bar 1 open: trunc(0.5 × 1000 / 10) = 50 shares bought at 10 × 1.005 = 10.05 = 502.50;
    # commission max(0.01 × 50, 1) + 0.001 × 502.50 = 1.5025; cash 1000 - 502.50 - 1.5025.
    # Bar 2 open: equity 495.9975 + 50 × 12; weight 0 sells 50 at 12 × 0.995 = 11.94 = 597;
    # commission 1 + 0.001 × 597 = 1.597. The weight on the last bar never trades.
    np.testing.assert_allclose(result.cash, [1000.0, 495.9975, 1091.4005], rtol=1e-12)
    np.testing.assert_allclose(result.equity, [1000.0, 1045.9975, 1091.4005], rtol=1e-12)
    np.testing.assert_array_equal(result.positions, [[0.0], [50.0], [0.0]])
    np.testing.assert_allclose(result.traded_notional, [0.0, 502.5, 597.0], rtol=1e-12)
    np.testing.assert_allclose(result.commission, [0.0, 1.5025, 1.597], rtol=1e-12)
    assert result.trade_count == 2


def test_nan_open_skips_the_trade_and_nan_weight_holds_the_position() -> None:
    result = kernels.simulate_target_weights(
        open=np.array([[10, 20], [10, 20], [nan, 25], [11, 25]], dtype=float),
        close=np.array([[10, 20], [12, nan], [nan, 25], [11, 25]], dtype=float),
        target_weights=np.array([[0.5, 0.5], [0.1, 0.25], [nan, 0.0], [1.0, 1.0]]),
        initial_cash=1000.0,
        **FREE,
    )
    # Bar 1: buy 50 @ 10 and 25 @ 20; close of symbol 1 is NaN, so its last close 20 marks it.
    # Bar 2: symbol 0 has no open (no trade, marked at its last close 12 for equity 1225);
    #        symbol 1 goes to trunc(0.25 × 1225 / 25) = 12 shares, selling 13 @ 25.
    # Bar 3: symbol 0 holds on a NaN weight; symbol 1 sells its 12 @ 25.
    np.testing.assert_array_equal(result.positions, [[0, 0], [50, 25], [50, 12], [50, 0]])
    np.testing.assert_array_equal(result.cash, [1000, 0, 325, 625])
    np.testing.assert_array_equal(result.equity, [1000, 1100, 1225, 1175])
    np.testing.assert_array_equal(result.traded_notional, [0, 1000, 325, 300])
    np.testing.assert_array_equal(result.commission, [0, 0, 0, 0])
    assert result.trade_count == 4


def test_target_shares_round_toward_zero_for_longs_and_shorts() -> None:
    result = kernels.simulate_target_weights(
        open=np.full((2, 2), 30.0),
        close=np.full((2, 2), 30.0),
        target_weights=np.array([[0.5, -0.5], [0.0, 0.0]]),
        initial_cash=1000.0,
        **FREE,
    )
    # ±0.5 × 1000 / 30 = ±16.67 -> ±16 shares; the short's proceeds are cash.
    np.testing.assert_array_equal(result.positions[1], [16.0, -16.0])
    np.testing.assert_array_equal(result.cash, [1000.0, 1000.0])


def test_the_commission_minimum_applies_per_fill() -> None:
    result = kernels.simulate_target_weights(
        open=np.full((2, 2), 10.0),
        close=np.full((2, 2), 10.0),
        target_weights=np.full((2, 2), 0.1),
        initial_cash=1000.0,
        commission_per_share=0.005,
        commission_minimum=1.0,
        commission_bps=0.0,
        slippage_bps=0.0,
    )
    # Two fills of 10 shares: 0.05 each by the share, so the 1.00 minimum twice.
    np.testing.assert_array_equal(result.commission, [0.0, 2.0])
    assert result.trade_count == 2


def test_a_single_fill_costs_what_the_domain_cost_models_charge() -> None:
    per_share, minimum, bps, slippage = "0.005", "1.25", "3", "7"
    result = kernels.simulate_target_weights(
        open=column(50.0, 41.37),
        close=column(50.0, 41.37),
        target_weights=column(0.9, 0.9),
        initial_cash=100_000.0,
        commission_per_share=float(per_share),
        commission_minimum=float(minimum),
        commission_bps=float(bps),
        slippage_bps=float(slippage),
    )
    shares = Decimal(math.trunc(0.9 * 100_000 / 41.37))
    fill = SlippageModel(Decimal(slippage)).fill_price(Decimal("41.37"), OrderSide.BUY)
    schedule = CommissionSchedule(Decimal(per_share), Decimal(minimum), Decimal(bps))
    assert result.positions[1, 0] == float(shares)
    assert math.isclose(result.traded_notional[1], float(shares * fill), rel_tol=1e-12)
    assert math.isclose(
        result.commission[1], float(schedule.commission(shares, fill)), rel_tol=1e-12
    )


def test_a_panel_without_bars_gives_empty_histories() -> None:
    empty = np.empty((0, 3))
    result = kernels.simulate_target_weights(empty, empty, empty, initial_cash=1.0, **FREE)
    assert result.equity.shape == (0,)
    assert result.positions.shape == (0, 3)
    assert result.trade_count == 0


@st.composite
def panels(draw: st.DrawFn) -> dict[str, Any]:
    """Prices with NaN gaps, weights in [-1.5, 1.5] with NaN holds, random costs."""
    shape = (draw(st.integers(1, 12)), draw(st.integers(1, 4)))
    price = st.one_of(st.floats(0.5, 500.0), st.just(nan))
    weight = st.one_of(st.floats(-1.5, 1.5), st.just(nan))
    cost = st.floats(0.0, 50.0)
    return {
        "open": draw(hnp.arrays(np.float64, shape, elements=price)),
        "close": draw(hnp.arrays(np.float64, shape, elements=price)),
        "target_weights": draw(hnp.arrays(np.float64, shape, elements=weight)),
        "initial_cash": draw(st.floats(0.0, 1e6)),
        "commission_per_share": draw(st.floats(0.0, 0.05)),
        "commission_minimum": draw(cost),
        "commission_bps": draw(cost),
        "slippage_bps": draw(cost),
        "rebalance_band": draw(st.sampled_from([0.0, 0.0, 0.01, 0.1])),
    }


@settings(deadline=None, max_examples=300)
@given(panel=panels())
def test_kernel_equals_the_python_loop_reference(
    reference: ModuleType, panel: dict[str, Any]
) -> None:
    result = kernels.simulate_target_weights(**panel)
    expected = reference.simulate_target_weights(**panel)
    scale = max(panel["initial_cash"], 1.0)
    for name, want in zip(result._fields[:5], expected[:5], strict=True):
        reference.assert_close(getattr(result, name), want, scale=scale)
    assert result.trade_count == expected[5]


@settings(deadline=None, max_examples=100)
@given(panel=panels())
def test_positions_are_whole_shares_and_the_last_bar_never_trades(panel: dict[str, Any]) -> None:
    result = kernels.simulate_target_weights(**panel)
    np.testing.assert_array_equal(result.positions, np.trunc(result.positions))
    last_bar_flipped = panel["target_weights"].copy()
    last_bar_flipped[-1] = np.where(np.isnan(last_bar_flipped[-1]), 1.0, -last_bar_flipped[-1])
    changed = kernels.simulate_target_weights(**{**panel, "target_weights": last_bar_flipped})
    np.testing.assert_array_equal(changed.equity, result.equity)
    np.testing.assert_array_equal(changed.positions, result.positions)


def test_rebalance_band_skips_small_resizes_but_never_opening_closing_or_flipping() -> None:
    result = kernels.simulate_target_weights(
        open=column(10, 10, 10.4, 10, 10, 10),
        close=column(10, 10, 10.4, 10, 10, 10),
        target_weights=column(0.5, 0.52, 0.6, -0.5, 0.0, 0.0),
        initial_cash=1000.0,
        rebalance_band=0.05,
        **FREE,
    )
    # Bar 1 opens 50 shares. Bar 2 wants trunc(0.52 × 1020 / 10.4) = 51: +1 share = 10.4
    # < 0.05 × 1020 = 51 on the same side, skipped. Bar 3 (equity 1000 at its open of 10)
    # wants 60: +10 shares = 100 > 50, traded. Bar 4 flips to -50 and bar 5 closes, band or not.
    np.testing.assert_array_equal(result.positions.ravel(), [0, 50, 50, 60, -50, 0])
    assert result.trade_count == 4
