"""SMA, EMA and RSI agree with TA-Lib: same NaN lead, values within 1e-9 relative."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels

Indicator = Callable[[np.ndarray, int], np.ndarray]

INDICATORS = [
    pytest.param(kernels.sma, talib.SMA, id="sma"),
    pytest.param(kernels.ema, talib.EMA, id="ema"),
    pytest.param(kernels.rsi, talib.RSI, id="rsi"),
]


def random_walk(size: int, seed: int) -> np.ndarray:
    steps = np.random.default_rng(seed).normal(0.0, 0.01, size)
    return 100.0 * np.exp(np.cumsum(steps))


@st.composite
def talib_cases(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """Finite series, possibly after leading NaNs (TA-Lib skips those); TA-Lib wants period >= 2."""
    body = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=2))
    values = np.array([np.nan] * draw(st.integers(0, 5)) + body)
    return values, draw(st.integers(2, len(values)))


@pytest.mark.parametrize(("kernel", "talib_function"), INDICATORS)
@pytest.mark.parametrize("period", [2, 3, 14, 50, 200])
def test_indicator_matches_talib_on_a_long_random_walk(
    reference: ModuleType, kernel: Indicator, talib_function: Indicator, period: int
) -> None:
    prices = random_walk(20_000, seed=period)
    reference.assert_close(kernel(prices, period), talib_function(prices, period))


@pytest.mark.parametrize(("kernel", "talib_function"), INDICATORS)
def test_indicator_matches_talib_after_leading_nans(
    reference: ModuleType, kernel: Indicator, talib_function: Indicator
) -> None:
    prices = np.concatenate([np.full(7, np.nan), random_walk(500, seed=7)])
    reference.assert_close(kernel(prices, 14), talib_function(prices, 14))


@pytest.mark.parametrize(("kernel", "talib_function"), INDICATORS)
@settings(deadline=None, max_examples=150)
@given(case=talib_cases())
def test_indicator_matches_talib_on_random_series(
    reference: ModuleType,
    kernel: Indicator,
    talib_function: Indicator,
    case: tuple[np.ndarray, int],
) -> None:
    values, period = case
    # TA-Lib's SMA keeps a running sum, so its error grows with the largest value it has seen.
    scale = 100.0 if kernel is kernels.rsi else reference.magnitude(values)
    reference.assert_close(kernel(values, period), talib_function(values, period), scale=scale)


def test_rsi_of_a_flat_series_is_zero_like_talib() -> None:
    flat = np.full(20, 42.0)
    np.testing.assert_array_equal(kernels.rsi(flat, 5), talib.RSI(flat, 5))
    assert kernels.rsi(flat, 5)[5:].tolist() == [0.0] * 15


def test_rsi_of_a_rising_series_is_one_hundred_like_talib() -> None:
    rising = np.arange(20.0)
    np.testing.assert_array_equal(kernels.rsi(rising, 5), talib.RSI(rising, 5))
    assert kernels.rsi(rising, 5)[5:].tolist() == [100.0] * 15
