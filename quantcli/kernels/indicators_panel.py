"""Panel forms: one call over (symbols × time) float64 panels, rows computed in parallel.

Each row of the result equals the 1-D function applied to that row.
"""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray
from quantcli.kernels.indicators_ta import Bands


def _panel(name: str, values: npt.ArrayLike) -> FloatArray:
    return inputs.panel(name, values)


def _same_shape(*named: tuple[str, FloatArray]) -> None:
    first_name, first = named[0]
    for name, values in named[1:]:
        if values.shape != first.shape:
            raise ValidationError(
                f"{name} has shape {values.shape}, but {first_name} has shape {first.shape}"
            )


def sma_panel(values: npt.ArrayLike, period: int) -> FloatArray:
    """`sma` of every row."""
    panel = _panel("values", values)
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.sma_panel(panel, period)


def ema_panel(values: npt.ArrayLike, period: int) -> FloatArray:
    """`ema` of every row."""
    panel = _panel("values", values)
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.ema_panel(panel, period)


def wma_panel(values: npt.ArrayLike, period: int) -> FloatArray:
    """`wma` of every row."""
    panel = _panel("values", values)
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.wma_panel(panel, period)


def rsi_panel(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """`rsi` of every row."""
    panel = _panel("close", close)
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rsi_panel(panel, period)


def pct_return_panel(values: npt.ArrayLike, horizon: int) -> FloatArray:
    """`pct_return` of every row."""
    panel = _panel("values", values)
    horizon = inputs.length("horizon", horizon, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.pct_return_panel(panel, horizon)


def rolling_std_panel(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """`rolling_std` of every row."""
    panel = _panel("values", values)
    window = inputs.length("window", window, panel.shape[1])
    if not inputs.is_int(ddof) or not 0 <= ddof < window:
        raise ValidationError(f"ddof must be an int in [0, window={window}), got {ddof!r}")
    with inputs.kernel_errors():
        return _kernels.rolling_std_panel(panel, window, int(ddof))


def rolling_min_panel(values: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_min` of every row."""
    panel = _panel("values", values)
    window = inputs.length("window", window, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_min_panel(panel, window)


def rolling_max_panel(values: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_max` of every row."""
    panel = _panel("values", values)
    window = inputs.length("window", window, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_max_panel(panel, window)


def atr_panel(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """`atr` of every row of the high, low and close panels."""
    h, lo, c = _panel("high", high), _panel("low", low), _panel("close", close)
    _same_shape(("high", h), ("low", lo), ("close", c))
    period = inputs.length("period", period, h.shape[1])
    with inputs.kernel_errors():
        return _kernels.atr_panel(h, lo, c, period)


def bbands_panel(
    values: npt.ArrayLike, period: int = 5, nbdev_up: float = 2.0, nbdev_down: float = 2.0
) -> Bands:
    """`bbands` of every row."""
    panel = _panel("values", values)
    period = inputs.length("period", period, panel.shape[1])
    up = inputs.real("nbdev_up", nbdev_up)
    down = inputs.real("nbdev_down", nbdev_down)
    with inputs.kernel_errors():
        return Bands(*_kernels.bbands_panel(panel, period, up, down))
