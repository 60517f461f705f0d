"""The optional sections of a backtest report, each a list of HTML fragments ([] when the
report has nothing for it): look-ahead banner, monthly returns, rolling Sharpe, costs, costs by
symbol, the two Monte Carlo bootstraps, and the fills or trades table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd

from quantcli.adapters.reporting.charts import (
    Histogram,
    histograms_chart,
    monthly_heatmap_chart,
    rolling_sharpe_chart,
)
from quantcli.adapters.reporting.markup import (
    cell_text,
    esc,
    format_metric,
    frame_table,
    metric_format,
)
from quantcli.adapters.reporting.metric_labels import metrics_table
from quantcli.application.analytics.report_analytics import ALL_SYMBOLS
from quantcli.application.backtest.ports import (
    FILL_REASON_LIQUIDATION,
    FILL_REASON_SAME_BAR_CLOSE,
    FILL_REASON_SIGNAL,
)

# How a fill's reason reads in the table, and the row class that colours it.
_FLAGGED_REASONS = {
    FILL_REASON_LIQUIDATION: ("⚠ forced liquidation (margin call)", "liquidation"),
    FILL_REASON_SAME_BAR_CLOSE: ("⚠ same-bar close (look-ahead)", "same-bar-close"),
}
_FILL_HEADERS = {"timestamp": "time"}
_MONEY_FORMAT = "{:,.2f}"
_METRIC_LABELS = {
    "sharpe": "Sharpe ratio",
    "max_drawdown": "Max drawdown",
    "final_return": "Final return",
}


def lookahead_banner(warning: str | None) -> str:
    if not warning:
        return ""
    return (
        '<div class="warning" role="alert">Look-ahead warning: '
        f"{esc(warning)} These results may be optimistic.</div>"
    )


def monthly_section(table: pd.DataFrame | None) -> list[str]:
    if table is None or table.empty:
        return []
    header = "".join(f"<th>{esc(column)}</th>" for column in ["", *table.columns])
    rows = []
    for year, values in table.iterrows():
        cells = "".join(_percent_cell(value) for value in values.tolist())
        rows.append(f"<tr><th>{esc(year)}</th>{cells}</tr>")
    return [
        "<h2>Monthly returns</h2>",
        monthly_heatmap_chart(table, "monthly-returns"),
        f'<table class="monthly"><tr>{header}</tr>{"".join(rows)}</table>',
    ]


def rolling_sharpe_section(sharpe: pd.Series | None, window: int | None = None) -> list[str]:
    if sharpe is None or sharpe.empty:
        return []
    return ["<h2>Rolling Sharpe</h2>", rolling_sharpe_chart(sharpe, "rolling-sharpe", window)]


def costs_section(costs: Mapping[str, float], currency: str = "USD") -> list[str]:
    if not costs:
        return []
    return ["<h2>Costs</h2>", metrics_table(costs, currency, "costs")]


def cost_attribution_section(attribution: pd.DataFrame | None) -> list[str]:
    """Costs per symbol, the total row in bold."""
    if attribution is None or attribution.empty:
        return []
    table = attribution.reset_index()
    label = str(table.columns[0])
    classes = ["total" if str(name) == ALL_SYMBOLS else "" for name in table[label]]
    formats = {str(column): metric_format(str(column)) for column in attribution.columns}
    headers = {
        "n_fills": "fills",
        "traded_notional": "traded notional",
        "total_costs": "total",
        "costs_bps_of_notional": "bps of notional",
    }
    return [
        "<h2>Costs by symbol</h2>",
        frame_table(
            table, "cost-attribution", headers=headers, formats=formats, row_classes=classes
        ),
    ]


def monte_carlo_section(returns: Mapping[str, Any], trades: Mapping[str, Any]) -> list[str]:
    """Both bootstraps under one heading; a bootstrap that is missing is left out."""
    parts = [
        *_bootstrap_part("Bootstrap of daily returns", returns),
        *_bootstrap_part("Bootstrap of trades", trades),
    ]
    return ["<h2>Monte Carlo</h2>", *parts] if parts else []


def fills_section(fills: pd.DataFrame, limit: int, csv_name: str | None) -> list[str]:
    """Every fill (or the first and last `limit` / 2 of them), forced and look-ahead fills
    coloured and labelled, and a note naming the CSV that holds them all."""
    total = len(fills)
    if total == 0:
        return ["<h2>Fills</h2>", '<p class="note">No fills.</p>']
    ordered = fills.reset_index(drop=True)
    if "timestamp" in ordered.columns:
        ordered = ordered.sort_values("timestamp", kind="stable").reset_index(drop=True)
    gap = None
    if total > limit:
        first = (limit + 1) // 2
        ordered = pd.concat([ordered.head(first), ordered.tail(limit - first)])
        gap = (first, f"… {total - limit:,} fills omitted …")
    reasons = ordered["reason"].astype(str) if "reason" in ordered.columns else None
    classes = None if reasons is None else [_fill_class(reason) for reason in reasons]
    formats = {name: _money for name in ("commission", "slippage", "impact")}
    formats["reason"] = _fill_reason
    return [
        "<h2>Fills</h2>",
        _fills_note(fills, total, limit, csv_name),
        frame_table(
            ordered,
            "fills",
            headers=_FILL_HEADERS,
            formats=formats,
            row_classes=classes,
            gap=gap,
        ),
    ]


def trades_section(trades: pd.DataFrame, limit: int) -> list[str]:
    """The most recent `limit` trades and how many there are."""
    total = len(trades)
    if total == 0:
        return ["<h2>Trades</h2>", '<p class="note">No trades.</p>']
    if not isinstance(trades.index, pd.RangeIndex):
        trades = trades.reset_index()
    if "timestamp" in trades.columns:
        trades = trades.sort_values("timestamp", kind="stable")
    shown = trades.tail(limit)
    note = (
        f"Showing the most recent {len(shown):,} of {total:,} trades."
        if total > len(shown)
        else f"{total:,} trades."
    )
    return [
        "<h2>Trades</h2>",
        f'<p class="note">{note}</p>{frame_table(shown, "trades")}',
    ]


def _percent_cell(value: Any) -> str:
    number = float(value)
    if not math.isfinite(number):
        return '<td class="num"></td>'
    css = "num neg" if number < 0 else "num pos" if number > 0 else "num"
    return f'<td class="{css}">{number * 100:.2f}%</td>'


def _bootstrap_part(heading: str, summary: Mapping[str, Any]) -> list[str]:
    if not summary:
        return []
    skipped = summary.get("skipped")
    if skipped:
        return [f"<h3>{esc(heading)}</h3>", f'<p class="note">Not shown: {esc(skipped)}.</p>']
    metrics = summary.get("metrics")
    if not isinstance(metrics, Mapping) or not metrics:
        return []
    lower, upper = _interval_labels(summary.get("confidence_level"))
    columns = [
        ("point_estimate", "backtest"),
        ("lower", lower),
        ("median", "median"),
        ("upper", upper),
        ("mean", "mean"),
        ("std", "std"),
    ]
    header = "".join(f"<th>{esc(label)}</th>" for label in ["metric", *(c[1] for c in columns)])
    rows = []
    for name, stats in metrics.items():
        values = stats if isinstance(stats, Mapping) else {}
        # std of a percentage metric is also a fraction, so it takes the metric's format.
        cells = "".join(
            f'<td class="num">{esc(format_metric(str(name), values.get(key, math.nan)))}</td>'
            for key, _ in columns
        )
        rows.append(f"<tr><th>{esc(_METRIC_LABELS.get(str(name), name))}</th>{cells}</tr>")
    parts = [
        f"<h3>{esc(heading)}</h3>",
        f'<p class="note">{_bootstrap_note(summary)}</p>',
        f'<table class="monte-carlo"><tr>{header}</tr>{"".join(rows)}</table>',
    ]
    distributions = summary.get("distributions")
    if isinstance(distributions, Mapping) and distributions:
        parts.append(_histograms(heading, summary, metrics, distributions))
    return parts


def _interval_labels(level: Any) -> tuple[str, str]:
    try:
        share = float(level)
    except (TypeError, ValueError):
        return "lower", "upper"
    return f"p{50 * (1 - share):g}", f"p{50 * (1 + share):g}"


def _bootstrap_note(summary: Mapping[str, Any]) -> str:
    method = str(summary.get("method"))
    periods = summary.get("n_periods")
    count = f"{periods:,} " if isinstance(periods, int) else ""
    if method == "trades":
        text = (
            f"Bootstrap of the {count}round-trip P&Ls, drawn with replacement. Sharpe is per "
            "trade (mean / std of the trade P&Ls), not annualized; drawdown and final return "
            "are of the starting equity."
        )
    elif method in ("stationary", "iid"):
        block = summary.get("mean_block_length")
        kind = "Stationary" if method == "stationary" else "I.i.d."
        blocks = f" in blocks of mean length {block:g}" if isinstance(block, float | int) else ""
        text = f"{kind} bootstrap of the {count}daily returns{blocks}. Sharpe is annualized."
    else:
        text = f"Bootstrap, method {method}."
    paths, seed = summary.get("n_paths"), summary.get("seed")
    settings = [
        *([f"{cell_text(paths)} resamples"] if paths is not None else []),
        *([f"seed {cell_text(seed)}"] if seed is not None else []),
    ]
    if settings:
        text += f" {', '.join(settings)}."
    loss = summary.get("probability_of_loss")
    if isinstance(loss, float):
        text += f" {format_metric('loss_rate', loss)} of the paths end below the start."
    return esc(text)


def _histograms(
    heading: str,
    summary: Mapping[str, Any],
    metrics: Mapping[str, Any],
    distributions: Mapping[str, Any],
) -> str:
    lower, upper = _interval_labels(summary.get("confidence_level"))
    panels = []
    for name, values in distributions.items():
        stats = metrics.get(name)
        stats = stats if isinstance(stats, Mapping) else {}
        label = _METRIC_LABELS.get(str(name), str(name))
        if name == "sharpe":
            per_trade = summary.get("method") == "trades"
            label = "Sharpe per trade" if per_trade else "Sharpe (annualized)"
        panels.append(
            Histogram(
                label=label,
                values=list(values),
                point_estimate=float(stats.get("point_estimate", math.nan)),
                lower=float(stats.get("lower", math.nan)),
                upper=float(stats.get("upper", math.nan)),
                percent=format_metric(str(name), 0.0).endswith("%"),
            )
        )
    title = f"{heading}: backtest (solid), {lower} and {upper} (dashed)"
    chart_id = "monte-carlo-" + ("trades" if summary.get("method") == "trades" else "returns")
    return histograms_chart(title, panels, chart_id)


def _fills_note(fills: pd.DataFrame, total: int, limit: int, csv_name: str | None) -> str:
    counts = fills["reason"].astype(str).value_counts() if "reason" in fills.columns else None
    forced = int(counts.get(FILL_REASON_LIQUIDATION, 0)) if counts is not None else 0
    same_bar = int(counts.get(FILL_REASON_SAME_BAR_CLOSE, 0)) if counts is not None else 0
    text = (
        f"{total:,} fills; {forced:,} forced liquidation{'' if forced == 1 else 's'} "
        f"(margin calls) and {same_bar:,} same-bar-close fill{'' if same_bar == 1 else 's'} "
        "(look-ahead), marked in the table."
    )
    if total > limit:
        first = (limit + 1) // 2
        text += f" Showing the first {first:,} and the last {limit - first:,}."
    note = esc(text)
    if csv_name:
        link = f'<a href="{esc(quote(csv_name))}">{esc(csv_name)}</a>'
        note += f" The complete table: {link}, next to this report."
    return f'<p class="note">{note}</p>'


def _fill_class(reason: str) -> str:
    if reason in _FLAGGED_REASONS:
        return _FLAGGED_REASONS[reason][1]
    return "" if reason == FILL_REASON_SIGNAL else "flagged"


def _fill_reason(value: Any) -> str:
    reason = cell_text(value)
    return _FLAGGED_REASONS[reason][0] if reason in _FLAGGED_REASONS else reason


def _money(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return cell_text(value)
    return _MONEY_FORMAT.format(number) if math.isfinite(number) else ""
