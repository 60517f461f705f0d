"""Plotly for the reports: interactive charts as HTML fragments sharing one embedded copy of
plotly.js, so a report stays a single file that works offline.

A `Chart` is plotly's figure format written directly (traces and layout as plain dicts, the
schema plotly.js reads): building plotly's validated Python figures costs about a second a
report, and the Python package is only needed for the bundled plotly.js, which is imported on
first use so the CLI starts without it. Each chart becomes a `<div>` plus the inline call that
draws it; `page` puts `plotly_js()` in the document head once when any chart is present.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import attrs
import numpy as np
import pandas as pd

# The class of a chart's div: how `page` knows a document needs plotly.js.
CHART_CLASS = "plotly-graph-div"
CHART_HEIGHT = 340
BLUE = "#1f5fa8"
RED = "#b8322a"
GREY = "#7a7a7a"
GREEN = "#1d7a3a"
ORANGE = "#d9822b"
BLACK = "#1d1d1f"
_CONFIG = {"displaylogo": False, "responsive": True}
# Inside <script>, "</script>" or "<!--" in a string would end or confuse the element: escape
# the characters as plotly's own to_html does.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "/": "\\u002f", "&": "\\u0026"})


@functools.cache
def plotly_js() -> str:
    """plotly.js as inline script elements, for the document head (about 4.5 MB)."""
    from plotly.offline import get_plotlyjs

    # As plotly's own to_html: MathJax set to 'local' so plotly.js never fetches it.
    return (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"<script>{get_plotlyjs()}</script>"
    )


def axis(title: str, **options: Any) -> dict[str, Any]:
    """A cartesian axis titled `title` in the report's style."""
    return {
        "title": {"text": title},
        "gridcolor": "#e6e6e6",
        "zerolinecolor": "#bbbbbb",
        "automargin": True,
        **options,
    }


@attrs.define
class Chart:
    """One plotly figure: `data` (traces) and `layout`, as plotly.js takes them."""

    layout: dict[str, Any]
    data: list[dict[str, Any]] = attrs.field(factory=list)

    @classmethod
    def new(cls, title: str, *, x_title: str, y_title: str, height: int = CHART_HEIGHT) -> Chart:
        """An empty chart in the report's style: titled, axes labelled, white background."""
        return cls(
            {
                "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
                "height": height,
                "margin": {"l": 80, "r": 30, "t": 50, "b": 55},
                "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
                "hovermode": "x unified",
                "legend": {
                    "orientation": "h",
                    "yanchor": "bottom",
                    "y": 1.0,
                    "xanchor": "right",
                    "x": 1,
                },
                "paper_bgcolor": "white",
                "plot_bgcolor": "white",
                "xaxis": axis(x_title),
                "yaxis": axis(y_title),
            }
        )

    def add(self, trace: dict[str, Any]) -> Chart:
        self.data.append(trace)
        return self

    def vline(self, x: Any, *, dash: str = "solid", color: str = BLACK, axes: str = "") -> Chart:
        """A vertical line at `x` across the plot (of subplot `axes`, e.g. "2")."""
        line = {"color": color, "width": 1.2, "dash": dash}
        shape = {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line}
        shape.update({"xref": f"x{axes}", "yref": f"y{axes} domain" if axes else "paper"})
        self.layout.setdefault("shapes", []).append(shape)
        return self

    def hline(self, y: float, color: str = "#444444") -> Chart:
        """A horizontal line at `y` across the plot."""
        shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y}
        self.layout.setdefault("shapes", []).append({**shape, "line": {"color": color, "width": 1}})
        return self

    def no_data(self) -> Chart:
        """Mark a chart that has nothing to draw."""
        note = {"text": "no data", "showarrow": False, "xref": "paper", "yref": "paper"}
        self.layout.setdefault("annotations", []).append({**note, "x": 0.5, "y": 0.5})
        return self

    def html(self, chart_id: str) -> str:
        """The chart's div and the call that draws it (plotly.js itself: see plotly_js)."""
        element = f"chart-{chart_id}"
        arguments = ", ".join(_script_json(part) for part in (self.data, self.layout, _CONFIG))
        return (
            f'<div id="{element}" class="{CHART_CLASS}" '
            f'style="height:{int(self.layout["height"])}px; width:100%;"></div>\n'
            f'<script>Plotly.newPlot("{element}", {arguments});</script>'
        )


def x_axis(index: pd.Index) -> tuple[list[Any], str]:
    """Values for a time axis and its title: dates (YYYY-MM-DD) when every timestamp is
    midnight UTC (daily bars), else UTC date and time; other indexes as they are."""
    if isinstance(index, pd.DatetimeIndex):
        utc = index.tz_convert("UTC") if index.tz is not None else index
        if len(utc) and bool((utc == utc.normalize()).all()):
            return list(utc.strftime("%Y-%m-%d")), "date"
        return list(utc.strftime("%Y-%m-%d %H:%M:%S")), "time (UTC)"
    return [_plain(value) for value in index], ""


def values(series: pd.Series | np.ndarray) -> list[float | None]:
    """Numbers for plotly: NaN and infinities become gaps (null)."""
    numbers = pd.to_numeric(pd.Series(series), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    return [float(v) if np.isfinite(v) else None for v in numbers]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _script_json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"), default=str).translate(
        _SCRIPT_SAFE
    )
