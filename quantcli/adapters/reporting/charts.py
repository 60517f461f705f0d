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
    chart_html,
    new_figure,
    no_data,
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
    figure = new_figure(title, x_title=x_title, y_title=f"equity ({currency})")
    y = values(equity)
    if not any(v is not None for v in y):
        return chart_html(no_data(figure), chart_id)
    money = f"%{{y:,.2f}} {currency}"
    figure.add_scatter(
        x=x, y=y, name="strategy", line={"color": BLUE, "width": 1.6}, hovertemplate=money
    )
    if benchmark is not None and len(benchmark):
        figure.add_scatter(
            x=x_axis(benchmark.index)[0],
            y=values(benchmark),
            name=benchmark_name,
            line={"color": GREY, "width": 1.2, "dash": "dash"},
            hovertemplate=money,
        )
    for boundary in _boundaries(boundaries, equity.index):
        figure.add_vline(x=boundary, line={"color": "#999999", "width": 1, "dash": "dot"})
    figure.update_yaxes(tickformat=",.0f" if np.nanmax(np.abs(equity)) >= 1000 else ",.3f")
    figure.update_layout(
        margin={"t": 90},
        title={"y": 0.97, "yanchor": "top"},
        updatemenus=[
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
        ],
    )
    return chart_html(figure, chart_id)


def drawdown_chart(drawdown: pd.Series, chart_id: str, *, title: str = "Drawdown") -> str:
    """The fall below the running peak over time, filled, in percent."""
    x, x_title = x_axis(drawdown.index)
    figure = new_figure(title, x_title=x_title, y_title="drawdown (% below peak)")
    y = values(drawdown)
    if not any(v is not None for v in y):
        return chart_html(no_data(figure), chart_id)
    figure.add_scatter(
        x=x,
        y=y,
        name="drawdown",
        fill="tozeroy",
        line={"color": RED, "width": 1},
        fillcolor="rgba(184,50,42,0.3)",
        hovertemplate="%{y:.2%}",
    )
    figure.update_yaxes(tickformat=".0%")
    return chart_html(figure, chart_id)


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
    x_title = x_axis(first.index)[1]
    figure = new_figure(title, x_title=x_title, y_title=y_title)
    if not any(np.isfinite(pd.to_numeric(s, errors="coerce")).any() for _, s, _ in series):
        return chart_html(no_data(figure), chart_id)
    hover = "%{y:.2%}" if percent else "%{y:,.2f}"
    for name, values_, colour in series:
        figure.add_scatter(
            x=x_axis(values_.index)[0],
            y=values(values_),
            name=name,
            line={"color": colour, "width": 1.3},
            hovertemplate=hover,
        )
    if zero_line:
        figure.add_hline(y=0.0, line={"color": "#444444", "width": 1})
    if percent:
        figure.update_yaxes(tickformat=".0%")
    return chart_html(figure, chart_id)


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
    figure = new_figure(
        "Monthly returns",
        x_title="month",
        y_title="year",
        height=max(200, 110 + 34 * len(months.index)),
    )
    grid = months.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(grid).any():
        return chart_html(no_data(figure), chart_id)
    limit = max(float(np.nanmax(np.abs(grid))), 1e-9)
    text = [[f"{v * 100:.1f}%" if np.isfinite(v) else "" for v in row] for row in grid]
    figure.add_heatmap(
        z=[[float(v) if np.isfinite(v) else None for v in row] for row in grid],
        x=[str(column) for column in months.columns],
        y=[str(year) for year in months.index],
        text=text,
        texttemplate="%{text}",
        colorscale="RdYlGn",
        zmin=-limit,
        zmax=limit,
        colorbar={"title": {"text": "return"}, "tickformat": ".0%"},
        hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
    )
    figure.update_yaxes(type="category", autorange="reversed")
    figure.update_layout(hovermode="closest")
    return chart_html(figure, chart_id)


def histograms_chart(title: str, panels: Sequence[Histogram], chart_id: str) -> str:
    """Side-by-side histograms, one per panel: the paths' values, a solid line at the
    original's value and dashed lines at the interval's ends."""
    from plotly.subplots import make_subplots

    count = max(1, len(panels))
    figure = make_subplots(rows=1, cols=count, subplot_titles=[p.label for p in panels])
    base = new_figure(title, x_title="", y_title="")
    figure.update_layout(base.layout)
    figure.update_layout(showlegend=False, hovermode="closest")
    for column, panel in enumerate(panels, start=1):
        numbers = np.asarray(panel.values, dtype=np.float64)
        numbers = numbers[np.isfinite(numbers)]
        tick = ".1%" if panel.percent else ",.2f"
        figure.add_histogram(
            x=numbers.tolist(),
            nbinsx=max(1, min(40, int(np.sqrt(numbers.size)))),
            marker={"color": BLUE, "opacity": 0.6},
            hovertemplate=f"%{{x:{tick}}}: %{{y:,}} paths<extra></extra>",
            row=1,
            col=column,
        )
        for marker, dash in (
            (panel.point_estimate, "solid"),
            (panel.lower, "dash"),
            (panel.upper, "dash"),
        ):
            if np.isfinite(marker):
                figure.add_vline(
                    x=float(marker),
                    line={"color": "#1d1d1f", "dash": dash, "width": 1.2},
                    row=1,
                    col=column,
                )
        figure.update_xaxes(
            title_text="value (%)" if panel.percent else "value", tickformat=tick, row=1, col=column
        )
        figure.update_yaxes(title_text="paths" if column == 1 else "", row=1, col=column)
    return chart_html(figure, chart_id)


def _boundaries(boundaries: Sequence[Any], index: pd.Index) -> list[Any]:
    if not len(boundaries):
        return []
    if isinstance(index, pd.DatetimeIndex):
        stamps = pd.DatetimeIndex(pd.to_datetime(list(boundaries), utc=True))
        return (
            x_axis(stamps)[0]
            if len(index) and x_axis(index)[1] == "date"
            else list(stamps.strftime("%Y-%m-%d %H:%M:%S"))
        )
    return list(boundaries)
