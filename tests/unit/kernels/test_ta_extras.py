"""Indicators TA-Lib lacks against numpy references; streams bar by bar (panels: test_panels)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels

PROPERTY = settings(deadline=None, max_examples=100)


@st.composite
def gappy_series(draw: st.DrawFn, min_size: int = 2) -> np.ndarray:
    """Whole-cent prices, sometimes constant, with up to three NaN gaps."""
    size = draw(st.integers(min_size, 60))
    if draw(st.booleans()):
        values = np.full(size, draw(st.integers(1, 10**6)) / 100.0)
    else:
        values = np.array(draw(st.lists(st.integers(1, 10**6), min_size=size, max_size=size)))
        values = values / 100.0
    gaps = draw(st.lists(st.integers(0, size - 1), max_size=3))
    values[gaps] = np.nan
    return values


@st.composite
def series_and_window(draw: st.DrawFn, min_window: int = 1) -> tuple[np.ndarray, int]:
    values = draw(gappy_series(min_size=min_window))
    return values, draw(st.integers(min_window, len(values)))


def scale_of(*arrays: np.ndarray) -> float:
    return max(float(np.nanmax(np.abs(a), initial=0.0)) for a in arrays)


@PROPERTY
@given(case=series_and_window())
def test_rolling_min_max_and_mean_equal_numpy_windows(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, window = case
    scale = scale_of(values)
    for ours, theirs in [
        (kernels.rolling_min, lambda w: w.min(axis=1)),
        (kernels.rolling_max, lambda w: w.max(axis=1)),
        (kernels.rolling_mean, lambda w: w.mean(axis=1)),
    ]:
        expected = reference.window_apply(values, window, theirs)
        reference.assert_close(ours(values, window), expected, scale=scale)


@PROPERTY
@given(case=series_and_window(min_window=2))
def test_rolling_zscore_equals_numpy_and_is_nan_for_flat_windows(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, window = case

    def zscore(w: np.ndarray) -> np.ndarray:
        std = w.std(axis=1, ddof=1)
        z = (w[:, -1] - w.mean(axis=1)) / std
        return np.where(std > 1e-9 * np.abs(w).max(axis=1), z, np.nan)

    expected = reference.window_apply(values, window, zscore)
    got = kernels.rolling_zscore(values, window)
    # Near-flat windows: our exact std may be a rounding residue where numpy's is 0, or not.
    both = ~np.isnan(expected) & ~np.isnan(got)
    np.testing.assert_allclose(got[both], expected[both], rtol=1e-6, atol=1e-6)
    assert not np.isnan(got[~np.isnan(expected)]).any()
    assert np.isnan(kernels.rolling_zscore(np.full(10, 3.0), 4)).all()


@PROPERTY
@given(case=series_and_window(), data=st.data())
def test_donchian_is_the_rolling_high_max_and_low_min(
    reference: ModuleType, case: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    high, window = case
    low = high - data.draw(st.integers(0, 100)) / 100.0
    bands = kernels.donchian(high, low, window)
    upper = reference.window_apply(high, window, lambda w: w.max(axis=1))
    lower = reference.window_apply(low, window, lambda w: w.min(axis=1))
    reference.assert_close(bands.upper, upper)
    reference.assert_close(bands.lower, lower)
    reference.assert_close(bands.middle, (upper + lower) / 2)


@PROPERTY
@given(case=series_and_window(), data=st.data())
def test_rolling_vwap_equals_windowed_turnover_over_volume(
    reference: ModuleType, case: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    price, window = case
    volume = np.array(
        data.draw(st.lists(st.integers(0, 10**4), min_size=len(price), max_size=len(price))), float
    )
    expected = reference.rolling_vwap(price, volume, window)
    reference.assert_close(kernels.rolling_vwap(price, volume, window), expected, scale=1.0)


@PROPERTY
@given(price=gappy_series(), data=st.data())
def test_session_vwap_restarts_at_each_session(
    reference: ModuleType, price: np.ndarray, data: st.DataObject
) -> None:
    size = len(price)
    volume = np.array(data.draw(st.lists(st.integers(0, 10**4), min_size=size, max_size=size)))
    session = np.cumsum(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    expected = reference.session_vwap(price, volume.astype(float), session)
    reference.assert_close(kernels.session_vwap(price, volume, session), expected, scale=1.0)


@PROPERTY
@given(case=series_and_window(min_window=2), data=st.data())
def test_rolling_corr_and_beta_equal_numpy(
    reference: ModuleType, case: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    x, window = case
    size = len(x)
    y = np.array(data.draw(st.lists(st.integers(-1000, 1000), min_size=size, max_size=size)))
    y = y / 100.0 + 0.5 * np.nan_to_num(x)
    corr = reference.rolling_corr(x, y, window)
    beta = reference.rolling_beta(y, x, window)
    got_corr, got_beta = kernels.rolling_corr(x, y, window), kernels.rolling_beta(y, x, window)
    # Windows where x is (numerically) constant are NaN in ours or junk in numpy's: skip those.
    flat = reference.window_apply(x, window, lambda w: w.std(axis=1) < 1e-9 * np.nanmax(np.abs(w)))
    flat_y = reference.window_apply(
        y, window, lambda w: w.std(axis=1) < 1e-9 * np.nanmax(np.abs(w))
    )
    keep = (flat == 0) & (flat_y == 0)
    reference.assert_close(got_corr[keep], corr[keep], rtol=1e-7, scale=1.0)
    reference.assert_close(got_beta[keep], beta[keep], rtol=1e-7, scale=10.0)


def test_rolling_corr_of_a_series_with_itself_is_one() -> None:
    x = np.random.default_rng(1).normal(size=500)
    np.testing.assert_allclose(kernels.rolling_corr(x, x, 20)[19:], 1.0, rtol=1e-12)


def test_keltner_is_ema_plus_minus_multiplier_atr(reference: ModuleType) -> None:
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 1000)))
    high, low = close * 1.01, close * 0.99
    bands = kernels.keltner(high, low, close, 20, atr_period=10, multiplier=2.5)
    middle = talib.EMA(close, 20)
    width = 2.5 * talib.ATR(high, low, close, 10)
    middle[:19] = np.nan
    reference.assert_close(bands.middle, middle)
    reference.assert_close(bands.upper, middle + width)
    reference.assert_close(bands.lower, middle - width)
    short = kernels.keltner(high, low, close, 5, atr_period=10)
    assert np.isnan(short.middle[:10]).all()
    assert not np.isnan(short.middle[10])


# --- streams ----------------------------------------------------------------------------------


def feed(stream: Any, *columns: np.ndarray) -> np.ndarray:
    return np.array(
        [stream.update(*(float(c[t]) for c in columns)) for t in range(len(columns[0]))]
    )


@PROPERTY
@given(case=series_and_window())
def test_streams_fed_bar_by_bar_reproduce_the_batch_output(
    reference: ModuleType, case: tuple[np.ndarray, int]
) -> None:
    values, period = case
    scale = scale_of(values)
    reference.assert_close(
        feed(kernels.SmaStream(period), values), kernels.sma(values, period), scale=scale
    )
    reference.assert_close(
        feed(kernels.EmaStream(period), values), kernels.ema(values, period), scale=scale
    )
    if period < len(values):
        reference.assert_close(
            feed(kernels.RsiStream(period), values), kernels.rsi(values, period), scale=100.0
        )
    if period >= 2:
        got = feed(kernels.RollingStdStream(period), values)
        reference.assert_close(got, kernels.rolling_std(values, period), scale=scale)
    bands = np.array(
        [tuple(kernels.BollingerStream(period, 2.0, 1.0).update(v)) for v in values[:0]]
    )
    stream = kernels.BollingerStream(period, 2.0, 1.0)
    bands = np.array([tuple(stream.update(float(v))) for v in values]).reshape(-1, 3)
    for column, batch in zip(bands.T, kernels.bbands(values, period, 2.0, 1.0), strict=True):
        reference.assert_close(np.ascontiguousarray(column), batch, scale=scale)


@PROPERTY
@given(case=series_and_window(), data=st.data())
def test_atr_stream_reproduces_the_batch_atr(
    reference: ModuleType, case: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    close, period = case
    spread = data.draw(st.integers(0, 500)) / 100.0
    high, low = close + spread, close - spread / 2
    got = feed(kernels.AtrStream(period), high, low, close)
    reference.assert_close(got, kernels.atr(high, low, close, period), scale=scale_of(close))


def test_streams_stay_exact_over_a_long_random_walk(reference: ModuleType) -> None:
    rng = np.random.default_rng(8)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 20_000)))
    close[5_000] = np.nan
    reference.assert_close(feed(kernels.SmaStream(20), close), kernels.sma(close, 20))
    reference.assert_close(
        feed(kernels.RollingStdStream(20), close), kernels.rolling_std(close, 20)
    )
    reference.assert_close(
        feed(kernels.EmaStream(20), close[:5_000]), kernels.ema(close[:5_000], 20)
    )
