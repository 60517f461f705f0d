"""Panel forms: one call over (symbols × time) float64 panels, rows computed in parallel.

Every indicator `name` has a `name_panel` taking 2-D panels in place of its series (rows are
symbols, columns are bars) and returning 2-D arrays, or a tuple of them in the same order;
each row of the result equals `name` applied to that row. Lengths (periods, windows) are checked
against the number of columns. This module holds the panels of `indicators`; those of
`indicators_ta` and `indicators_stats` are in `indicators_ta_panel` and `indicators_stats_panel`.
"""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray


def sma_panel(values: npt.ArrayLike, period: int) -> FloatArray:
    """`sma` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.sma_panel(panel, period)


def ema_panel(values: npt.ArrayLike, period: int) -> FloatArray:
    """`ema` of every row."""
    (panel,) = inputs.panels(("values", values))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.ema_panel(panel, period)


def rsi_panel(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """`rsi` of every row."""
    (panel,) = inputs.panels(("close", close))
    period = inputs.length("period", period, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rsi_panel(panel, period)


def pct_return_panel(values: npt.ArrayLike, horizon: int) -> FloatArray:
    """`pct_return` of every row."""
    (panel,) = inputs.panels(("values", values))
    horizon = inputs.length("horizon", horizon, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.pct_return_panel(panel, horizon)


def rolling_std_panel(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """`rolling_std` of every row."""
    (panel,) = inputs.panels(("values", values))
    window = inputs.length("window", window, panel.shape[1])
    ddof = inputs.ddof(ddof, window)
    with inputs.kernel_errors():
        return _kernels.rolling_std_panel(panel, window, ddof)
