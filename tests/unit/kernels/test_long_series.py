"""Series long enough to run in parallel chunks give, at every chunk edge, the bits a short run
over that output's own look-back gives."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from quantcli import kernels

LENGTH = 700_000  # above the kernels' parallel threshold (2^18 values)
PERIOD = 14
Hlc = tuple[np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def bars() -> Hlc:
    rng = np.random.default_rng(11)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, LENGTH)))
    high = close * (1.0 + np.abs(rng.normal(0.0, 0.001, LENGTH)))
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.001, LENGTH)))
    for gap in (32_768 * 3 + 2, 400_001):  # one gap just after a chunk edge, one anywhere
        high[gap] = np.nan
    return high, low, close


INDICATORS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "cci": lambda high, low, close: kernels.cci(high, low, close, PERIOD),
    "willr": lambda high, low, close: kernels.willr(high, low, close, PERIOD),
}


@pytest.mark.parametrize("name", list(INDICATORS))
def test_every_chunk_edge_matches_a_run_over_its_own_lookback(name: str, bars: Hlc) -> None:
    indicator = INDICATORS[name]
    whole = indicator(*bars)
    edges = [t for k in range(1, LENGTH // 8192) for t in (k * 8192 - 1, k * 8192)]
    for t in [*edges, 98_306, 98_306 + PERIOD, 400_001 + PERIOD - 1, 400_001 + PERIOD]:
        start = t + 1 - 3 * PERIOD
        alone = indicator(*(series[start : t + 1] for series in bars))[-1]
        np.testing.assert_array_equal(whole[t], alone, err_msg=f"{name} at {t}")
    assert np.isnan(whole[400_001 : 400_001 + PERIOD]).all()
    assert not np.isnan(whole[400_001 + PERIOD])


BEYOND_ALWAYS_FRESH = 4_500_000  # 36 MB per output: the path that maps pages ahead of the kernel


@pytest.fixture(scope="module")
def very_long() -> np.ndarray:
    return 100.0 * np.exp(
        np.cumsum(np.random.default_rng(5).normal(0.0, 0.001, BEYOND_ALWAYS_FRESH))
    )


@pytest.mark.parametrize("name", ["sma", "ema", "rsi", "mom"])
def test_a_fresh_output_mapped_ahead_equals_writing_into_a_buffer(
    name: str, very_long: np.ndarray
) -> None:
    indicator = getattr(kernels, name)
    buffer = np.full_like(very_long, 7.0)
    np.testing.assert_array_equal(indicator(very_long, 14), indicator(very_long, 14, out=buffer))


def test_several_fresh_outputs_mapped_ahead_hold_every_value(very_long: np.ndarray) -> None:
    upper, middle, lower = kernels.bbands(very_long, 20)
    for t in (19, 1_000_000, 2_621_440, BEYOND_ALWAYS_FRESH - 1):
        tail = kernels.bbands(very_long[t - 19 : t + 1], 20)
        np.testing.assert_allclose(
            [upper[t], middle[t], lower[t]], [tail[0][-1], tail[1][-1], tail[2][-1]], rtol=1e-12
        )
