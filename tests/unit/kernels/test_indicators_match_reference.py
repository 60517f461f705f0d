"""Property tests: each indicator kernel equals its numpy reference on random series."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels

PROPERTY = settings(deadline=None, max_examples=200)

finite_values = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)


@st.composite
def series(draw: st.DrawFn, max_size: int = 60) -> np.ndarray:
    """Short or long, constant or noisy, with or without NaN gaps (leading ones included)."""
    size = draw(st.integers(1, max_size))
    if draw(st.booleans()):
        values = np.full(size, draw(finite_values))
    else:
        values = np.array(draw(st.lists(finite_values, min_size=size, max_size=size)))
    gaps = draw(st.lists(st.integers(0, size - 1), max_size=3))
    values[gaps] = np.nan
    return values


@st.composite
def series_and_length(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    values = draw(series())
    return values, draw(st.integers(1, len(values)))


@PROPERTY
@given(case=series_and_length())
def test_sma_equals_the_mean_of_each_window(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, period = case
    reference.assert_close(
        kernels.sma(values, period),
        reference.sma(values, period),
        scale=reference.magnitude(values),
    )


@PROPERTY
@given(case=series_and_length())
def test_ema_equals_the_recursive_definition(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, period = case
    reference.assert_close(
        kernels.ema(values, period),
        reference.ema(values, period),
        scale=reference.magnitude(values),
    )


@PROPERTY
@given(case=series_and_length())
def test_rsi_equals_wilders_definition(reference: ModuleType, case: tuple[np.ndarray, int]) -> None:
    close, period = case
    # RSI lives in [0, 100]: 100 is the natural floor for its absolute error.
    reference.assert_close(kernels.rsi(close, period), reference.rsi(close, period), scale=100.0)


@PROPERTY
@given(case=series_and_length(), ddof=st.integers(0, 1))
def test_rolling_std_equals_numpy_std_of_each_window(
    reference: ModuleType, case: tuple[np.ndarray, int], ddof: int
) -> None:
    values, window = case
    window = max(window, ddof + 1)
    if window > len(values):
        values = np.append(values, [1.0])
    reference.assert_close(
        kernels.rolling_std(values, window, ddof=ddof),
        reference.rolling_std(values, window, ddof=ddof),
        scale=reference.magnitude(values),
    )


@PROPERTY
@given(case=series_and_length())
def test_pct_return_equals_the_ratio_minus_one(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, horizon = case
    reference.assert_close(
        kernels.pct_return(values, horizon), reference.pct_return(values, horizon)
    )


@PROPERTY
@given(values=series(max_size=400), window=st.integers(1, 40))
def test_windowed_indicators_are_nan_exactly_where_a_window_holds_a_nan(
    values: np.ndarray, window: int
) -> None:
    window = min(window, len(values))
    windows = np.lib.stride_tricks.sliding_window_view(np.isnan(values), window)
    expected = np.concatenate([np.ones(window - 1, dtype=bool), windows.any(axis=1)])
    np.testing.assert_array_equal(np.isnan(kernels.sma(values, window)), expected)
    np.testing.assert_array_equal(np.isnan(kernels.rolling_std(values, window, ddof=0)), expected)
