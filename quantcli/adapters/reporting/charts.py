"""Report charts as interactive plotly fragments (see `plotly_base`): equity (with a benchmark
and a linear/log switch), drawdown, rolling Sharpe, the monthly returns heatmap and the Monte
Carlo histograms. Each function returns the chart's HTML; `chart_id` must be unique in a page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from quantcli.adapters.reporting.plotly_base import (
    BLUE,
    GREY,
    RED,
    Chart,
    axis,
    values,
    x_axis,
)


class Histogram(NamedTuple):
    """One panel of `histograms_chart`: the values, the original's value and an interval."""

    label: str
    values: Sequence[float]
    point_estimate: float
    lower: float
    upper: float
    percent: bool = False  # values are fractions, shown in percent


def equity_chart(
    equity: pd.Series,
    chart_id: str,
    *,
    title: str = "Equity",
    currency: str = "USD",
    benchmark: pd.Series | None = None,
    benchmark_name: str = "benchmark",
    boundaries: Sequence[Any] = (),
) -> str:
    """Equity over time, the benchmark's equity dashed beside it, buttons switching the value
    axis between linear and log; `boundaries` (x values, e.g. where each walk-forward test
    window starts) are drawn as dotted vertical lines."""
    x, x_title = x_axis(equity.index)
    chart = Chart.new(title, x_title=x_title, y_title=f"equity ({currency})")
    y = values(equity)
    if not any(v is not None for v in y):
        return chart.no_data().html(chart_id)
    money = f"%{{y:,.2f}} {currency}"
    chart.add(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "name": "strategy",
            "line": {"color": BLUE, "width": 1.6},
            "hovertemplate": money,
        }
    )
    if benchmark is not None and len(benchmark):
        chart.add(
            {
                "type": "scatter",
                "x": x_axis(benchmark.index)[0],
                "y": values(benchmark),
                "name": benchmark_name,
                "line": {"color": GREY, "width": 1.2, "dash": "dash"},
                "hovertemplate": money,
            }
        )
    for boundary in _boundaries(boundaries, equity.index):
        chart.vline(boundary, dash="dot", color="#999999")
    large = np.nanmax(np.abs(equity.to_numpy(dtype=np.float64))) >= 1000
    chart.layout["yaxis"]["tickformat"] = ",.0f" if large else ",.3f"
    chart.layout["margin"]["t"] = 90
    chart.layout["title"].update({"y": 0.97, "yanchor": "top"})
    chart.layout["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "right",
            "x": 0.0,
            "xanchor": "left",
            "y": 1.01,
            "yanchor": "bottom",
            "showactive": True,
            "buttons": [
                {"label": "Linear", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
                {"label": "Log", "method": "relayout", "args": [{"yaxis.type": "log"}]},
            ],
        }
    ]
    return chart.html(chart_id)


def drawdown_chart(drawdown: pd.Series, chart_id: str, *, title: str = "Drawdown") -> str:
    """The fall below the running peak over time, filled, in percent."""
    x, x_title = x_axis(drawdown.index)
    chart = Chart.new(title, x_title=x_title, y_title="drawdown (% below peak)")
    y = values(drawdown)
    if not any(v is not None for v in y):
        return chart.no_data().html(chart_id)
    chart.add(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "name": "drawdown",
            "fill": "tozeroy",
            "line": {"color": RED, "width": 1},
            "fillcolor": "rgba(184,50,42,0.3)",
            "hovertemplate": "%{y:.2%}",
        }
    )
    chart.layout["yaxis"]["tickformat"] = ".0%"
    return chart.html(chart_id)


def line_chart(
    series: Sequence[tuple[str, pd.Series, str]],
    chart_id: str,
    *,
    title: str,
    y_title: str,
    percent: bool = False,
    zero_line: bool = True,
) -> str:
    """Lines (name, values, colour) over time; `percent` shows fractions as percentages."""
    first = series[0][1] if series else pd.Series(dtype=np.float64)
    chart = Chart.new(title, x_title=x_axis(first.index)[1], y_title=y_title)
    if not any(np.isfinite(pd.to_numeric(s, errors="coerce")).any() for _, s, _ in series):
        return chart.no_data().html(chart_id)
    hover = "%{y:.2%}" if percent else "%{y:,.2f}"
    for name, line, colour in series:
        chart.add(
            {
                "type": "scatter",
                "x": x_axis(line.index)[0],
                "y": values(line),
                "name": name,
                "line": {"color": colour, "width": 1.3},
                "hovertemplate": hover,
            }
        )
    if zero_line:
        chart.hline(0.0)
    if percent:
        chart.layout["yaxis"]["tickformat"] = ".0%"
    return chart.html(chart_id)


def rolling_sharpe_chart(sharpe: pd.Series, chart_id: str, window: int | None = None) -> str:
    """The rolling annualised Sharpe ratio, with a zero line."""
    title = "Rolling Sharpe ratio" + (f" ({window:,} bars)" if window else "")
    return line_chart(
        [("Sharpe", sharpe, BLUE)], chart_id, title=title, y_title="Sharpe ratio (annualised)"
    )


def monthly_heatmap_chart(table: pd.DataFrame, chart_id: str) -> str:
    """Years × months heatmap of monthly returns, red losses and green gains on a scale
    symmetric around zero, each cell labelled in percent; the "Year" column is left out."""
    months = table.iloc[:, :12]
    height = max(200, 110 + 34 * len(months.index))
    chart = Chart.new("Monthly returns", x_title="month", y_title="year", height=height)
    grid = months.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(grid).any():
        return chart.no_data().html(chart_id)
    limit = max(float(np.nanmax(np.abs(grid))), 1e-9)
    chart.add(
        {
            "type": "heatmap",
            "z": [values(row) for row in grid],
            "x": [str(column) for column in months.columns],
            "y": [str(year) for year in months.index],
            "text": [[f"{v * 100:.1f}%" if np.isfinite(v) else "" for v in row] for row in grid],
            "texttemplate": "%{text}",
            "colorscale": "RdYlGn",
            "zmin": -limit,
            "zmax": limit,
            "colorbar": {"title": {"text": "return"}, "tickformat": ".0%"},
            "hovertemplate": "%{y} %{x}: %{z:.2%}<extra></extra>",
        }
    )
    chart.layout["yaxis"].update({"type": "category", "autorange": "reversed"})
    chart.layout["hovermode"] = "closest"
    return chart.html(chart_id)


def histograms_chart(title: str, panels: Sequence[Histogram], chart_id: str) -> str:
    """Side-by-side histograms, one per panel: the paths' values, a solid line at the
    original's value and dashed lines at the interval's ends."""
    chart = Chart.new(title, x_title="", y_title="")
    chart.layout.update({"showlegend": False, "hovermode": "closest", "annotations": []})
    count = max(1, len(panels))
    gap = 0.06
    width = (1.0 - gap * (count - 1)) / count
    for number, panel in enumerate(panels, start=1):
        suffix = "" if number == 1 else str(number)
        left = (number - 1) * (width + gap)
        numbers = np.asarray(panel.values, dtype=np.float64)
        numbers = numbers[np.isfinite(numbers)]
        tick = ".1%" if panel.percent else ",.2f"
        chart.add(
            {
                "type": "histogram",
                "x": numbers.tolist(),
                "nbinsx": max(1, min(40, int(np.sqrt(numbers.size)))),
                "marker": {"color": BLUE, "opacity": 0.6},
                "hovertemplate": f"%{{x:{tick}}}: %{{y:,}} paths<extra></extra>",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        x_title = "value (%)" if panel.percent else "value"
        chart.layout[f"xaxis{suffix}"] = axis(
            x_title, tickformat=tick, domain=[left, left + width], anchor=f"y{suffix}"
        )
        chart.layout[f"yaxis{suffix}"] = axis("paths" if number == 1 else "", anchor=f"x{suffix}")
        chart.layout["annotations"].append(
            {
                "text": panel.label,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": left + width / 2,
                "y": 1.0,
                "xanchor": "center",
                "yanchor": "bottom",
            }
        )
        for marker, dash in (
            (panel.point_estimate, "solid"),
            (panel.lower, "dash"),
            (panel.upper, "dash"),
        ):
            if np.isfinite(marker):
                chart.vline(float(marker), dash=dash, axes=suffix)
    chart.layout["margin"]["t"] = 75
    return chart.html(chart_id)


def _boundaries(boundaries: Sequence[Any], index: pd.Index) -> list[Any]:
    if not len(boundaries):
        return []
    if isinstance(index, pd.DatetimeIndex):
        stamps = pd.DatetimeIndex(pd.to_datetime(list(boundaries), utc=True))
        daily = x_axis(index)[1] == "date"
        return list(stamps.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S"))
    return list(boundaries)
