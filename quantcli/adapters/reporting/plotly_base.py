"""Plotly for the reports: interactive charts as HTML fragments sharing one embedded copy of
plotly.js, so a report stays a single file that works offline.

plotly is imported inside the functions: the CLI starts without loading it, and only writing a
report pays for it. Each chart is a `<div>` plus the inline call that draws it; `page` puts
`plotly_js()` in the document head once when any chart is present.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

# The class plotly gives a chart's div: how `page` knows a document needs plotly.js.
CHART_CLASS = "plotly-graph-div"
CHART_HEIGHT = 340
BLUE = "#1f5fa8"
RED = "#b8322a"
GREY = "#7a7a7a"
GREEN = "#1d7a3a"
ORANGE = "#d9822b"
_CONFIG = {"displaylogo": False, "responsive": True}


@functools.cache
def plotly_js() -> str:
    """plotly.js as inline script elements, for the document head (about 4.5 MB)."""
    from plotly.offline import get_plotlyjs

    # As plotly's own to_html: MathJax set to 'local' so plotly.js never fetches it.
    return (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"<script>{get_plotlyjs()}</script>"
    )


def new_figure(title: str, *, x_title: str, y_title: str, height: int = CHART_HEIGHT) -> Any:
    """An empty figure in the report's style: titled, axes labelled, white background."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(
        template="none",
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 80, "r": 30, "t": 50, "b": 55},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    figure.update_xaxes(title_text=x_title, gridcolor="#e6e6e6", zerolinecolor="#bbbbbb")
    figure.update_yaxes(title_text=y_title, gridcolor="#e6e6e6", zerolinecolor="#bbbbbb")
    return figure


def chart_html(figure: Any, chart_id: str) -> str:
    """The figure as a div and its drawing script; plotly.js is not included (see plotly_js)."""
    import plotly.io as pio

    return str(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{chart_id}",
            config=_CONFIG,
            default_width="100%",
            default_height=f"{figure.layout.height or CHART_HEIGHT}px",
        )
    )


def no_data(figure: Any) -> Any:
    """Mark a figure that has nothing to draw."""
    figure.add_annotation(text="no data", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return figure


def x_axis(index: pd.Index) -> tuple[list[Any], str]:
    """Values for a time axis and its title: dates (YYYY-MM-DD) when every timestamp is
    midnight UTC (daily bars), else UTC date and time; other indexes as they are."""
    if isinstance(index, pd.DatetimeIndex):
        utc = index.tz_convert("UTC") if index.tz is not None else index
        if len(utc) and bool((utc == utc.normalize()).all()):
            return list(utc.strftime("%Y-%m-%d")), "date"
        return list(utc.strftime("%Y-%m-%d %H:%M:%S")), "time (UTC)"
    return list(index), ""


def values(series: pd.Series) -> list[float | None]:
    """Numbers for plotly: NaN and infinities become gaps (null)."""
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return [float(v) if np.isfinite(v) else None for v in numbers]
