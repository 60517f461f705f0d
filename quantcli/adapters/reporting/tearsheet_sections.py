"""The tearsheet sections of a backtest report: the header line (data range, model version,
benchmark), the metrics in words, the worst drawdowns, the returns distribution, rolling
volatility and beta, exposure over time, P&L by symbol and the trade statistics."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from quantcli.adapters.reporting.charts import line_chart
from quantcli.adapters.reporting.markup import date_text, esc, frame_table
from quantcli.adapters.reporting.metric_labels import metric_text, metrics_table
from quantcli.adapters.reporting.plotly_base import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    Chart,
    values,
)
from quantcli.application.backtest.ports import BacktestReport, Tearsheet


def header(report: BacktestReport) -> str:
    """Data range and bar count, the model version when a model made the signals, the
    benchmark and the currency."""
    equity = report.equity
    if equity.empty:
        parts = ["No equity points."]
    else:
        parts = [
            f"Data {date_text(equity.index[0])} to {date_text(equity.index[-1])} "
            f"({len(equity):,} bars)"
        ]
    sheet = report.tearsheet
    if sheet is not None and sheet.benchmark_name:
        parts.append(f"benchmark: {sheet.benchmark_name}")
    parts.append(f"amounts in {report.currency}")
    line = f'<p class="period">{esc(" · ".join(parts))}</p>'
    if report.model_version:
        line += f'\n<p class="period model">Model: {esc(report.model_version)}</p>'
    return line


def drawdowns_section(sheet: Tearsheet | None) -> list[str]:
    if sheet is None:
        return []
    table = sheet.drawdowns
    if table.empty:
        return ["<h2>Worst drawdowns</h2>", '<p class="note">The equity never fell.</p>']
    shown = table.assign(
        recovery=[
            date_text(value) if not pd.isna(value) else "not recovered"
            for value in table["recovery"]
        ]
    )
    formats = {
        "start": date_text,
        "trough": date_text,
        "depth": lambda value: f"{float(value) * 100:,.2f}%",
        "length_bars": lambda value: f"{int(value):,}",
    }
    headers = {"start": "start (peak)", "depth": "depth", "length_bars": "length (bars)"}
    return [
        "<h2>Worst drawdowns</h2>",
        '<p class="note">Length counts the bars from the peak to the recovery (to the last bar '
        "when not recovered).</p>",
        frame_table(shown, "drawdowns", headers=headers, formats=formats),
    ]


def returns_distribution_section(sheet: Tearsheet | None) -> list[str]:
    """Histogram of the per-bar returns with their mean, skew and excess kurtosis."""
    if sheet is None:
        return []
    returns = sheet.returns.to_numpy(dtype=np.float64)
    returns = returns[np.isfinite(returns)]
    chart = Chart.new(
        "Distribution of bar returns", x_title="return per bar (%)", y_title="bars (count)"
    )
    if returns.size == 0:
        return ["<h2>Returns distribution</h2>", chart.no_data().html("returns")]
    chart.add(
        {
            "type": "histogram",
            "x": returns.tolist(),
            "nbinsx": min(80, max(10, int(np.sqrt(returns.size)) * 2)),
            "marker": {"color": BLUE, "opacity": 0.75},
            "hovertemplate": "%{x:.2%}: %{y:,} bars<extra></extra>",
        }
    )
    chart.vline(float(returns.mean()))
    chart.layout["xaxis"]["tickformat"] = ".1%"
    chart.layout.update({"hovermode": "closest", "showlegend": False})
    series = pd.Series(returns)
    note = (
        f"{returns.size:,} bars · mean {returns.mean() * 100:.3f}% (solid line) · "
        f"std {series.std() * 100:.3f}% · skew {_number(series.skew())} · "
        f"excess kurtosis {_number(series.kurt())}"
    )
    return [
        "<h2>Returns distribution</h2>",
        f'<p class="note">{esc(note)}</p>',
        chart.html("returns"),
    ]


def rolling_risk_section(sheet: Tearsheet | None) -> list[str]:
    """Rolling annualised volatility and rolling beta against the benchmark."""
    if sheet is None:
        return []
    parts = []
    window = f"{sheet.rolling_window:,} bars"
    if sheet.rolling_volatility is not None:
        parts.append(
            line_chart(
                [("volatility", sheet.rolling_volatility, ORANGE)],
                "rolling-volatility",
                title=f"Rolling volatility ({window})",
                y_title="volatility (annualised, %)",
                percent=True,
                zero_line=False,
            )
        )
    if sheet.rolling_beta is not None:
        parts.append(
            line_chart(
                [("beta", sheet.rolling_beta, BLUE)],
                "rolling-beta",
                title=f"Rolling beta vs {sheet.benchmark_name} ({window})",
                y_title="beta",
            )
        )
    return ["<h2>Rolling volatility and beta</h2>", *parts] if parts else []


def exposure_section(sheet: Tearsheet | None) -> list[str]:
    if sheet is None or sheet.exposure is None or sheet.exposure.empty:
        return []
    exposure = sheet.exposure
    lines = [
        ("long", exposure["long"], GREEN),
        ("short", exposure["short"], RED),
        ("gross", exposure["gross"], BLACK),
        ("net", exposure["net"], GREY),
    ]
    return [
        "<h2>Exposure</h2>",
        '<p class="note">Market value of the positions at each close over the equity: long, '
        "short (below zero), gross (long + |short|) and net (long + short).</p>",
        line_chart(
            lines,
            "exposure",
            title="Exposure over time",
            y_title="exposure (% of equity)",
            percent=True,
        ),
    ]


def pnl_by_symbol_section(sheet: Tearsheet | None, currency: str) -> list[str]:
    if sheet is None or sheet.pnl_by_symbol is None or sheet.pnl_by_symbol.empty:
        return []
    pnl = sheet.pnl_by_symbol
    chart = Chart.new(
        "P&L by symbol",
        x_title="symbol",
        y_title=f"P&L ({currency})",
        height=max(300, min(600, 220 + 4 * len(pnl))),
    )
    numbers = pnl.to_numpy(dtype=np.float64)
    chart.add(
        {
            "type": "bar",
            "x": [str(symbol) for symbol in pnl.index],
            "y": values(numbers),
            "marker": {"color": [GREEN if value >= 0 else RED for value in numbers]},
            "hovertemplate": f"%{{x}}: %{{y:,.2f}} {currency}<extra></extra>",
        }
    )
    chart.layout["xaxis"]["type"] = "category"
    chart.layout["yaxis"]["tickformat"] = ",.0f"
    chart.layout.update({"hovermode": "closest", "showlegend": False})
    return [
        "<h2>P&amp;L by symbol</h2>",
        '<p class="note">Cash from each symbol\'s fills less its commissions and borrow fees, '
        "plus its final position at the last close.</p>",
        chart.html("pnl-by-symbol"),
    ]


def trade_statistics_section(sheet: Tearsheet | None, currency: str) -> list[str]:
    if sheet is None or not sheet.trade_statistics:
        return []
    return [
        "<h2>Trade statistics</h2>",
        '<p class="note">Round trips matched first in, first out; a break-even trade ends a '
        "streak.</p>",
        metrics_table(sheet.trade_statistics, currency, "trade-statistics"),
    ]


def equity_title(metrics: Mapping[str, Any]) -> str:
    """The equity chart's title, with alpha and beta when there is a benchmark."""
    if "beta" not in metrics:
        return "Equity"
    return (
        f"Equity vs benchmark: alpha {metric_text('alpha', metrics.get('alpha'))} a year, "
        f"beta {metric_text('beta', metrics.get('beta'))}"
    )


def _number(value: Any) -> str:
    number = float(value)
    return f"{number:.2f}" if math.isfinite(number) else "n/a"
