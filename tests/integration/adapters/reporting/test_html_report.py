"""HtmlReportWriter writing real files with real plotly charts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.reporting import HtmlReportWriter, format_metric
from quantcli.application.backtest.ports import BacktestReport, ReportWriter

ChartsOf = Callable[[str], dict[str, dict[str, Any]]]
METRICS = {
    "sharpe": 1.23456,
    "max_drawdown": -0.23456,
    "total_return": 0.5,
    "win_rate": 0.613,
    "trade_count": 12500.0,
    "max_drawdown_duration": 1234.0,
    "final_equity": 1234567.891,
    "sortino": float("nan"),
}


def make_trades(count: int) -> pd.DataFrame:
    timestamps = pd.date_range("2021-01-04 14:30", periods=count, freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "timestamp": timestamps,
            "symbol": [f"SYM{i:04d}" for i in range(count)],
            "quantity": np.where(np.arange(count) % 2 == 0, 100, -100),
            "price": 100.0 + np.arange(count) * 0.25,
            "commission": 1.0,
        }
    )


def make_report(
    points: int = 2000, trades: int = 250, title: str = "SMA cross on SPY", **config: Any
) -> BacktestReport:
    index = pd.date_range("2015-01-01", periods=points, freq="B", tz="UTC")
    rng = np.random.default_rng(3)
    equity = pd.Series(1e5 * np.cumprod(1 + rng.normal(3e-4, 0.01, points)), index=index)
    return BacktestReport(
        title=title,
        equity=equity,
        drawdown=equity / equity.cummax() - 1.0,
        metrics=METRICS,
        trades=make_trades(trades),
        configuration=config or {"strategy": {"fast": 10, "slow": 50}, "symbols": ["SPY"]},
    )


def write(tmp_path: Path, report: BacktestReport) -> str:
    writer: ReportWriter = HtmlReportWriter()
    path = writer.write(report, tmp_path / "report.html")
    return path.read_text(encoding="utf-8")


def trade_rows(document: str) -> list[str]:
    table = re.search(r'<table class="trades">(.*?)</table>', document, re.DOTALL)
    assert table is not None
    return re.findall(r"<tr>(.*?)</tr>", table.group(1))[1:]  # skip the header row


def test_report_is_written_to_the_path_and_creates_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "2024" / "spy" / "report.html"

    returned = HtmlReportWriter().write(make_report(), target)

    assert returned == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_report_is_self_contained_with_plotly_js_embedded_once(
    tmp_path: Path, body: Callable[[str], str]
) -> None:
    document = write(tmp_path, make_report())
    head = document.split("</head>", 1)[0]

    # plotly.js itself names map tile servers, which no chart here uses: check what we write.
    for forbidden in ("http://", "https://", "<link", "<script src", "<img", "url("):
        assert forbidden not in body(document).lower()
    assert "<link" not in head
    assert head.count("<script>") == 2  # PlotlyConfig, then plotly.js itself
    assert "plotly.js v" in head
    # The charts only call Plotly.newPlot; the library is not repeated in the body.
    assert "plotly.js v" not in body(document)
    assert body(document).count('class="plotly-graph-div"') == 2


def test_report_shows_title_and_formatted_metrics(tmp_path: Path) -> None:
    document = write(tmp_path, make_report())

    assert "<title>SMA cross on SPY</title>" in document
    assert "<h1>SMA cross on SPY</h1>" in document
    for key, shown in [
        ("Sharpe ratio (annualised)", "1.23"),
        ("Max drawdown", "-23.46%"),
        ("Total return", "50.00%"),
        ("Win rate (round trips)", "61.30%"),
        ("Fills", "12,500"),
        ("Max drawdown duration (bars)", "1,234"),
        ("Final equity", "1,234,567.89"),  # not a known metric: named from its key
        ("Sortino ratio (annualised)", "n/a"),
    ]:
        assert f'<tr><th>{key}</th><td class="num">{shown}</td></tr>' in document


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("sharpe_ratio", 1.005, "1.00"),
        ("profit_factor", 2.0, "2.00"),
        ("max_drawdown", -0.1234, "-12.34%"),
        ("annual_return", 0.0712, "7.12%"),
        ("exposure_pct", 0.5, "50.00%"),
        ("annual_volatility", 0.153, "15.30%"),
        ("cagr", 0.09, "9.00%"),
        ("num_trades", 42.0, "42"),
        ("total_trades", 1200, "1,200"),
        ("n_bars", 10.5, "10.50"),
        ("max_drawdown_duration_days", 37.0, "37.00"),
        ("final_equity", 1e6, "1,000,000.00"),
        ("calmar_ratio", float("inf"), "n/a"),
    ],
)
def test_format_metric_follows_the_key_based_rules(key: str, value: float, shown: str) -> None:
    assert format_metric(key, value) == shown


def test_equity_and_drawdown_charts_are_labelled_with_units_and_currency(
    tmp_path: Path, charts: ChartsOf
) -> None:
    report = attrs.evolve(make_report(points=30), currency="EUR")

    drawn = charts(write(tmp_path, report))

    assert list(drawn) == ["equity", "drawdown"]
    equity, drawdown = drawn["equity"], drawn["drawdown"]
    assert equity["layout"]["yaxis"]["title"]["text"] == "equity (EUR)"
    assert equity["layout"]["xaxis"]["title"]["text"] == "date"
    assert equity["data"][0]["x"][:2] == ["2015-01-01", "2015-01-02"]
    assert equity["data"][0]["y"] == pytest.approx(report.equity.tolist())
    assert drawdown["layout"]["yaxis"]["title"]["text"] == "drawdown (% below peak)"
    assert drawdown["layout"]["yaxis"]["tickformat"] == ".0%"


def test_equity_chart_switches_between_linear_and_log_scale(
    tmp_path: Path, charts: ChartsOf
) -> None:
    menu = charts(write(tmp_path, make_report(points=30)))["equity"]["layout"]["updatemenus"][0]

    assert [(b["label"], b["args"]) for b in menu["buttons"]] == [
        ("Linear", [{"yaxis.type": "linear"}]),
        ("Log", [{"yaxis.type": "log"}]),
    ]


def test_intraday_bars_keep_their_time_of_day(tmp_path: Path, charts: ChartsOf) -> None:
    index = pd.date_range("2024-03-01 14:30", periods=5, freq="h", tz="UTC")
    equity = pd.Series([100.0, 101, 99, 102, 103], index=index)
    report = attrs.evolve(make_report(), equity=equity, drawdown=equity / equity.cummax() - 1)

    document = write(tmp_path, report)

    equity_chart = charts(document)["equity"]
    assert equity_chart["data"][0]["x"][0] == "2024-03-01 14:30:00"
    assert equity_chart["layout"]["xaxis"]["title"]["text"] == "time (UTC)"
    assert "Data 2024-03-01 14:30:00+00:00 to 2024-03-01 18:30:00+00:00 (5 bars)" in document


def test_more_than_200_trades_shows_the_most_recent_200_and_the_total(tmp_path: Path) -> None:
    document = write(tmp_path, make_report(trades=250))

    rows = trade_rows(document)
    assert "Showing the most recent 200 of 250 trades." in document
    assert len(rows) == 200
    assert "SYM0249" in rows[-1]
    assert "SYM0050" in rows[0]
    assert "SYM0049" not in document


def test_trades_are_shown_most_recent_even_when_given_out_of_order(tmp_path: Path) -> None:
    report = make_report(trades=0)
    shuffled = make_trades(300).sample(frac=1.0, random_state=1)
    document = write(tmp_path, attrs.evolve(report, trades=shuffled))

    rows = trade_rows(document)
    assert "SYM0100" in rows[0]
    assert "SYM0299" in rows[-1]


def test_200_or_fewer_trades_are_all_shown_with_formatted_cells(tmp_path: Path) -> None:
    document = write(tmp_path, make_report(trades=3))

    rows = trade_rows(document)
    assert "3 trades." in document
    assert len(rows) == 3
    assert "<td>2021-01-04 14:30:00+00:00</td>" in rows[0]
    assert '<td class="num">-100</td><td class="num">100.25</td><td class="num">1</td>' in rows[1]


def test_empty_trades_frame_renders_a_no_trades_note(tmp_path: Path) -> None:
    with_columns = make_report(trades=0)
    without_columns = attrs.evolve(with_columns, trades=pd.DataFrame())

    for report in (with_columns, without_columns):
        document = write(tmp_path, report)
        assert "No trades." in document
        assert '<table class="trades">' not in document


def test_empty_equity_and_drawdown_still_render_placeholder_charts(
    tmp_path: Path, charts: ChartsOf
) -> None:
    empty = pd.Series([], dtype=np.float64, index=pd.DatetimeIndex([], tz="UTC"))
    report = attrs.evolve(make_report(), equity=empty, drawdown=empty)

    document = write(tmp_path, report)

    assert "No equity points." in document
    for chart in charts(document).values():
        assert chart["data"] == []
        assert chart["layout"]["annotations"][0]["text"] == "no data"


def test_title_config_and_trade_strings_are_html_escaped(tmp_path: Path) -> None:
    attack = '<script>alert("x")</script>'
    report = make_report(title=attack, trades=0, strategy={"name": attack, attack: 1})
    trades = make_trades(1).assign(symbol=attack)
    document = write(tmp_path, attrs.evolve(report, trades=trades))

    assert "<script>alert" not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in document
    assert document.count("&lt;script&gt;") == 5  # title, h1, config value, config key, trade


def test_configuration_is_a_nested_definition_list_with_secrets_masked(tmp_path: Path) -> None:
    report = make_report(
        strategy={"fast": 10, "slow": 50}, symbols=["SPY", "QQQ"], broker={"api_key": "hunter2"}
    )

    document = write(tmp_path, report)

    assert "<dt>strategy</dt><dd><dl><dt>fast</dt><dd>10</dd>" in document
    assert "<dt>symbols</dt><dd>SPY, QQQ</dd>" in document
    assert "hunter2" not in document
    assert "<dt>api_key</dt><dd>********</dd>" in document


def test_writing_again_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    writer = HtmlReportWriter()
    target = tmp_path / "report.html"
    writer.write(make_report(title="first"), target)

    writer.write(make_report(title="second"), target)

    assert "<h1>second</h1>" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_same_report_renders_to_identical_html() -> None:
    writer = HtmlReportWriter()

    assert writer.render(make_report()) == writer.render(make_report())


def test_normalised_and_all_nan_equity_curves_render(tmp_path: Path, charts: ChartsOf) -> None:
    report = make_report(points=300)
    normalised = report.equity / report.equity.iloc[0]
    all_nan = pd.Series(np.nan, index=report.equity.index)

    for equity in (normalised, all_nan):
        document = write(tmp_path, attrs.evolve(report, equity=equity, drawdown=equity * 0))
        assert list(charts(document)) == ["equity", "drawdown"]


def test_the_cli_starts_without_importing_plotly() -> None:
    code = (
        "import sys, quantcli.entrypoints.cli.main, quantcli.adapters.reporting; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'plotly'))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert shown.strip() == "[]"
