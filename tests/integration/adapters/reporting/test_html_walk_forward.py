"""HtmlReportWriter's walk-forward report: summary, per-run charts and window tables."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.application.backtest.ports import WalkForwardReport, WalkForwardRun

ChartsOf = Callable[[str], dict[str, dict[str, Any]]]
DAYS = pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC")


def make_run(name: str, efficiency: float) -> WalkForwardRun:
    equity = pd.Series([101.0, 99.0, 104.0, 108.0], index=DAYS[4:], name="equity")
    windows = pd.DataFrame(
        {
            "window": [0, 1],
            "train_start": [DAYS[0], DAYS[2]],
            "train_end": [DAYS[3], DAYS[5]],
            "test_start": [DAYS[4], DAYS[6]],
            "test_end": [DAYS[5], DAYS[7]],
            "fast": [5, 10],
            "slow": [20, 50],
            "in_sample_sharpe": [1.5, -0.25],
            "oos_sharpe": [0.75, 2.125],
            "oos_return": [-0.0198, 0.0909],
            "oos_max_drawdown": [-0.0198, 0.0],
            "efficiency_ratio": [0.5, math.nan],
        }
    )
    return WalkForwardRun(
        name=name,
        equity=equity,
        drawdown=pd.Series([0.0, -0.0198, 0.0, 0.0], index=equity.index),
        windows=windows,
        metrics={
            "n_windows": 2.0,
            "total_return": 0.08,
            "sharpe": 1.234,
            "max_drawdown": -0.0198,
            "mean_in_sample_sharpe": 0.625,
            "mean_oos_sharpe": 1.4375,
            "efficiency_ratio": efficiency,
        },
    )


def make_report(**changes: object) -> WalkForwardReport:
    fields: dict[str, object] = {
        "title": "QuantCLI walk-forward: SMA crossover (rolling)",
        "runs": (make_run("AAA", 2.3), make_run("BBB", math.nan)),
        "configuration": {"train_length": 4, "test_length": 2, "grid": {"fast": [5, 10]}},
    }
    fields.update(changes)
    return WalkForwardReport(**fields)  # type: ignore[arg-type]


def test_sections_are_a_summary_then_each_run_then_the_configuration(charts: ChartsOf) -> None:
    document = HtmlReportWriter().render_walk_forward(make_report())

    assert re.findall(r"<h[23]>(.*?)</h[23]>", document) == [
        "Summary",
        "AAA",
        "AAA: windows",
        "BBB",
        "BBB: windows",
        "Configuration",
    ]
    assert "<title>QuantCLI walk-forward: SMA crossover (rolling)</title>" in document
    drawn = charts(document)
    assert list(drawn) == ["run-0-equity", "run-0-drawdown", "run-1-equity", "run-1-drawdown"]
    titles = [chart["layout"]["title"]["text"] for chart in drawn.values()]
    assert titles[0].startswith("AAA: out-of-sample equity (stitched")
    assert titles[3] == "BBB: out-of-sample drawdown"
    # Each test window's start is a dotted line on the equity chart.
    assert [shape["x0"] for shape in drawn["run-0-equity"]["layout"]["shapes"]] == [
        "2024-01-05",
        "2024-01-07",
    ]
    assert "<dt>train_length</dt><dd>4</dd>" in document
    assert 'role="alert"' not in document


def test_summary_has_one_formatted_row_per_run_and_explains_the_efficiency_ratio() -> None:
    document = HtmlReportWriter().render_walk_forward(make_report())

    table = re.search(r'<table class="walk-forward-summary">(.*?)</table>', document, re.DOTALL)
    assert table is not None
    assert (
        "<tr><th>run</th><th>windows</th><th>OOS total return</th><th>OOS CAGR</th>"
        "<th>OOS Sharpe</th><th>OOS max drawdown</th><th>mean in-sample Sharpe</th>"
        "<th>mean OOS Sharpe</th><th>efficiency ratio</th></tr>"
    ) in table.group(1)
    assert (
        '<tr><td>AAA</td><td class="num">2</td><td class="num">8.00%</td><td class="num">n/a</td>'
        '<td class="num">1.23</td><td class="num">-1.98%</td><td class="num">0.62</td>'
        '<td class="num">1.44</td><td class="num">2.30</td></tr>'
    ) in table.group(1)
    assert '<td class="num">n/a</td></tr>' in table.group(1)  # BBB: no in-sample edge
    assert "Efficiency ratio: the windows&#x27; mean out-of-sample Sharpe" in document


def test_window_table_shows_dates_parameters_and_both_sharpes() -> None:
    document = HtmlReportWriter().render_walk_forward(make_report())

    tables = re.findall(r'<table class="windows">(.*?)</table>', document, re.DOTALL)
    assert len(tables) == 2
    assert (
        "<tr><th>window</th><th>train start</th><th>train end</th><th>test start</th>"
        "<th>test end</th><th>fast</th><th>slow</th><th>in-sample Sharpe</th><th>OOS Sharpe</th>"
        "<th>OOS return</th><th>OOS max drawdown</th><th>efficiency (OOS / IS)</th></tr>"
    ) in tables[0]
    assert (
        '<tr><td class="num">0</td><td>2024-01-01</td><td>2024-01-04</td><td>2024-01-05</td>'
        '<td>2024-01-06</td><td class="num">5</td><td class="num">20</td>'
        '<td class="num">1.50</td><td class="num">0.75</td><td class="num">-1.98%</td>'
        '<td class="num">-1.98%</td><td class="num">0.50</td></tr>'
    ) in tables[0]
    assert (
        '<td class="num">-0.25</td><td class="num">2.12</td><td class="num">9.09%</td>'
        '<td class="num">0.00%</td><td class="num">n/a</td></tr>'
    ) in tables[0]
    assert '<tr><th>Efficiency ratio</th><td class="num">2.30</td></tr>' in document
    assert '<p class="period">2024-01-05 to 2024-01-08' in document


def test_write_walk_forward_writes_the_file_and_a_lookahead_banner_when_warned(
    tmp_path: Path,
) -> None:
    target = tmp_path / "reports" / "wf.html"

    written = HtmlReportWriter().write_walk_forward(
        make_report(lookahead_warning="fills at the same close."), target
    )

    assert written == target
    assert [p.name for p in target.parent.iterdir()] == ["wf.html"]
    document = target.read_text(encoding="utf-8")
    assert '<div class="warning" role="alert">Look-ahead warning: fills at the same close.' in (
        document
    )
    assert document.index('role="alert"') < document.index("<h2>Summary</h2>")


def test_no_runs_and_hostile_names_still_render_safely() -> None:
    attack = '<script>alert("x")</script>'
    run = make_run(attack, 1.0)
    hostile = WalkForwardRun(
        name=run.name,
        equity=run.equity,
        drawdown=run.drawdown,
        windows=run.windows.assign(fast=attack),
        metrics=run.metrics,
    )

    empty = HtmlReportWriter().render_walk_forward(make_report(runs=()))
    document = HtmlReportWriter().render_walk_forward(make_report(runs=(hostile,)))

    assert '<h2>Summary</h2>\n<p class="note">No walk-forward runs.</p>' in empty
    assert "<script>alert" not in document
    assert "plotly.js" not in empty  # no charts, no library
    # Summary cell, run heading, windows heading, both windows' parameter.
    assert document.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 5
    # Both charts' titles, JSON-escaped inside the drawing script.
    assert document.count("\\u003cscript\\u003ealert") == 2
    assert np.isfinite(run.equity).all()
