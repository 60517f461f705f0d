"""A backtest report as one self-contained HTML file: metrics, charts, trades, configuration.

Optional sections appear when the report carries them: a look-ahead warning banner at the top,
the monthly returns heatmap and table, the rolling Sharpe chart, the cost breakdown and the
Monte Carlo table.

Metric formatting, decided by the metric key (case-insensitive):
- ends with ``_pct``, ``return``, ``drawdown``, ``_rate``, ``volatility`` or ``cagr``: the value is
  a fraction shown as a percentage with 2 decimals (``-0.1234`` -> ``-12.34%``);
- starts with ``num_``/``n_`` or ends with ``_count``/``trades`` and the value is whole: an integer;
- anything else: 2 decimals with thousands separators; NaN and infinities show as ``n/a``.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantcli.adapters.reporting.charts import (
    drawdown_png,
    equity_png,
    monthly_heatmap_png,
    rolling_sharpe_png,
)
from quantcli.application.ports import BacktestReport
from quantcli.domain.errors import StorageError

_PERCENT_SUFFIXES = ("_pct", "return", "drawdown", "_rate", "volatility", "cagr", "exposure")
_COUNT_PREFIXES = ("num_", "n_")
_COUNT_SUFFIXES = ("_count", "trades", "_duration")
# Configuration should hold no secrets (they come from the environment); this is a backstop.
_SECRET_KEY = re.compile(r"password|secret|token|api_?key|credential", re.IGNORECASE)
_MASK = "********"

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1060px;
color:#1d1d1f;padding:0 1rem}
h1{margin-bottom:.2rem}.period{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .7rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
dl{margin:.3rem 0 .3rem 0}dt{font-weight:600}dd{margin:0 0 .3rem 1.2rem}
.note{color:#666;font-size:.9rem}
.warning{background:#fdecea;border:2px solid #b8322a;color:#7a1c16;padding:.7rem 1rem;
margin:1rem 0;border-radius:4px;font-weight:600}
td.neg{color:#b8322a}td.pos{color:#1d7a3a}
"""


class HtmlReportWriter:
    """ReportWriter producing one HTML file with the charts embedded as base64 PNG images."""

    def __init__(self, max_trades: int = 200) -> None:
        self.max_trades = max_trades

    def write(self, report: BacktestReport, path: Path) -> Path:
        """Render the report and write it atomically, creating parent folders."""
        path = Path(path)
        document = self.render(report)
        # Same folder as the target so os.replace is a rename, never a cross-device copy.
        staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with staging.open("x", encoding="utf-8") as handle:
                handle.write(document)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(staging, path)
        except OSError as exc:
            staging.unlink(missing_ok=True)
            raise StorageError(f"cannot write report {path}: {exc}") from exc
        return path

    def render(self, report: BacktestReport) -> str:
        """Return the report as an HTML document string."""
        title = _esc(report.title)
        sections = [
            f"<h1>{title}</h1>",
            _lookahead_banner(report.lookahead_warning),
            _period_line(report.equity),
            "<h2>Metrics</h2>",
            _metrics_table(report.metrics),
            "<h2>Equity</h2>",
            _png_img(equity_png(report.equity), "Equity curve"),
            "<h2>Drawdown</h2>",
            _png_img(drawdown_png(report.drawdown), "Drawdown"),
            *_monthly_section(report.monthly_returns),
            *_rolling_sharpe_section(report.rolling_sharpe),
            *_costs_section(report.cost_breakdown),
            *_monte_carlo_section(report.monte_carlo),
            "<h2>Trades</h2>",
            _trades_section(report.trades, self.max_trades),
            "<h2>Configuration</h2>",
            _definition_list(report.configuration),
        ]
        body = "\n".join(section for section in sections if section)
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n"
        )


def format_metric(key: str, value: float) -> str:
    """Format one metric value as the module docstring describes."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a"
    name = key.lower()
    if name.endswith(_PERCENT_SUFFIXES):
        return f"{number * 100:,.2f}%"
    if (name.startswith(_COUNT_PREFIXES) or name.endswith(_COUNT_SUFFIXES)) and number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _period_line(equity: pd.Series) -> str:
    if equity.empty:
        return '<p class="period">No equity points.</p>'
    first, last = _esc(_cell(equity.index[0])), _esc(_cell(equity.index[-1]))
    return f'<p class="period">{first} to {last} · {len(equity):,} points</p>'


def _metrics_table(metrics: Mapping[str, float]) -> str:
    if not metrics:
        return '<p class="note">No metrics.</p>'
    rows = "".join(
        f'<tr><th>{_esc(key)}</th><td class="num">{_esc(format_metric(key, value))}</td></tr>'
        for key, value in metrics.items()
    )
    return f'<table class="metrics">{rows}</table>'


def _lookahead_banner(warning: str | None) -> str:
    if not warning:
        return ""
    return (
        '<div class="warning" role="alert">Look-ahead warning: '
        f"{_esc(warning)} These results may be optimistic.</div>"
    )


def _monthly_section(table: pd.DataFrame | None) -> list[str]:
    if table is None or table.empty:
        return []
    header = "".join(f"<th>{_esc(column)}</th>" for column in ["", *table.columns])
    rows = []
    for year, values in table.iterrows():
        cells = "".join(_percent_cell(value) for value in values.tolist())
        rows.append(f"<tr><th>{_esc(year)}</th>{cells}</tr>")
    return [
        "<h2>Monthly returns</h2>",
        _png_img(monthly_heatmap_png(table), "Monthly returns heatmap"),
        f'<table class="monthly"><tr>{header}</tr>{"".join(rows)}</table>',
    ]


def _percent_cell(value: Any) -> str:
    number = float(value)
    if not math.isfinite(number):
        return '<td class="num"></td>'
    css = "num neg" if number < 0 else "num pos" if number > 0 else "num"
    return f'<td class="{css}">{number * 100:.2f}%</td>'


def _rolling_sharpe_section(sharpe: pd.Series | None) -> list[str]:
    if sharpe is None or sharpe.empty:
        return []
    return ["<h2>Rolling Sharpe</h2>", _png_img(rolling_sharpe_png(sharpe), "Rolling Sharpe")]


def _costs_section(costs: Mapping[str, float]) -> list[str]:
    if not costs:
        return []
    rows = "".join(
        f'<tr><th>{_esc(name)}</th><td class="num">{_esc(format_metric(name, value))}</td></tr>'
        for name, value in costs.items()
    )
    return ["<h2>Costs</h2>", f'<table class="costs">{rows}</table>']


def _monte_carlo_section(summary: Mapping[str, Any]) -> list[str]:
    metrics = summary.get("metrics") if summary else None
    if not isinstance(metrics, Mapping) or not metrics:
        return []
    level = summary.get("confidence_level")
    try:
        share = float(level)  # type: ignore[arg-type]
        lower = f"p{50 * (1 - share):g}"
        upper = f"p{50 * (1 + share):g}"
    except (TypeError, ValueError):
        lower, upper = "lower", "upper"
    columns = [
        ("point_estimate", "backtest"),
        ("mean", "mean"),
        ("median", "median"),
        ("std", "std"),
        ("lower", lower),
        ("upper", upper),
    ]
    header = "".join(f"<th>{_esc(label)}</th>" for label in ["metric", *(c[1] for c in columns)])
    rows = []
    for name, stats in metrics.items():
        values = stats if isinstance(stats, Mapping) else {}
        # std of a percentage metric is also a fraction, so it takes the metric's format.
        cells = "".join(
            f'<td class="num">{_esc(format_metric(str(name), values.get(key, math.nan)))}</td>'
            for key, _ in columns
        )
        rows.append(f"<tr><th>{_esc(name)}</th>{cells}</tr>")
    settings = ", ".join(
        f"{_esc(key)} {_esc(summary[key])}"
        for key in ("method", "n_paths", "mean_block_length", "seed")
        if summary.get(key) is not None
    )
    note = f'<p class="note">Bootstrap: {settings}.</p>' if settings else ""
    return [
        "<h2>Monte Carlo</h2>",
        note,
        f'<table class="monte-carlo"><tr>{header}</tr>{"".join(rows)}</table>',
    ]


def _png_img(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{encoded}">'


def _trades_section(trades: pd.DataFrame, limit: int) -> str:
    total = len(trades)
    if total == 0:
        return '<p class="note">No trades.</p>'
    if not isinstance(trades.index, pd.RangeIndex):
        trades = trades.reset_index()
    if "timestamp" in trades.columns:
        trades = trades.sort_values("timestamp", kind="stable")
    shown = trades.tail(limit)
    note = (
        f'<p class="note">Showing the most recent {len(shown):,} of {total:,} trades.</p>'
        if total > len(shown)
        else f'<p class="note">{total:,} trades.</p>'
    )
    header = "".join(f"<th>{_esc(column)}</th>" for column in shown.columns)
    body = "".join(_trade_row(row) for row in shown.itertuples(index=False, name=None))
    return f'{note}<table class="trades"><tr>{header}</tr>{body}</table>'


def _trade_row(values: Iterable[Any]) -> str:
    cells = []
    for raw in values:
        value = raw.item() if isinstance(raw, np.generic) else raw
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        css = ' class="num"' if numeric else ""
        cells.append(f"<td{css}>{_esc(_cell(value))}</td>")
    return f"<tr>{''.join(cells)}</tr>"


def _cell(value: Any) -> str:
    """Readable text for one table cell or axis end: trims float noise, blanks missing values."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def _definition_list(config: Mapping[str, Any]) -> str:
    if not config:
        return '<p class="note">No configuration.</p>'
    items = []
    for key, value in config.items():
        if _SECRET_KEY.search(str(key)):
            shown = _esc(_MASK)
        elif isinstance(value, Mapping):
            shown = _definition_list(value)
        elif isinstance(value, list | tuple):
            shown = _esc(", ".join(str(item) for item in value))
        else:
            shown = _esc(value)
        items.append(f"<dt>{_esc(key)}</dt><dd>{shown}</dd>")
    return f"<dl>{''.join(items)}</dl>"
