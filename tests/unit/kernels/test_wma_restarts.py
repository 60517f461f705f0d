"""WMA keeps TA-Lib's restarts: its running sums start afresh every 8 x period outputs.

So the kernel gives TA-Lib's bits (not just values within 1e-9) on every clean run, however
long, and forgets the rounding errors of values that left the window long ago.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
import talib

from quantcli import kernels

PERIODS = [2, 3, 7, 30, 100]


def wide_values(size: int, seed: int) -> np.ndarray:
    """Magnitudes over ~20 orders and both signs: running sums lose digits at every step."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(0.0, 4.0, size)) * rng.choice([-1.0, 1.0], size)


@pytest.mark.parametrize("period", PERIODS)
def test_wma_gives_talibs_bits_on_a_long_series(period: int) -> None:
    values = wide_values(50_000 + period, seed=period)
    np.testing.assert_array_equal(kernels.wma(values, period), talib.WMA(values, period))


@pytest.mark.parametrize("period", PERIODS)
def test_wma_gives_talibs_bits_on_each_clean_run(reference: ModuleType, period: int) -> None:
    values = wide_values(30_000, seed=100 + period)
    # Gaps of one and of several NaNs, a run shorter than the period, a NaN in a first window.
    for start, stop in [(7, 8), (5_000, 5_003), (5_010, 5_011), (12_345, 12_346), (20_001, 20_040)]:
        values[start:stop] = np.nan
    values[5_003 + period // 2] = np.nan
    expected = reference.per_run(lambda run: talib.WMA(run, period), values)
    np.testing.assert_array_equal(kernels.wma(values, period), expected)


def test_wma_follows_talib_through_infinities() -> None:
    """inf - inf turns the sums NaN until TA-Lib's next restart, and ours likewise."""
    values = wide_values(2_000, seed=7)
    values[300] = np.inf
    values[1_000] = -np.inf
    ours, theirs = kernels.wma(values, 10), talib.WMA(values, 10)
    np.testing.assert_array_equal(ours, theirs)
    assert np.isnan(ours[300:380]).any()
    assert np.isfinite(ours[400:1_000]).all()


def test_wma_forgets_large_values_that_left_the_window() -> None:
    """Prices near 1e8 then near 1e-3: a running sum never restarted keeps ~1e-8 of error, far
    above the small values' 1e-12 relative accuracy; each output here is within 1e-12 of the
    weighted sum over its own window."""
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [1e8 * (1.0 + rng.uniform(0.0, 0.01, 1_000)), 1e-3 * (1.0 + rng.uniform(0.0, 0.01, 20_000))]
    )
    period = 30
    weights = np.arange(1, period + 1, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(values, period)
    direct = windows @ weights / weights.sum()
    ours = kernels.wma(values, period)[period - 1 :]
    settled = 1_000 + 8 * period  # past the first restart after the large values left
    np.testing.assert_allclose(ours[settled:], direct[settled:], rtol=1e-12, atol=0.0)
