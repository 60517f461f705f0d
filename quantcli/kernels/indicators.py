"""Indicator kernels: TA-Lib semantics, float64 in and out, GIL released."""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray


def sma(values: npt.ArrayLike, period: int, *, out: FloatArray | None = None) -> FloatArray:
    """Simple moving average; NaN for the first period-1 values and for windows holding a NaN.

    `out`, here and in `ema`, `rsi` and `pct_return`: a float64 buffer shaped like the input to
    write into and return instead of a new array, so a loop that recomputes an indicator reuses
    one buffer rather than paying for fresh pages on every call.
    """
    series = inputs.series("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.sma(series, period, inputs.output("out", out, series))


def ema(values: npt.ArrayLike, period: int, *, out: FloatArray | None = None) -> FloatArray:
    """TA-Lib's EMA: alpha 2/(period+1), seeded with the mean of the first `period` values.

    Leading NaNs are skipped as TA-Lib does; any later NaN turns that output and all after it NaN.
    """
    series = inputs.series("values", values)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.ema(series, period, inputs.output("out", out, series))


def rsi(close: npt.ArrayLike, period: int = 14, *, out: FloatArray | None = None) -> FloatArray:
    """Wilder's RSI exactly as TA-Lib computes it; the first value is at index `period`.

    When average gain and loss are both zero the RSI is 0, as in TA-Lib. Leading NaNs are skipped
    as TA-Lib does. Unlike TA-Lib, which prints 0 (a false "oversold") from the first later NaN or
    infinity onward, the output there is NaN.
    """
    series = inputs.series("close", close)
    period = inputs.length("period", period, len(series))
    with inputs.kernel_errors():
        return _kernels.rsi(series, period, inputs.output("out", out, series))


def rolling_std(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """Rolling standard deviation (ddof=1: sample); NaN for the first window-1 values and NaNs."""
    series = inputs.series("values", values)
    window = inputs.length("window", window, len(series))
    ddof = inputs.ddof(ddof, window)
    with inputs.kernel_errors():
        return _kernels.rolling_std(series, window, ddof)


def pct_return(values: npt.ArrayLike, horizon: int, *, out: FloatArray | None = None) -> FloatArray:
    """values[t] / values[t - horizon] - 1; NaN for the first `horizon` values and around NaNs."""
    series = inputs.series("values", values)
    horizon = inputs.length("horizon", horizon, len(series))
    with inputs.kernel_errors():
        return _kernels.pct_return(series, horizon, inputs.output("out", out, series))
