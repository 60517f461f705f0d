"""Indicator values worked out by hand, NaN handling, and numerically hard windows."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from quantcli import kernels

nan = math.nan


def assert_same(actual: np.ndarray, expected: list[float]) -> None:
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0.0)


def test_sma_averages_each_window() -> None:
    assert_same(kernels.sma([1, 2, 3, 4, 5], 3), [nan, nan, 2, 3, 4])


def test_sma_is_nan_for_windows_holding_a_nan_and_recovers_after() -> None:
    assert_same(kernels.sma([1, 2, nan, 4, 5, 6], 2), [nan, 1.5, nan, nan, 4.5, 5.5])


def test_sma_of_period_one_is_the_series() -> None:
    assert_same(kernels.sma([3.5, -1.0, 2.25], 1), [3.5, -1.0, 2.25])


def test_sma_is_exact_after_a_huge_value_leaves_the_window() -> None:
    # A running sum gives (1e16 + 1) - 1e16 = 0 here: the small values are lost.
    assert_same(kernels.sma([1e16, 1, 2, 3], 2), [nan, 5e15, 1.5, 2.5])


def test_sma_stays_within_1e_9_of_the_direct_sum_on_a_long_series(reference: ModuleType) -> None:
    rng = np.random.default_rng(3)
    prices = 1e4 + np.cumsum(rng.normal(0.0, 5.0, 200_000))
    windows = np.lib.stride_tricks.sliding_window_view(prices, 50)
    direct = np.array([math.fsum(window) for window in windows]) / 50
    reference.assert_close(kernels.sma(prices, 50)[49:], direct)


def test_ema_seeds_with_the_mean_then_smooths_with_two_over_period_plus_one() -> None:
    # alpha = 0.5: seed mean(1, 2, 3) = 2, then 0.5 × 4 + 0.5 × 2 = 3, then 0.5 × 5 + 0.5 × 3 = 4
    assert_same(kernels.ema([1, 2, 3, 4, 5], 3), [nan, nan, 2, 3, 4])


def test_ema_skips_leading_nans_like_talib() -> None:
    # alpha = 2/3: seed mean(1, 2) = 1.5, then 1.5 + (3 - 1.5) × 2/3 = 2.5, then 3.5
    assert_same(kernels.ema([nan, 1, 2, 3, 4], 2), [nan, nan, 1.5, 2.5, 3.5])


def test_ema_is_nan_from_an_interior_nan_onward() -> None:
    assert_same(kernels.ema([1, 2, 3, nan, 5, 6], 2), [nan, 1.5, 2.5, nan, nan, nan])


def test_ema_is_all_nan_when_fewer_than_period_values_follow_the_leading_nans() -> None:
    assert_same(kernels.ema([nan, nan, 1, 2], 3), [nan] * 4)


def test_rsi_averages_gains_and_losses_then_smooths_them_wilders_way() -> None:
    # changes +1, -1, +1, +1; seed gain 0.5 loss 0.5 -> 50; gain (0.5 + 1) / 2 = 0.75,
    # loss 0.25 -> 75; gain (0.75 + 1) / 2 = 0.875, loss 0.125 -> 87.5
    assert_same(kernels.rsi([1, 2, 1, 2, 3], 2), [nan, nan, 50, 75, 87.5])


def test_rsi_uses_a_default_period_of_14() -> None:
    close = np.arange(30.0)
    assert_same(kernels.rsi(close), [nan] * 14 + [100.0] * 16)


def test_rsi_is_zero_when_nothing_moves() -> None:
    assert_same(kernels.rsi([5, 5, 5, 5], 2), [nan, nan, 0, 0])


def test_rsi_skips_leading_nans_like_talib() -> None:
    assert_same(kernels.rsi([nan, 1, 2, 1, 2, 3], 2), [nan, nan, nan, 50, 75, 87.5])


@pytest.mark.parametrize("poison", [nan, math.inf, -math.inf])
def test_rsi_is_nan_from_an_interior_non_finite_value_onward(poison: float) -> None:
    # TA-Lib prints 0 here, which reads as "extremely oversold"; NaN says "unknown".
    assert_same(kernels.rsi([1, 2, 1, poison, 2, 3], 2), [nan, nan, 50, nan, nan, nan])


def test_rolling_std_is_the_sample_standard_deviation_by_default() -> None:
    assert_same(kernels.rolling_std([1, 2, 4, 4], 2), [nan, 0.5**0.5, 2**0.5, 0])


def test_rolling_std_with_ddof_zero_is_the_population_standard_deviation() -> None:
    assert_same(kernels.rolling_std([1, 2, 4, 4], 2, ddof=0), [nan, 0.5, 1, 0])


def test_rolling_std_of_a_constant_series_is_exactly_zero() -> None:
    assert kernels.rolling_std(np.full(50, 0.1), 7)[6:].tolist() == [0.0] * 44


def test_rolling_std_keeps_full_precision_on_a_large_offset() -> None:
    # Sum-of-squares formulas lose every digit here (1e18 against a variance of 1).
    values = 1e9 + np.arange(100.0)
    np.testing.assert_allclose(kernels.rolling_std(values, 3)[2:], 1.0, rtol=1e-12)


def test_rolling_std_is_exact_after_a_huge_value_leaves_the_window() -> None:
    # A running update subtracts 1e24-sized terms when 1e12 leaves and keeps only noise.
    out = kernels.rolling_std([1e12, 1, 2, 3], 2)
    np.testing.assert_allclose(out[2:], [0.5**0.5, 0.5**0.5], rtol=1e-12)


def test_rolling_std_is_nan_for_windows_holding_a_nan() -> None:
    out = kernels.rolling_std([1, 2, nan, 4, 5, 6], 2, ddof=0)
    assert_same(out, [nan, 0.5, nan, nan, 0.5, 0.5])


def test_pct_return_divides_by_the_value_horizon_bars_back() -> None:
    assert_same(kernels.pct_return([100, 110, 99, 99], 1), [nan, 0.1, -0.1, 0])
    assert_same(kernels.pct_return([100, 110, 99, 99], 2), [nan, nan, -0.01, -0.1])


def test_pct_return_is_nan_where_either_side_is_nan() -> None:
    assert_same(kernels.pct_return([1, nan, 2, 4], 1), [nan, nan, nan, 1.0])


def test_indicators_accept_lists_of_ints_and_strided_arrays() -> None:
    strided = np.arange(20.0)[::2]
    assert_same(kernels.sma(strided, 2), [nan, *np.arange(1.0, 18.0, 2.0)])
    assert_same(kernels.pct_return([1, 2, 4], 1), [nan, 1.0, 1.0])


@pytest.mark.parametrize(
    "indicator",
    [kernels.sma, kernels.ema, kernels.rsi, kernels.rolling_std, kernels.pct_return],
)
def test_indicators_return_float64_of_the_input_length(
    indicator: Callable[[np.ndarray, int], np.ndarray],
) -> None:
    out = indicator(np.linspace(1.0, 2.0, 37, dtype=np.float32), 5)
    assert out.dtype == np.float64
    assert out.shape == (37,)
    assert np.isfinite(out[5:]).all()
