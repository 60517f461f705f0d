"""The TA-Lib-exact indicators agree with TA-Lib: same NaN lead, values within 1e-9 relative.

Each case turns an OHLCV dict into (ours, TA-Lib's) outputs. Beyond TA-Lib's own behaviour
(leading NaNs skipped), NaN gaps follow our documented rule, checked against TA-Lib run on each
clean stretch (window indicators) or on the first one only (recursive indicators).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels

Bars = dict[str, np.ndarray]
Outputs = tuple[np.ndarray, ...]


def as_tuple(result: Any) -> Outputs:
    return tuple(result) if isinstance(result, tuple) else (result,)


# name -> (input columns, ours(*columns, p), talib(*columns, p), recursive?, error floor scale)
# `p` is the indicator's main period; the floor is an absolute error allowance in units of
# `scale` x 1e-9 for outputs that cross zero or are bounded (oscillators: 100).
CASES: dict[str, tuple[tuple[str, ...], Callable[..., Any], Callable[..., Any], bool, str]] = {
    "wma": (("close",), kernels.wma, talib.WMA, False, "price"),
    "dema": (("close",), kernels.dema, talib.DEMA, True, "price"),
    "tema": (("close",), kernels.tema, talib.TEMA, True, "price"),
    "macd": (
        ("close",),
        lambda c, p: kernels.macd(c, max(2, p // 2), max(2, p), max(1, p // 3)),
        lambda c, p: talib.MACD(c, max(2, p // 2), max(2, p), max(1, p // 3)),
        True,
        "price",
    ),
    "stoch": (
        ("high", "low", "close"),
        lambda h, lo, c, p: kernels.stoch(
            h, lo, c, fastk_period=p, slowk_period=min(3, len(c)), slowd_period=min(2, len(c))
        ),
        lambda h, lo, c, p: talib.STOCH(h, lo, c, p, min(3, len(c)), 0, min(2, len(c)), 0),
        False,
        "oscillator",
    ),
    "willr": (("high", "low", "close"), kernels.willr, talib.WILLR, False, "oscillator"),
    "roc": (("close",), kernels.roc, talib.ROC, False, "oscillator"),
    "mom": (("close",), kernels.mom, talib.MOM, False, "price"),
    "cci": (("high", "low", "close"), kernels.cci, talib.CCI, False, "cci"),
    "adx": (
        ("high", "low", "close"),
        lambda h, lo, c, p: kernels.adx(h, lo, c, max(2, p)),
        lambda h, lo, c, p: (
            talib.ADX(h, lo, c, max(2, p)),
            talib.PLUS_DI(h, lo, c, max(2, p)),
            talib.MINUS_DI(h, lo, c, max(2, p)),
        ),
        True,
        "oscillator",
    ),
    "bbands": (
        ("close",),
        lambda c, p: kernels.bbands(c, p, 2.0, 1.5),
        lambda c, p: talib.BBANDS(c, p, 2.0, 1.5, 0),
        False,
        "price",
    ),
    "atr": (("high", "low", "close"), kernels.atr, talib.ATR, True, "price"),
    "natr": (("high", "low", "close"), kernels.natr, talib.NATR, True, "oscillator"),
    "obv": (
        ("close", "volume"),
        lambda c, v, p: kernels.obv(c, v),
        lambda c, v, p: talib.OBV(c, v),
        True,
        "volume",
    ),
    "ad": (
        ("high", "low", "close", "volume"),
        lambda h, lo, c, v, p: kernels.ad(h, lo, c, v),
        lambda h, lo, c, v, p: talib.AD(h, lo, c, v),
        True,
        "volume",
    ),
    "mfi": (("high", "low", "close", "volume"), kernels.mfi, talib.MFI, False, "oscillator"),
}


def random_bars(size: int, seed: int) -> Bars:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, size)))
    high = close * np.exp(np.abs(rng.normal(0.0, 0.005, size)))
    low = close * np.exp(-np.abs(rng.normal(0.0, 0.005, size)))
    volume = rng.uniform(1e3, 1e5, size).round()
    return {"high": high, "low": low, "close": close, "volume": volume}


def floor(kind: str, bars: Bars) -> float:
    """Absolute error floor (x 1e-9): running sums in TA-Lib carry errors of the largest input."""
    price = max(float(np.nanmax(np.abs(bars[c]), initial=0.0)) for c in ("high", "low", "close"))
    if kind == "volume":
        return float(np.nansum(np.abs(bars["volume"]))) * max(1.0, price)
    if kind == "cci":
        return 1e3
    if kind == "oscillator":
        return 100.0 * max(1.0, price)
    return max(1.0, price)


def compare(reference: ModuleType, name: str, bars: Bars, period: int) -> None:
    columns, ours, theirs, _, kind = CASES[name]
    args = [bars[c] for c in columns]
    got = as_tuple(ours(*args, period))
    expected = as_tuple(theirs(*args, period))
    assert len(got) == len(expected)
    for actual, wanted in zip(got, expected, strict=True):
        reference.assert_close(actual, wanted, scale=floor(kind, bars))


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("period", [2, 5, 14, 30])
def test_indicator_matches_talib_on_long_random_bars(
    reference: ModuleType, name: str, period: int
) -> None:
    compare(reference, name, random_bars(5_000, seed=period), period)


@pytest.mark.parametrize("name", list(CASES))
def test_indicator_matches_talib_after_leading_nans(reference: ModuleType, name: str) -> None:
    bars = random_bars(400, seed=3)
    for column in bars.values():
        column[:9] = np.nan
    compare(reference, name, bars, 10)


@pytest.mark.parametrize("name", list(CASES))
def test_indicator_matches_talib_on_a_constant_series(reference: ModuleType, name: str) -> None:
    flat = np.full(60, 42.0)
    bars = {"high": flat, "low": flat, "close": flat, "volume": np.full(60, 1000.0)}
    compare(reference, name, bars, 7)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("size", [2, 3, 5, 9, 14, 15, 16, 28, 29, 30])
def test_indicator_matches_talib_on_series_around_the_warm_up(
    reference: ModuleType, name: str, size: int
) -> None:
    compare(reference, name, random_bars(size, seed=size), min(size, 14))


@st.composite
def bars_and_period(draw: st.DrawFn) -> tuple[Bars, int]:
    """Random OHLCV bars on a price grid (high >= close >= low > 0), maybe after leading NaNs.

    Prices are whole cents: TA-Lib counts a high-low range within ~2e-14 (relative) of zero as
    empty, we count only an exact zero, and ticks keep hypothesis away from that degenerate case.
    """
    size = draw(st.integers(2, 80))
    cents = st.integers(1, 10**6)
    close = np.array(draw(st.lists(cents, min_size=size, max_size=size))) / 100.0
    spread = st.integers(0, 1_000)
    up = np.array(draw(st.lists(spread, min_size=size, max_size=size))) / 1e4
    down = np.array(draw(st.lists(spread, min_size=size, max_size=size))) / 1e4
    volume = np.array(draw(st.lists(st.integers(0, 10**6), min_size=size, max_size=size)), float)
    bars = {"high": close * (1 + up), "low": close * (1 - down), "close": close, "volume": volume}
    lead = draw(st.integers(0, 3))
    bars = {k: np.concatenate([np.full(lead, np.nan), v]) for k, v in bars.items()}
    return bars, draw(st.integers(2, size + lead))


@pytest.mark.parametrize("name", list(CASES))
@settings(deadline=None, max_examples=100)
@given(case=bars_and_period())
def test_indicator_matches_talib_on_random_bars(
    reference: ModuleType, name: str, case: tuple[Bars, int]
) -> None:
    bars, period = case
    compare(reference, name, bars, period)


@pytest.mark.parametrize("name", list(CASES))
@settings(deadline=None, max_examples=60)
@given(case=bars_and_period(), gaps=st.lists(st.integers(0, 200), min_size=1, max_size=3))
def test_nan_gaps_follow_the_documented_rule(
    reference: ModuleType, name: str, case: tuple[Bars, int], gaps: list[int]
) -> None:
    """Window indicators restart after a gap; recursive ones stay NaN from the first gap."""
    bars, period = case
    columns, ours, theirs, recursive, kind = CASES[name]
    size = len(bars["close"])
    for gap in gaps:
        bars[columns[gap % len(columns)]][gap % size] = np.nan
    args = [bars[c] for c in columns]
    got = as_tuple(ours(*args, period))

    def talib_on_run(*run: np.ndarray) -> Outputs:
        if len(run[0]) == 0:
            return tuple(np.array([]) for _ in got)
        return as_tuple(theirs(*run, period))

    expected = as_tuple(
        reference.per_run(talib_on_run, *args, outputs=len(got), first_only=recursive)
        if len(got) > 1
        else (reference.per_run(lambda *r: talib_on_run(*r)[0], *args, first_only=recursive),)
    )
    if name in ("roc", "mom"):
        # Only the two ends of the difference matter: NaN exactly where either is NaN.
        ends = np.full(size, np.nan)
        ends[period:] = bars["close"][period:] - bars["close"][:-period]
        expected = tuple(
            np.where(np.isnan(ends), np.nan, e) for e in as_tuple(theirs(*args, period))
        )
    for actual, wanted in zip(got, expected, strict=True):
        reference.assert_close(actual, wanted, scale=floor(kind, bars))


def test_macd_with_default_periods_matches_talib(reference: ModuleType) -> None:
    close = random_bars(3_000, seed=9)["close"]
    for ours, theirs in zip(kernels.macd(close), talib.MACD(close), strict=True):
        reference.assert_close(ours, theirs, scale=100.0)
    assert np.isnan(kernels.macd(close).macd[:33]).all()
    assert not np.isnan(kernels.macd(close).macd[33])


@pytest.mark.parametrize(
    ("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 1), (8, 8, 4)]
)
def test_macd_with_custom_periods_matches_talib(
    reference: ModuleType, fast: int, slow: int, signal: int
) -> None:
    close = random_bars(3_000, seed=fast)["close"]
    got = kernels.macd(close, fast, slow, signal)
    for ours, theirs in zip(got, talib.MACD(close, fast, slow, signal), strict=True):
        reference.assert_close(ours, theirs, scale=100.0)


def test_stoch_with_default_periods_matches_talib(reference: ModuleType) -> None:
    bars = random_bars(2_000, seed=4)
    got = kernels.stoch(bars["high"], bars["low"], bars["close"])
    expected = talib.STOCH(bars["high"], bars["low"], bars["close"])
    for ours, theirs in zip(got, expected, strict=True):
        reference.assert_close(ours, theirs, scale=100.0)
