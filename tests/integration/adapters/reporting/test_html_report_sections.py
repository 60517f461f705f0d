"""HtmlReportWriter's optional sections: look-ahead banner, monthly heatmap, rolling Sharpe,
costs and Monte Carlo, rendered from the application's own analytics as plotly charts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.application.analytics.monte_carlo import bootstrap_returns
from quantcli.application.analytics.report_analytics import monthly_returns, rolling_sharpe
from quantcli.application.backtest.ports import BacktestReport

ChartsOf = Callable[[str], dict[str, dict[str, Any]]]


def full_report(title: str = "sections") -> BacktestReport:
    index = pd.date_range("2022-01-03", periods=400, freq="B", tz="UTC")
    rng = np.random.default_rng(8)
    equity = pd.Series(1e5 * np.cumprod(1 + rng.normal(4e-4, 0.01, 400)), index=index)
    returns = equity.pct_change().dropna().to_numpy()
    return BacktestReport(
        title=title,
        equity=equity,
        drawdown=equity / equity.cummax() - 1.0,
        metrics={"sharpe": 1.0},
        trades=pd.DataFrame(),
        configuration={},
        monthly_returns=monthly_returns(equity),
        rolling_sharpe=rolling_sharpe(equity, 63),
        cost_breakdown={"commission": 1234.5, "slippage": 99.0, "total_costs": 1333.5},
        monte_carlo=bootstrap_returns(returns, n_paths=200, method="stationary", seed=1).as_dict(),
        lookahead_warning="model trained until 2023-06-30, inside the backtest period.",
    )


def render(report: BacktestReport) -> str:
    return HtmlReportWriter().render(report)


def test_all_sections_are_present_in_order_with_plotly_charts(charts: ChartsOf) -> None:
    document = render(full_report())

    headings = re.findall(r"<h2>(.*?)</h2>", document)
    assert headings == [
        "Metrics",
        "Equity",
        "Drawdown",
        "Monthly returns",
        "Rolling Sharpe",
        "Costs",
        "Monte Carlo",
        "Trades",
        "Configuration",
    ]
    drawn = charts(document)
    assert list(drawn) == ["equity", "drawdown", "monthly-returns", "rolling-sharpe"]
    heatmap = drawn["monthly-returns"]["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"][:2] == ["Jan", "Feb"]
    assert heatmap["y"] == ["2022", "2023"]
    sharpe = drawn["rolling-sharpe"]
    assert sharpe["layout"]["yaxis"]["title"]["text"] == "Sharpe ratio (annualised)"
    assert sharpe["data"][0]["x"][0] == "2022-01-04"  # daily bars: dates, no time


def test_lookahead_banner_is_visible_near_the_top() -> None:
    document = render(full_report())

    banner = re.search(r'<div class="warning" role="alert">(.*?)</div>', document)
    assert banner is not None
    assert "Look-ahead warning: model trained until 2023-06-30" in banner.group(1)
    assert document.index('class="warning"') < document.index("<h2>Metrics</h2>")
    assert ".warning{" in document  # styled, not just present


def test_monthly_table_shows_each_year_and_percentages() -> None:
    report = full_report()
    assert report.monthly_returns is not None
    document = render(report)

    table = re.search(r'<table class="monthly">(.*?)</table>', document, re.DOTALL)
    assert table is not None
    assert "<th>Jan</th>" in table.group(1)
    assert "<th>Year</th>" in table.group(1)
    assert "<tr><th>2022</th>" in table.group(1)
    assert "<tr><th>2023</th>" in table.group(1)
    january = report.monthly_returns.loc[2022, "Jan"]
    css = "neg" if january < 0 else "pos"
    assert f'<td class="num {css}">{january * 100:.2f}%</td>' in table.group(1)


def test_costs_and_monte_carlo_tables_are_formatted() -> None:
    report = full_report()
    document = render(report)

    assert '<tr><th>Commission (USD)</th><td class="num">1,234.50</td></tr>' in document
    assert '<tr><th>Total costs (USD)</th><td class="num">1,333.50</td></tr>' in document
    table = re.search(r'<table class="monte-carlo">(.*?)</table>', document, re.DOTALL)
    assert table is not None
    assert "<th>backtest</th><th>p2.5</th><th>median</th><th>p97.5</th>" in table.group(1)
    drawdown = report.monte_carlo["metrics"]["max_drawdown"]
    assert f'<td class="num">{drawdown["point_estimate"] * 100:,.2f}%</td>' in table.group(1)
    assert "<tr><th>Sharpe ratio</th>" in table.group(1)
    assert "Stationary bootstrap of the 399 daily returns" in document
    assert "200 resamples, seed 1." in document


def test_sections_without_data_are_left_out(charts: ChartsOf) -> None:
    bare = attrs.evolve(
        full_report(),
        monthly_returns=None,
        rolling_sharpe=None,
        cost_breakdown={},
        monte_carlo={},
        lookahead_warning=None,
    )

    document = render(bare)

    for absent in ("Monthly returns", "Rolling Sharpe", "<h2>Costs", "Monte Carlo", 'role="alert"'):
        assert absent not in document
    assert list(charts(document)) == ["equity", "drawdown"]


def test_new_sections_escape_their_text() -> None:
    attack = '<script>alert("x")</script>'
    report = attrs.evolve(
        full_report(),
        lookahead_warning=attack,
        cost_breakdown={attack: 1.0},
        monte_carlo={"method": attack, "metrics": {attack: {"mean": 1.0}}},
    )

    document = render(report)

    assert "<script>alert" not in document
    assert document.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 4


def test_all_nan_rolling_sharpe_and_empty_monthly_table_still_render(charts: ChartsOf) -> None:
    report = full_report()
    nan_sharpe = pd.Series(np.nan, index=report.equity.index)
    document = render(attrs.evolve(report, rolling_sharpe=nan_sharpe))
    assert "<h2>Rolling Sharpe</h2>" in document
    sharpe = charts(document)["rolling-sharpe"]
    assert sharpe["data"] == []
    assert sharpe["layout"]["annotations"][0]["text"] == "no data"
