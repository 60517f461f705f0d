"""Equity and drawdown charts as PNG bytes, drawn with matplotlib's Agg canvas (no pyplot)."""

from __future__ import annotations

import io

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


def equity_png(equity: pd.Series) -> bytes:
    """Line chart of account equity over time."""
    figure, axes = _new_figure("Equity")
    x, y = _xy(equity)
    if y.size:
        axes.plot(x, y, color=_EQUITY_COLOUR, linewidth=1.2)
        _label_x_axis(axes, x)
        # Account values read best as 1,250,000; a normalised curve (around 1.0) keeps decimals.
        if np.nanmax(np.abs(y), initial=0.0) >= 1000:
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    else:
        _no_data(axes)
    axes.set_ylabel("equity")
    return _png(figure)


def drawdown_png(drawdown: pd.Series) -> bytes:
    """Filled chart of the drawdown (fraction below the running peak) in percent."""
    figure, axes = _new_figure("Drawdown")
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
