"""Indicators TA-Lib lacks: channels, VWAP and rolling statistics (held to numpy references).

Window statistics are NaN before window-1 and for windows holding a NaN; each window is summed
from scratch (no running total that drifts or stays poisoned by a NaN).
"""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray
from quantcli.kernels.indicators_ta import Bands


def keltner(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    *,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> Bands:
    """Keltner channels: EMA(close, period) ± multiplier × ATR(atr_period).

    The convention of StockCharts and most platforms: TA-Lib's SMA-seeded EMA for the middle and
    Wilder's ATR (as `atr`) for the width. All three lines start at max(period-1, atr_period);
    like EMA and ATR they are NaN from the first NaN after the leading ones onward.
    """
    h, lo, c = (inputs.series(n, v) for n, v in (("high", high), ("low", low), ("close", close)))
    inputs.same_length(("high", h), ("low", lo), ("close", c))
    period = inputs.length("period", period, len(c))
    atr_period = inputs.length("atr_period", atr_period, len(c))
    multiplier = inputs.real("multiplier", multiplier)
    with inputs.kernel_errors():
        return Bands(*_kernels.keltner(h, lo, c, period, atr_period, multiplier))


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> Bands:
    """Donchian channels: highest high and lowest low of the last `period` bars, and their mean."""
    h, lo = inputs.series("high", high), inputs.series("low", low)
    inputs.same_length(("high", h), ("low", lo))
    period = inputs.length("period", period, len(h))
    with inputs.kernel_errors():
        return Bands(*_kernels.donchian(h, lo, period))


def rolling_vwap(price: npt.ArrayLike, volume: npt.ArrayLike, window: int) -> FloatArray:
    """Σ price·volume / Σ volume over each window; NaN where the window's volume is 0.

    Pass the typical price (high + low + close) / 3 for the usual VWAP, or the close.
    """
    p, v = inputs.series("price", price), inputs.series("volume", volume)
    inputs.same_length(("price", p), ("volume", v))
    window = inputs.length("window", window, len(p))
    with inputs.kernel_errors():
        return _kernels.rolling_vwap(p, v, window)


def session_vwap(price: npt.ArrayLike, volume: npt.ArrayLike, session: npt.ArrayLike) -> FloatArray:
    """Cumulative VWAP that restarts wherever the integer `session` id changes.

    NaN while the session's volume so far is 0; a NaN price or volume makes the rest of its
    session NaN (the next session starts clean).
    """
    p, v = inputs.series("price", price), inputs.series("volume", volume)
    ids = inputs.int_series("session", session)
    inputs.same_length(("price", p), ("volume", v))
    if len(ids) != len(p):
        raise ValidationError(f"session has {len(ids)} values, but price has {len(p)}")
    with inputs.kernel_errors():
        return _kernels.session_vwap(p, v, ids)


def rolling_mean(
    values: npt.ArrayLike, window: int, *, out: FloatArray | None = None
) -> FloatArray:
    """Mean of each window (the SMA)."""
    series = inputs.series("values", values)
    window = inputs.length("window", window, len(series))
    with inputs.kernel_errors():
        return _kernels.rolling_mean(series, window, inputs.output("out", out, series))


def rolling_zscore(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """(value - window mean) / window std (with ddof); NaN where the std is 0."""
    series = inputs.series("values", values)
    window = inputs.length("window", window, len(series))
    ddof = inputs.ddof(ddof, window)
    with inputs.kernel_errors():
        return _kernels.rolling_zscore(series, window, ddof)


def rolling_min(values: npt.ArrayLike, window: int, *, out: FloatArray | None = None) -> FloatArray:
    """Minimum of each window, O(1) per value (monotonic deque)."""
    series = inputs.series("values", values)
    window = inputs.length("window", window, len(series))
    with inputs.kernel_errors():
        return _kernels.rolling_min(series, window, inputs.output("out", out, series))


def rolling_max(values: npt.ArrayLike, window: int, *, out: FloatArray | None = None) -> FloatArray:
    """Maximum of each window, O(1) per value (monotonic deque)."""
    series = inputs.series("values", values)
    window = inputs.length("window", window, len(series))
    with inputs.kernel_errors():
        return _kernels.rolling_max(series, window, inputs.output("out", out, series))


def rolling_corr(x: npt.ArrayLike, y: npt.ArrayLike, window: int) -> FloatArray:
    """Pearson correlation of each window (window >= 2); NaN where either side is constant."""
    a, b = inputs.series("x", x), inputs.series("y", y)
    inputs.same_length(("x", a), ("y", b))
    window = inputs.length_at_least("window", window, 2, len(a))
    with inputs.kernel_errors():
        return _kernels.rolling_corr(a, b, window)


def rolling_beta(asset: npt.ArrayLike, benchmark: npt.ArrayLike, window: int) -> FloatArray:
    """cov(asset, benchmark) / var(benchmark) per window (pass returns, not prices)."""
    a, b = inputs.series("asset", asset), inputs.series("benchmark", benchmark)
    inputs.same_length(("asset", a), ("benchmark", b))
    window = inputs.length_at_least("window", window, 2, len(a))
    with inputs.kernel_errors():
        return _kernels.rolling_beta(a, b, window)
