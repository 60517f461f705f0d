"""Report charts as PNG bytes, drawn with matplotlib's Agg canvas (no pyplot): equity,
drawdown, rolling Sharpe, the monthly returns heatmap and Monte Carlo histograms."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

# Figure + FigureCanvasAgg instead of pyplot: no global backend switch, no figure registry
# to leak memory, safe to call from any thread of a host application.
_FIGSIZE_INCHES = (10.0, 3.2)
_DPI = 100
_EQUITY_COLOUR = "#1f5fa8"
_DRAWDOWN_COLOUR = "#b8322a"
_MARKER_COLOUR = "#1d1d1f"


class Histogram(NamedTuple):
    """One panel of `histograms_png`: the values, the original's value and an interval."""

    label: str
    values: Sequence[float]
    point_estimate: float
    lower: float
    upper: float
    percent: bool = False  # values are fractions, shown in percent


def equity_png(equity: pd.Series, title: str = "Equity", boundaries: Sequence[Any] = ()) -> bytes:
    """Line chart of account equity over time; `boundaries` (x values, e.g. the start of each
    walk-forward test window) are drawn as faint vertical lines."""
    figure, axes = _new_figure(title)
    x, y = _xy(equity)
    if y.size:
        for boundary in _x_values(boundaries, equity.index):
            axes.axvline(boundary, color="#999999", linewidth=0.7, linestyle=":")
        axes.plot(x, y, color=_EQUITY_COLOUR, linewidth=1.2)
        _label_x_axis(axes, x)
        # Account values read best as 1,250,000; a normalised curve (around 1.0) keeps decimals.
        if np.nanmax(np.abs(y), initial=0.0) >= 1000:
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    else:
        _no_data(axes)
    axes.set_ylabel("equity")
    return _png(figure)


def drawdown_png(drawdown: pd.Series, title: str = "Drawdown") -> bytes:
    """Filled chart of the drawdown (fraction below the running peak) in percent."""
    figure, axes = _new_figure(title)
    x, y = _xy(drawdown)
    if y.size:
        percent = y * 100.0
        axes.fill_between(x, percent, 0.0, color=_DRAWDOWN_COLOUR, alpha=0.35, linewidth=0)
        axes.plot(x, percent, color=_DRAWDOWN_COLOUR, linewidth=0.8)
        _label_x_axis(axes, x)
    else:
        _no_data(axes)
    axes.set_ylabel("drawdown (%)")
    return _png(figure)


def rolling_sharpe_png(sharpe: pd.Series, window: int | None = None) -> bytes:
    """Line chart of the rolling annualized Sharpe ratio, with a zero line."""
    title = "Rolling Sharpe" if window is None else f"Rolling Sharpe ({window} bars)"
    figure, axes = _new_figure(title)
    x, y = _xy(sharpe)
    if np.isfinite(y).any():
        axes.plot(x, y, color=_EQUITY_COLOUR, linewidth=1.0)
        axes.axhline(0.0, color="#444444", linewidth=0.8)
        _label_x_axis(axes, x)
    else:
        _no_data(axes)
    axes.set_ylabel("Sharpe (annualized)")
    return _png(figure)


def monthly_heatmap_png(table: pd.DataFrame) -> bytes:
    """Years × months heatmap of monthly returns, each cell annotated in percent.

    `table` has one row per year and the month columns first (Jan..Dec); any further
    column (e.g. "Year") is left out of the colours. Red is a loss, green a gain, and the
    scale is symmetric around zero so equal colours mean equal magnitudes.
    """
    months = table.iloc[:, :12]
    values = months.to_numpy(dtype=np.float64, na_value=np.nan) * 100.0
    rows = max(1, values.shape[0])
    figure = Figure(figsize=(10.0, 0.9 + 0.42 * rows), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title("Monthly returns (%)", loc="left", fontsize=11)
    if values.size and np.isfinite(values).any():
        limit = max(float(np.nanmax(np.abs(values))), 1e-9)
        axes.imshow(
            np.ma.masked_invalid(values), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto"
        )
        for (row, column), value in np.ndenumerate(values):
            if np.isfinite(value):
                label = f"{value:.1f}%".replace("-0.0%", "0.0%")  # no negative zero
                axes.text(column, row, label, ha="center", va="center", fontsize=8)
        axes.set_xticks(range(months.shape[1]), [str(c) for c in months.columns])
        axes.set_yticks(range(len(months.index)), [str(i) for i in months.index])
    else:
        _no_data(axes)
        axes.set_xticks([])
        axes.set_yticks([])
    return _png(figure)


def histograms_png(title: str, panels: Sequence[Histogram]) -> bytes:
    """Side-by-side histograms, one per panel: the paths' values, a solid line at the
    original's value and dashed lines at the interval's ends."""
    figure = Figure(figsize=_FIGSIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    for number, panel in enumerate(panels, start=1):
        axes = figure.add_subplot(1, max(1, len(panels)), number)
        scale = 100.0 if panel.percent else 1.0
        values = np.asarray(panel.values, dtype=np.float64) * scale
        values = values[np.isfinite(values)]
        axes.set_title(panel.label, fontsize=9)
        axes.grid(visible=True, alpha=0.3)
        if values.size:
            # A constant metric (e.g. no drawdown on any path) still gets one visible bar.
            spread = float(np.ptp(values)) or max(abs(float(values[0])), 1.0) * 1e-3
            bins = max(1, min(40, int(np.sqrt(values.size))))
            axes.hist(
                values,
                bins=bins,
                range=(values.min(), values.min() + spread),
                color=_EQUITY_COLOUR,
                alpha=0.6,
            )
            for marker, style in (
                (panel.point_estimate, "-"),
                (panel.lower, "--"),
                (panel.upper, "--"),
            ):
                if np.isfinite(marker):
                    axes.axvline(
                        marker * scale, color=_MARKER_COLOUR, linestyle=style, linewidth=1.0
                    )
            if panel.percent:
                axes.set_xlabel("%")
        else:
            _no_data(axes)
        axes.tick_params(labelsize=8)
    return _png(figure)


def _new_figure(title: str) -> tuple[Figure, Axes]:
    # Constrained layout fits tick labels of any width (e.g. 1,250,000) inside the image.
    figure = Figure(figsize=_FIGSIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11)
    axes.grid(visible=True, alpha=0.3)
    return figure, axes


def _xy(series: pd.Series) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.float64]]:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    index = series.index
    if isinstance(index, pd.DatetimeIndex):
        # Naive UTC datetime64 plots fast and the axis is labelled UTC below.
        naive = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
        return naive.to_numpy(), values
    return np.asarray(index), values


def _x_values(values: Sequence[Any], index: pd.Index) -> list[Any]:
    """`values` on the x axis `_xy` makes of `index`: naive UTC for a timestamp axis."""
    if not len(values):
        return []
    if isinstance(index, pd.DatetimeIndex):
        stamps = pd.DatetimeIndex(pd.to_datetime(list(values), utc=True))
        return list(stamps.tz_localize(None).to_numpy())
    return list(values)


def _label_x_axis(axes: Axes, x: npt.NDArray[np.generic]) -> None:
    if np.issubdtype(x.dtype, np.datetime64):
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # untyped in matplotlib
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        axes.set_xlabel("UTC")


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "no data", transform=axes.transAxes, ha="center", va="center")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No Software/date metadata: the same report renders to the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
