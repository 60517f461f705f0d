"""TA-Lib-exact indicators: same warm-up, seeding and values (1e-9) as TA-Lib where it has them.

NaN rules. TA-Lib skips leading NaNs and nothing else; so do these. After that:
- window indicators (WMA, STOCH, WILLR, CCI, MFI): an output is NaN when its look-back touches a
  NaN in any input, and the warm-up restarts after the gap (TA-Lib would carry the NaN through
  its running sums or print garbage);
- recursive and cumulative ones (DEMA, TEMA, MACD, ATR, NATR, ADX, OBV, AD): NaN from the first
  NaN after the leading ones onward, as TA-Lib's EMA does;
- ROC and MOM: NaN when either end of the difference is NaN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray


class MACD(NamedTuple):
    """MACD line, its signal EMA and their difference; all start at slow-1 + signal-1."""

    macd: FloatArray
    signal: FloatArray
    histogram: FloatArray


class Stochastic(NamedTuple):
    """Slow %K and slow %D (TA-Lib's STOCH outputs)."""

    slowk: FloatArray
    slowd: FloatArray


class DirectionalMovement(NamedTuple):
    """ADX (from 2·period-1) with +DI and -DI (from period)."""

    adx: FloatArray
    plus_di: FloatArray
    minus_di: FloatArray


class Bands(NamedTuple):
    """An upper, middle and lower line (Bollinger, Keltner, Donchian)."""

    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


def _one(name: str, values: npt.ArrayLike) -> FloatArray:
    return inputs.series(name, values)


def _hlc(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    h, lo, c = _one("high", high), _one("low", low), _one("close", close)
    inputs.same_length(("high", h), ("low", lo), ("close", c))
    return h, lo, c


def wma(values: npt.ArrayLike, period: int = 30, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib WMA (weights 1..period, newest heaviest); first value at period-1.

    TA-Lib's bits, running sums included: they restart from scratch every 8·period outputs, which
    keeps long series free of drift. A NaN makes every output whose window holds it NaN, and the
    series restarts after it.
    """
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.wma(series, period, inputs.output("out", out, series))


def dema(values: npt.ArrayLike, period: int = 30, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib DEMA, 2·EMA - EMA(EMA); first value at 2·(period-1)."""
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.dema(series, period, inputs.output("out", out, series))


def tema(values: npt.ArrayLike, period: int = 30, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib TEMA, 3·EMA - 3·EMA² + EMA³; first value at 3·(period-1)."""
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.tema(series, period, inputs.output("out", out, series))


def macd(
    values: npt.ArrayLike,
    fast_period: int = 12,
    slow_period: int = 26,
    signal_period: int = 9,
) -> MACD:
    """TA-Lib MACD; both EMAs are seeded at slow-1, the fast one on its last `fast` values."""
    series = _one("values", values)
    periods = macd_periods(fast_period, slow_period, signal_period, len(series))
    with inputs.kernel_errors():
        return MACD(*_kernels.macd(series, *periods))


def macd_periods(
    fast_period: int, slow_period: int, signal_period: int, series_length: int
) -> tuple[int, int, int]:
    """MACD's periods checked as TA-Lib wants them (fast and slow >= 2, fast <= slow)."""
    fast = inputs.length_at_least("fast_period", fast_period, 2, series_length)
    slow = inputs.length_at_least("slow_period", slow_period, 2, series_length)
    signal = inputs.length("signal_period", signal_period, series_length)
    if fast > slow:
        raise ValidationError(f"fast_period {fast} must not exceed slow_period {slow}")
    return fast, slow, signal


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> Stochastic:
    """TA-Lib STOCH with SMA smoothing; 0 where the high-low range is empty."""
    h, lo, c = _hlc(high, low, close)
    n = len(c)
    fastk = inputs.length("fastk_period", fastk_period, n)
    slowk = inputs.length("slowk_period", slowk_period, n)
    slowd = inputs.length("slowd_period", slowd_period, n)
    with inputs.kernel_errors():
        return Stochastic(*_kernels.stoch(h, lo, c, fastk, slowk, slowd))


def willr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """TA-Lib Williams %R in [-100, 0]; 0 where the high-low range is empty."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, len(c))
    with inputs.kernel_errors():
        return _kernels.willr(h, lo, c, period)


def roc(values: npt.ArrayLike, period: int = 10, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib ROC, 100·(x[t]/x[t-period] - 1); 0 for a zero base as TA-Lib."""
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.roc(series, period, inputs.output("out", out, series))


def mom(values: npt.ArrayLike, period: int = 10, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib MOM, x[t] - x[t-period]."""
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.mom(series, period, inputs.output("out", out, series))


def cci(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """TA-Lib CCI on typical price with the 0.015 constant; first value at period-1."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, len(c))
    with inputs.kernel_errors():
        return _kernels.cci(h, lo, c, period)


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> DirectionalMovement:
    """TA-Lib ADX, PLUS_DI and MINUS_DI (Wilder smoothing); period >= 2."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length_at_least("period", period, 2, len(c))
    with inputs.kernel_errors():
        return DirectionalMovement(*_kernels.adx(h, lo, c, period))


def bbands(
    values: npt.ArrayLike, period: int = 5, nbdev_up: float = 2.0, nbdev_down: float = 2.0
) -> Bands:
    """TA-Lib BBANDS (SMA middle, population std); first value at period-1.

    Unlike TA-Lib the variance is computed stably and not zeroed below 1e-8, so it can differ
    from TA-Lib for very quiet series (TA-Lib prints bands equal to the middle there).
    """
    series = _one("values", values)
    period = inputs.length("period", period, len(series))
    up = inputs.real("nbdev_up", nbdev_up)
    down = inputs.real("nbdev_down", nbdev_down)
    with inputs.kernel_errors():
        return Bands(*_kernels.bbands(series, period, up, down))


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """TA-Lib ATR (Wilder): the mean of the first `period` true ranges at index period."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, len(c))
    with inputs.kernel_errors():
        return _kernels.atr(h, lo, c, period)


def natr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """TA-Lib NATR, 100·ATR/close (0 where close is 0, as TA-Lib)."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, len(c))
    with inputs.kernel_errors():
        return _kernels.natr(h, lo, c, period)


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """TA-Lib OBV: the first volume, then plus or minus each volume as close rises or falls."""
    c, v = _one("close", close), _one("volume", volume)
    inputs.same_length(("close", c), ("volume", v))
    with inputs.kernel_errors():
        return _kernels.obv(c, v)


def ad(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike
) -> FloatArray:
    """TA-Lib AD, the Chaikin accumulation/distribution line."""
    h, lo, c = _hlc(high, low, close)
    v = _one("volume", volume)
    inputs.same_length(("high", h), ("volume", v))
    with inputs.kernel_errors():
        return _kernels.ad(h, lo, c, v)


def mfi(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 14,
) -> FloatArray:
    """TA-Lib MFI; first value at `period`, 0 when there was no money flow at all (TA-Lib)."""
    h, lo, c = _hlc(high, low, close)
    v = _one("volume", volume)
    inputs.same_length(("high", h), ("volume", v))
    period = inputs.length("period", period, len(c))
    with inputs.kernel_errors():
        return _kernels.mfi(h, lo, c, v, period)
