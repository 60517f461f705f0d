"""Panel forms of the TA-Lib-exact indicators (`indicators_ta`): each row equals the 1-D call."""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray
from quantcli.kernels.indicators_ta import (
    MACD,
    Bands,
    DirectionalMovement,
    Stochastic,
    macd_periods,
)


def _hlc(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> tuple[FloatArray, ...]:
    return inputs.panels(("high", high), ("low", low), ("close", close))


def _hlcv(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike
) -> tuple[FloatArray, ...]:
    return inputs.panels(("high", high), ("low", low), ("close", close), ("volume", volume))


def wma_panel(values: npt.ArrayLike, period: int = 30) -> FloatArray:
    """`wma` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.wma_panel(panel, period)


def dema_panel(values: npt.ArrayLike, period: int = 30) -> FloatArray:
    """`dema` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.dema_panel(panel, period)


def tema_panel(values: npt.ArrayLike, period: int = 30) -> FloatArray:
    """`tema` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.tema_panel(panel, period)


def macd_panel(
    values: npt.ArrayLike,
    fast_period: int = 12,
    slow_period: int = 26,
    signal_period: int = 9,
) -> MACD:
    """`macd` of every row: (macd, signal, histogram) panels."""
    (panel,) = inputs.panels(("values", values))
    periods = macd_periods(fast_period, slow_period, signal_period, panel.shape[1])
    with inputs.kernel_errors():
        return MACD(*_kernels.macd_panel(panel, *periods))


def stoch_panel(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> Stochastic:
    """`stoch` of every row: (slowk, slowd) panels."""
    h, lo, c = _hlc(high, low, close)
    n = c.shape[1]
    fastk = inputs.length("fastk_period", fastk_period, n)
    slowk = inputs.length("slowk_period", slowk_period, n)
    slowd = inputs.length("slowd_period", slowd_period, n)
    with inputs.kernel_errors():
        return Stochastic(*_kernels.stoch_panel(h, lo, c, fastk, slowk, slowd))


def willr_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """`willr` of every row of the high, low and close panels."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, c.shape[1])
    with inputs.kernel_errors():
        return _kernels.willr_panel(h, lo, c, period)


def roc_panel(values: npt.ArrayLike, period: int = 10) -> FloatArray:
    """`roc` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.roc_panel(panel, period)


def mom_panel(values: npt.ArrayLike, period: int = 10) -> FloatArray:
    """`mom` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.mom_panel(panel, period)


def cci_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """`cci` of every row of the high, low and close panels."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, c.shape[1])
    with inputs.kernel_errors():
        return _kernels.cci_panel(h, lo, c, period)


def adx_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> DirectionalMovement:
    """`adx` of every row: (adx, plus_di, minus_di) panels; period >= 2."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length_at_least("period", period, 2, c.shape[1])
    with inputs.kernel_errors():
        return DirectionalMovement(*_kernels.adx_panel(h, lo, c, period))


def bbands_panel(
    values: npt.ArrayLike, period: int = 5, nbdev_up: float = 2.0, nbdev_down: float = 2.0
) -> Bands:
    """`bbands` of every row: (upper, middle, lower) panels."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    up = inputs.real("nbdev_up", nbdev_up)
    down = inputs.real("nbdev_down", nbdev_down)
    with inputs.kernel_errors():
        return Bands(*_kernels.bbands_panel(panel, period, up, down))


def atr_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """`atr` of every row of the high, low and close panels."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, c.shape[1])
    with inputs.kernel_errors():
        return _kernels.atr_panel(h, lo, c, period)


def natr_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """`natr` of every row of the high, low and close panels."""
    h, lo, c = _hlc(high, low, close)
    period = inputs.length("period", period, c.shape[1])
    with inputs.kernel_errors():
        return _kernels.natr_panel(h, lo, c, period)


def obv_panel(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """`obv` of every row of the close and volume panels."""
    c, v = inputs.panels(("close", close), ("volume", volume))
    with inputs.kernel_errors():
        return _kernels.obv_panel(c, v)


def ad_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike
) -> FloatArray:
    """`ad` of every row of the high, low, close and volume panels."""
    h, lo, c, v = _hlcv(high, low, close, volume)
    with inputs.kernel_errors():
        return _kernels.ad_panel(h, lo, c, v)


def mfi_panel(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 14,
) -> FloatArray:
    """`mfi` of every row of the high, low, close and volume panels."""
    h, lo, c, v = _hlcv(high, low, close, volume)
    period = inputs.length("period", period, c.shape[1])
    with inputs.kernel_errors():
        return _kernels.mfi_panel(h, lo, c, v, period)
