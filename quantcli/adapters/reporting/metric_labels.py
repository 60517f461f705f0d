"""How the metrics table names and formats each metric: in words, with the unit, counts as
integers with thousands separators. A metric this module does not know is named from its key
("some_metric" -> "Some metric") and formatted by `format_metric`'s key-based rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from quantcli.adapters.reporting.markup import esc, format_metric

Kind = Literal["percent", "ratio", "count", "bars", "money"]

_LABELS: dict[str, tuple[str, Kind]] = {
    "total_return": ("Total return", "percent"),
    "cagr": ("Compound annual growth rate (CAGR)", "percent"),
    "annualized_volatility": ("Annualised volatility", "percent"),
    "sharpe": ("Sharpe ratio (annualised)", "ratio"),
    "sortino": ("Sortino ratio (annualised)", "ratio"),
    "calmar": ("Calmar ratio", "ratio"),
    "max_drawdown": ("Max drawdown", "percent"),
    "max_drawdown_duration": ("Max drawdown duration (bars)", "count"),
    "probabilistic_sharpe": ("Probabilistic Sharpe ratio (vs 0)", "ratio"),
    "turnover": ("Turnover (annualised, traded / equity)", "ratio"),
    "trade_count": ("Fills", "count"),
    "win_rate": ("Win rate (round trips)", "percent"),
    "profit_factor": ("Profit factor", "ratio"),
    "exposure": ("Time in the market (share of bars)", "percent"),
    "margin_calls": ("Margin calls", "count"),
    "orders_cut": ("Orders cut by margin", "count"),
    "orders_rejected": ("Orders rejected by margin", "count"),
    "alpha": ("Alpha (annualised, vs benchmark)", "percent"),
    "beta": ("Beta (vs benchmark)", "ratio"),
    "benchmark_total_return": ("Benchmark total return", "percent"),
    # Costs.
    "commission": ("Commission", "money"),
    "slippage": ("Slippage", "money"),
    "impact": ("Market impact", "money"),
    "borrow": ("Borrow fees", "money"),
    "total_costs": ("Total costs", "money"),
    "traded_notional": ("Traded notional", "money"),
    "costs_bps_of_notional": ("Costs (bps of traded notional)", "ratio"),
    # Trade statistics.
    "round_trips": ("Round trips", "count"),
    "average_holding_bars": ("Average holding period (bars)", "bars"),
    "average_win": ("Average win", "money"),
    "average_loss": ("Average loss", "money"),
    "largest_win": ("Largest win", "money"),
    "largest_loss": ("Largest loss", "money"),
    "longest_winning_streak": ("Longest winning streak (round trips)", "count"),
    "longest_losing_streak": ("Longest losing streak (round trips)", "count"),
}


def metric_label(key: str, currency: str = "USD") -> str:
    """The metric's name in words, with the currency for money."""
    label, kind = _LABELS.get(key, (key.replace("_", " ").capitalize(), "ratio"))
    return f"{label} ({currency})" if kind == "money" else label


def metric_text(key: str, value: Any) -> str:
    """The metric's value as the table shows it; n/a when it is not a finite number."""
    if key not in _LABELS:
        return format_metric(key, value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a"
    kind = _LABELS[key][1]
    if kind == "percent":
        return f"{number * 100:,.2f}%"
    if kind == "count":
        return f"{round(number):,}"
    if kind == "bars":
        return f"{number:,.1f}"
    return f"{number:,.2f}"


def metrics_table(metrics: Mapping[str, float], currency: str, css: str = "metrics") -> str:
    """One row per metric: its name in words, its value formatted for its kind."""
    if not metrics:
        return '<p class="note">No metrics.</p>'
    rows = "".join(
        f"<tr><th>{esc(metric_label(key, currency))}</th>"
        f'<td class="num">{esc(metric_text(key, value))}</td></tr>'
        for key, value in metrics.items()
    )
    return f'<table class="{esc(css)}">{rows}</table>'
