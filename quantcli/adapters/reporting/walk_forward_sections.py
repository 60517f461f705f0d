"""The walk-forward report's sections: a summary row per run, then each run's metrics, its
stitched out-of-sample equity and drawdown charts and its window table."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from quantcli.adapters.reporting.charts import drawdown_chart, equity_chart
from quantcli.adapters.reporting.markup import (
    CellFormat,
    date_text,
    esc,
    frame_table,
    metric_format,
    period_line,
)
from quantcli.adapters.reporting.metric_labels import metrics_table
from quantcli.application.backtest.ports import WalkForwardRun

_SUMMARY_COLUMNS = {
    "n_windows": "windows",
    "total_return": "OOS total return",
    "cagr": "OOS CAGR",
    "sharpe": "OOS Sharpe",
    "max_drawdown": "OOS max drawdown",
    "mean_in_sample_sharpe": "mean in-sample Sharpe",
    "mean_oos_sharpe": "mean OOS Sharpe",
    "efficiency_ratio": "efficiency ratio",
}
_WINDOW_HEADERS = {
    "train_start": "train start",
    "train_end": "train end",
    "test_start": "test start",
    "test_end": "test end",
    "in_sample_sharpe": "in-sample Sharpe",
    "oos_sharpe": "OOS Sharpe",
    "oos_return": "OOS return",
    "oos_max_drawdown": "OOS max drawdown",
    "efficiency_ratio": "efficiency (OOS / IS)",
}
_DATE_COLUMNS = ("train_start", "train_end", "test_start", "test_end")
_RESULT_COLUMNS = (
    "in_sample_sharpe",
    "oos_sharpe",
    "oos_return",
    "oos_max_drawdown",
    "efficiency_ratio",
)
EFFICIENCY_NOTE = (
    "Efficiency ratio: the windows' mean out-of-sample Sharpe over their mean in-sample Sharpe "
    "(the Sharpe of the parameters each training window chose, on that window). Near 1 the "
    "optimized edge held up on unseen bars; near 0 or below it did not; n/a when the mean "
    "in-sample Sharpe is not positive. OOS figures come from the stitched test windows only."
)


def summary_section(runs: Sequence[WalkForwardRun]) -> list[str]:
    """One row per run with its headline out-of-sample figures and efficiency ratio."""
    if not runs:
        return ["<h2>Summary</h2>", '<p class="note">No walk-forward runs.</p>']
    table = pd.DataFrame(
        [
            {"run": run.name, **{key: run.metrics.get(key, math.nan) for key in _SUMMARY_COLUMNS}}
            for run in runs
        ]
    )
    formats = {key: metric_format(key) for key in _SUMMARY_COLUMNS}
    return [
        "<h2>Summary</h2>",
        f'<p class="note">{esc(EFFICIENCY_NOTE)}</p>',
        frame_table(table, "walk-forward-summary", headers=_SUMMARY_COLUMNS, formats=formats),
    ]


def run_section(run: WalkForwardRun, number: int = 0) -> list[str]:
    """One run (the `number`th of the page): metrics, the stitched out-of-sample equity and
    drawdown, the windows."""
    name = str(run.name)
    formats: dict[str, CellFormat] = {column: date_text for column in _DATE_COLUMNS}
    formats.update({column: metric_format(column) for column in _RESULT_COLUMNS})
    return [
        f"<h2>{esc(name)}</h2>",
        period_line(run.equity),
        metrics_table(run.metrics, "USD"),
        equity_chart(
            run.equity,
            f"run-{number}-equity",
            title=f"{name}: out-of-sample equity (stitched; dotted lines start each test window)",
            boundaries=list(run.windows.get("test_start", ())),
        ),
        drawdown_chart(
            run.drawdown, f"run-{number}-drawdown", title=f"{name}: out-of-sample drawdown"
        ),
        f"<h3>{esc(name)}: windows</h3>",
        frame_table(run.windows, "windows", headers=_WINDOW_HEADERS, formats=formats),
    ]
