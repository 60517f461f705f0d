"""Panel forms of the channels, VWAPs and rolling statistics (`indicators_stats`).

Each row of the result equals the 1-D call on that row.
"""

from __future__ import annotations

import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray
from quantcli.kernels.indicators_ta import Bands


def keltner_panel(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    *,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> Bands:
    """`keltner` of every row: (upper, middle, lower) panels."""
    h, lo, c = inputs.panels(("high", high), ("low", low), ("close", close))
    period = inputs.length("period", period, c.shape[1])
    atr_period = inputs.length("atr_period", atr_period, c.shape[1])
    multiplier = inputs.real("multiplier", multiplier)
    with inputs.kernel_errors():
        return Bands(*_kernels.keltner_panel(h, lo, c, period, atr_period, multiplier))


def donchian_panel(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> Bands:
    """`donchian` of every row: (upper, middle, lower) panels."""
    h, lo = inputs.panels(("high", high), ("low", low))
    period = inputs.length("period", period, h.shape[1])
    with inputs.kernel_errors():
        return Bands(*_kernels.donchian_panel(h, lo, period))


def rolling_vwap_panel(price: npt.ArrayLike, volume: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_vwap` of every row of the price and volume panels."""
    p, v = inputs.panels(("price", price), ("volume", volume))
    window = inputs.length("window", window, p.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_vwap_panel(p, v, window)


def session_vwap_panel(
    price: npt.ArrayLike, volume: npt.ArrayLike, session: npt.ArrayLike
) -> FloatArray:
    """`session_vwap` of every row of the price and volume panels.

    `session` is either 1-D, one integer session id per bar (column) shared by every symbol, as
    when all trade on one calendar; or 2-D, of the panels' shape, each symbol its own sessions.
    """
    p, v = inputs.panels(("price", price), ("volume", volume))
    ids = inputs.int_array("session", session, ndims=(1, 2))
    if ids.ndim == 1:
        if len(ids) != p.shape[1]:
            raise ValidationError(
                f"session has {len(ids)} values, but price has {p.shape[1]} columns"
            )
        ids = ids.reshape(1, -1)
    elif ids.shape != p.shape:
        raise ValidationError(f"session has shape {ids.shape}, but price has shape {p.shape}")
    with inputs.kernel_errors():
        return _kernels.session_vwap_panel(p, v, ids)


def rolling_mean_panel(values: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_mean` of every row."""
    (panel,) = inputs.panels(("values", values))
    window = inputs.length("window", window, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_mean_panel(panel, window)


def rolling_zscore_panel(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """`rolling_zscore` of every row."""
    (panel,) = inputs.panels(("values", values))
    window = inputs.length("window", window, panel.shape[1])
    ddof = inputs.ddof(ddof, window)
    with inputs.kernel_errors():
        return _kernels.rolling_zscore_panel(panel, window, ddof)


def rolling_min_panel(values: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_min` of every row."""
    (panel,) = inputs.panels(("values", values))
    window = inputs.length("window", window, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_min_panel(panel, window)


def rolling_max_panel(values: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_max` of every row."""
    (panel,) = inputs.panels(("values", values))
    window = inputs.length("window", window, panel.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_max_panel(panel, window)


def rolling_corr_panel(x: npt.ArrayLike, y: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_corr` of every row of the x and y panels (window >= 2)."""
    a, b = inputs.panels(("x", x), ("y", y))
    window = inputs.length_at_least("window", window, 2, a.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_corr_panel(a, b, window)


def rolling_beta_panel(asset: npt.ArrayLike, benchmark: npt.ArrayLike, window: int) -> FloatArray:
    """`rolling_beta` of every row of the asset panel on the same row of the benchmark panel."""
    a, b = inputs.panels(("asset", asset), ("benchmark", benchmark))
    window = inputs.length_at_least("window", window, 2, a.shape[1])
    with inputs.kernel_errors():
        return _kernels.rolling_beta_panel(a, b, window)
