"""The tearsheet sections of a real backtest's report: header, benchmark with alpha and beta,
worst drawdowns, returns distribution, rolling volatility and beta, exposure, P&L by symbol
and trade statistics."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
import pandas as pd
import pytest

from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.application.analytics.tearsheet_analytics import worst_drawdowns
from quantcli.application.backtest.ports import BacktestReport

ChartsOf = Callable[[str], dict[str, dict[str, Any]]]


def render(report: BacktestReport) -> str:
    return HtmlReportWriter().render(report, fills_csv="report_fills.csv")


def sheet_of(report: BacktestReport) -> Any:
    assert report.tearsheet is not None
    return report.tearsheet


def test_sections_come_in_tearsheet_order(backtest_report: BacktestReport) -> None:
    document = render(backtest_report)

    assert re.findall(r"<h2>(.*?)</h2>", document) == [
        "Metrics",
        "Equity",
        "Drawdown",
        "Worst drawdowns",
        "Returns distribution",
        "Monthly returns",
        "Rolling Sharpe",
        "Rolling volatility and beta",
        "Exposure",
        "P&amp;L by symbol",
        "Trade statistics",
        "Costs",
        "Costs by symbol",
        "Monte Carlo",
        "Fills",
        "Configuration",
    ]


def test_header_names_the_data_range_model_benchmark_and_currency(
    backtest_report: BacktestReport,
) -> None:
    document = render(backtest_report)

    assert (
        '<p class="period">Data 2022-01-03 to 2023-02-24 (300 bars) · '
        "benchmark: equal-weight buy-and-hold of AAA, BBB, CCC, DDD · amounts in USD</p>\n"
        '<p class="period model">Model: lightgbm-v3</p>'
    ) in document
    without_model = render(attrs.evolve(backtest_report, model_version=None))
    assert 'class="period model"' not in without_model


def test_equity_chart_draws_the_benchmark_and_titles_alpha_and_beta(
    backtest_report: BacktestReport, charts: ChartsOf
) -> None:
    metrics = backtest_report.metrics
    equity = charts(render(backtest_report))["equity"]

    strategy, benchmark = equity["data"]
    assert strategy["name"] == "strategy"
    assert benchmark["name"] == "equal-weight buy-and-hold of AAA, BBB, CCC, DDD"
    assert benchmark["y"] == pytest.approx(sheet_of(backtest_report).benchmark.tolist())
    assert equity["layout"]["title"]["text"] == (
        f"Equity vs benchmark: alpha {metrics['alpha'] * 100:,.2f}% a year, "
        f"beta {metrics['beta']:,.2f}"
    )


def test_metrics_are_named_in_words_with_counts_as_integers(
    backtest_report: BacktestReport,
) -> None:
    document = render(backtest_report)
    fills = int(backtest_report.metrics["trade_count"])

    assert f'<tr><th>Fills</th><td class="num">{fills:,}</td></tr>' in document
    assert fills >= 1000  # so the thousands separator shows
    assert "<tr><th>Max drawdown duration (bars)</th>" in document
    assert "<tr><th>Annualised volatility</th>" in document
    assert "<tr><th>Beta (vs benchmark)</th>" in document
    assert "max_drawdown_duration" not in document.split("<h2>Configuration</h2>")[0]


def test_worst_drawdowns_table_matches_the_analytics(backtest_report: BacktestReport) -> None:
    table = sheet_of(backtest_report).drawdowns
    document = render(backtest_report)

    rows = re.findall(
        r"<tr>(.*?)</tr>",
        re.search(r'<table class="drawdowns">(.*?)</table>', document, re.DOTALL).group(1),  # type: ignore[union-attr]
    )
    assert "<th>start (peak)</th><th>trough</th><th>recovery</th>" in rows[0]
    assert len(rows) == 1 + len(table)
    first = table.iloc[0]
    recovery = "not recovered" if pd.isna(first["recovery"]) else f"{first['recovery']:%Y-%m-%d}"
    assert rows[1] == (
        f"<td>{first['start']:%Y-%m-%d}</td><td>{first['trough']:%Y-%m-%d}</td>"
        f'<td>{recovery}</td><td class="num">{first["depth"] * 100:,.2f}%</td>'
        f'<td class="num">{int(first["length_bars"]):,}</td>'
    )


def test_distribution_rolling_exposure_and_pnl_charts_carry_the_data(
    backtest_report: BacktestReport, charts: ChartsOf
) -> None:
    sheet = sheet_of(backtest_report)
    drawn = charts(render(backtest_report))

    returns = drawn["returns"]
    assert returns["data"][0]["type"] == "histogram"
    assert len(returns["data"][0]["x"]) == 299
    assert returns["layout"]["xaxis"]["title"]["text"] == "return per bar (%)"
    volatility = drawn["rolling-volatility"]
    assert volatility["layout"]["yaxis"]["title"]["text"] == "volatility (annualised, %)"
    assert volatility["data"][0]["y"][-1] == pytest.approx(sheet.rolling_volatility.iloc[-1])
    assert drawn["rolling-beta"]["data"][0]["y"][-1] == pytest.approx(sheet.rolling_beta.iloc[-1])
    exposure = drawn["exposure"]
    assert [trace["name"] for trace in exposure["data"]] == ["long", "short", "gross", "net"]
    assert exposure["layout"]["yaxis"]["title"]["text"] == "exposure (% of equity)"
    pnl = drawn["pnl-by-symbol"]
    assert pnl["data"][0]["x"] == [str(symbol) for symbol in sheet.pnl_by_symbol.index]
    assert pnl["data"][0]["y"] == pytest.approx(sheet.pnl_by_symbol.tolist())
    assert pnl["layout"]["yaxis"]["title"]["text"] == "P&L (USD)"


def test_trade_statistics_are_a_table_in_words_and_currency(
    backtest_report: BacktestReport,
) -> None:
    stats = sheet_of(backtest_report).trade_statistics
    document = render(attrs.evolve(backtest_report, currency="EUR"))

    table = re.search(r'<table class="trade-statistics">(.*?)</table>', document, re.DOTALL)
    assert table is not None
    assert (
        f'<tr><th>Round trips</th><td class="num">{int(stats["round_trips"]):,}</td></tr>'
        in table.group(1)
    )
    assert (
        f'<tr><th>Average win (EUR)</th><td class="num">{stats["average_win"]:,.2f}</td></tr>'
        in table.group(1)
    )
    assert "<th>Average holding period (bars)</th>" in table.group(1)
    assert "<th>Longest losing streak (round trips)</th>" in table.group(1)


def test_a_drawdown_not_recovered_says_so(backtest_report: BacktestReport) -> None:
    days = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
    equity = pd.Series([100.0, 90.0, 95.0, 100.0, 80.0, 85.0], index=days)
    sheet = attrs.evolve(sheet_of(backtest_report), drawdowns=worst_drawdowns(equity))

    document = render(attrs.evolve(backtest_report, tearsheet=sheet))

    assert (
        "<tr><td>2024-01-04</td><td>2024-01-05</td><td>not recovered</td>"
        '<td class="num">-20.00%</td><td class="num">2</td></tr>'
        "<tr><td>2024-01-01</td><td>2024-01-02</td><td>2024-01-04</td>"
        '<td class="num">-10.00%</td><td class="num">3</td></tr>'
    ) in document
