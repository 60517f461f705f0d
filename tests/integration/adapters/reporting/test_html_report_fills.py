"""HtmlReportWriter's fills table (marked forced and look-ahead fills, capped rows, the complete
CSV beside the report), costs by symbol and the two Monte Carlo bootstraps."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.reporting import HtmlReportWriter, fills_csv_path
from quantcli.application.analytics.report_analytics import cost_attribution
from quantcli.application.analytics.report_monte_carlo import (
    returns_monte_carlo,
    trades_monte_carlo,
)
from quantcli.application.backtest.ports import BacktestReport

ChartsOf = Callable[[str], dict[str, dict[str, Any]]]


def make_fills(count: int) -> pd.DataFrame:
    """`count` fills, one a day; the 3rd is a forced liquidation, the 4th a same-bar close."""
    reasons = ["signal"] * count
    if count > 3:
        reasons[2], reasons[3] = "liquidation", "same_bar_close"
    return pd.DataFrame(
        {
            "timestamp": pd.date_range("2024-01-02", periods=count, freq="D", tz="UTC"),
            "symbol": [f"S{i % 2}" for i in range(count)],
            "side": ["BUY" if i % 2 == 0 else "SELL" for i in range(count)],
            "quantity": [10.0 + i for i in range(count)],
            "price": [100.0 + i * 0.5 for i in range(count)],
            "commission": [1.0] * count,
            "slippage": [0.25] * count,
            "impact": [0.125 * i for i in range(count)],
            "reason": reasons,
        }
    )


def make_report(fills: pd.DataFrame | None, **changes: object) -> BacktestReport:
    index = pd.date_range("2023-01-02", periods=300, freq="B", tz="UTC")
    equity = pd.Series(
        1e4 * np.cumprod(1 + np.random.default_rng(5).normal(4e-4, 0.01, 300)), index
    )
    report = BacktestReport(
        title="fills",
        equity=equity,
        drawdown=equity / equity.cummax() - 1.0,
        metrics={"sharpe": 1.0},
        trades=pd.DataFrame({"timestamp": index[:1], "symbol": ["TRADE_ONLY"]}),
        configuration={},
        fills=fills,
        cost_attribution=None if fills is None else cost_attribution(fills, {"S1": 7.5}),
    )
    return attrs.evolve(report, **changes)


def table_rows(document: str, css: str) -> list[str]:
    table = re.search(rf'<table class="{css}">(.*?)</table>', document, re.DOTALL)
    assert table is not None, css
    return re.findall(r"<tr[^>]*>.*?</tr>", table.group(1))[1:]  # skip the header row


def test_every_fill_is_listed_with_its_costs_and_reason(tmp_path: Path) -> None:
    document = HtmlReportWriter().render(make_report(make_fills(5)))

    rows = table_rows(document, "fills")
    assert len(rows) == 5
    assert "<th>time</th><th>symbol</th><th>side</th><th>quantity</th><th>price</th>" in document
    assert "<th>commission</th><th>slippage</th><th>impact</th><th>reason</th>" in document
    assert rows[1] == (
        "<tr><td>2024-01-03</td><td>S1</td><td>SELL</td>"  # daily bars: the date alone
        '<td class="num">11</td><td class="num">100.5</td><td class="num">1.00</td>'
        '<td class="num">0.25</td><td class="num">0.12</td><td>signal</td></tr>'
    )
    # The fills replace the trade list, which holds the same rows with fewer columns.
    assert "<h2>Fills</h2>" in document
    assert "<h2>Trades</h2>" not in document
    assert "TRADE_ONLY" not in document


def test_forced_liquidations_and_same_bar_closes_are_marked() -> None:
    document = HtmlReportWriter().render(make_report(make_fills(5)))

    rows = table_rows(document, "fills")
    assert rows[2].startswith('<tr class="liquidation">')
    assert "<td>⚠ forced liquidation (margin call)</td>" in rows[2]
    assert rows[3].startswith('<tr class="same-bar-close">')
    assert "<td>⚠ same-bar close (look-ahead)</td>" in rows[3]
    assert all(row.startswith("<tr>") for row in (rows[0], rows[1], rows[4]))
    assert (
        "5 fills; 1 forced liquidation (margin calls) and 1 same-bar-close fill (look-ahead), "
        "marked in the table."
    ) in document
    assert "tr.liquidation td{background:" in document  # coloured, not just labelled


def test_a_large_fills_table_shows_the_first_and_last_rows_and_says_how_many_are_left_out() -> None:
    document = HtmlReportWriter(max_fills=200).render(make_report(make_fills(450)))

    rows = table_rows(document, "fills")
    assert len(rows) == 201  # 100 + the gap row + 100
    assert rows[100] == '<tr class="gap"><td colspan="9">… 250 fills omitted …</td></tr>'
    first, last = rows[:100], rows[101:]
    assert "<td>2024-01-02</td>" in first[0]
    assert "<td>2024-04-10</td>" in first[-1]  # the 100th fill
    assert "<td>2024-12-17</td>" in last[0]  # the 351st
    assert "<td>2025-03-26</td>" in last[-1]  # the 450th
    assert "<td>2024-04-11</td>" not in document  # the 101st is left out
    assert "450 fills; 1 forced liquidation" in document
    assert "Showing the first 100 and the last 100." in document


def test_write_puts_the_complete_fills_csv_beside_the_report_and_names_it(
    tmp_path: Path,
) -> None:
    fills = make_fills(450)
    target = tmp_path / "runs" / "spy.html"

    written = HtmlReportWriter().write(make_report(fills), target)

    assert written == target
    table = fills_csv_path(target)
    assert table == tmp_path / "runs" / "spy_fills.csv"
    assert sorted(p.name for p in table.parent.iterdir()) == ["spy.html", "spy_fills.csv"]
    saved = pd.read_csv(table)
    assert list(saved.columns) == list(fills.columns)
    assert len(saved) == 450
    assert saved["reason"].tolist() == fills["reason"].tolist()
    assert saved["impact"].tolist() == fills["impact"].tolist()
    assert pd.to_datetime(saved["timestamp"]).tolist() == fills["timestamp"].tolist()
    document = target.read_text(encoding="utf-8")
    assert 'The complete table: <a href="spy_fills.csv">spy_fills.csv</a>' in document


def test_no_fills_writes_no_csv_and_says_so(tmp_path: Path) -> None:
    empty = make_fills(0)
    writer = HtmlReportWriter()

    writer.write(make_report(empty), tmp_path / "report.html")
    writer.write(make_report(None), tmp_path / "trades.html")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "trades.html"]
    assert '<h2>Fills</h2>\n<p class="note">No fills.</p>' in (tmp_path / "report.html").read_text()
    assert "TRADE_ONLY" in (tmp_path / "trades.html").read_text()  # the trade list instead


def test_costs_by_symbol_are_a_table_with_a_bold_total_row() -> None:
    document = HtmlReportWriter().render(make_report(make_fills(4)))

    rows = table_rows(document, "cost-attribution")
    assert (
        "<tr><th>symbol</th><th>fills</th><th>traded notional</th><th>commission</th>"
        "<th>slippage</th><th>impact</th><th>borrow</th><th>total</th><th>bps of notional</th>"
    ) in document
    # S1: fills 2 and 4, 11 × 100.5 + 13 × 101.5 = 2 425; costs 2 + 0.5 + 0.5 + 7.5 = 10.5.
    assert rows[1] == (
        '<tr><td>S1</td><td class="num">2</td><td class="num">2,425.00</td>'
        '<td class="num">2.00</td><td class="num">0.50</td><td class="num">0.50</td>'
        '<td class="num">7.50</td><td class="num">10.50</td>'
        f'<td class="num">{10.5 / 2425 * 1e4:,.2f}</td></tr>'
    )
    assert rows[2].startswith('<tr class="total"><td>all symbols</td><td class="num">4</td>')
    assert document.index("<h2>Costs by symbol</h2>") < document.index("<h2>Fills</h2>")


def test_both_bootstraps_show_their_percentiles_resamples_seed_and_histograms(
    charts: ChartsOf,
) -> None:
    equity = make_report(None).equity.to_numpy()
    pnl = np.random.default_rng(1).normal(20.0, 100.0, 40)
    returns = returns_monte_carlo(equity, n_paths=250, seed=11)
    trades = trades_monte_carlo(pnl, initial_equity=1e4, n_paths=250, seed=11)
    report = make_report(None, monte_carlo=returns, trade_monte_carlo=trades)

    document = HtmlReportWriter().render(report)

    assert re.findall(r"<h[23]>(Monte Carlo|Bootstrap[^<]*)</h[23]>", document) == [
        "Monte Carlo",
        "Bootstrap of daily returns",
        "Bootstrap of trades",
    ]
    tables = re.findall(r'<table class="monte-carlo">(.*?)</table>', document, re.DOTALL)
    assert len(tables) == 2
    for table, summary in zip(tables, (returns, trades), strict=True):
        header = "<th>metric</th><th>backtest</th><th>p5</th><th>median</th><th>p95</th>"
        assert header in table
        drawdown = summary["metrics"]["max_drawdown"]
        cells = "".join(
            f'<td class="num">{drawdown[key] * 100:,.2f}%</td>'
            for key in ("point_estimate", "lower", "median", "upper")
        )
        assert f"<tr><th>Max drawdown</th>{cells}" in table
    assert "Stationary bootstrap of the 299 daily returns" in document
    assert "Bootstrap of the 40 round-trip P&amp;Ls, drawn with replacement." in document
    assert "Sharpe is per trade" in document
    assert document.count("250 resamples, seed 11.") == 2
    drawn = charts(document)
    for chart_id in ("monte-carlo-returns", "monte-carlo-trades"):
        assert [trace["type"] for trace in drawn[chart_id]["data"]] == ["histogram"] * 3
        assert len(drawn[chart_id]["data"][0]["x"]) == 250


def test_too_few_round_trips_say_so_instead_of_a_trade_bootstrap() -> None:
    equity = make_report(None).equity.to_numpy()
    report = make_report(
        None,
        monte_carlo=returns_monte_carlo(equity, n_paths=50, seed=0),
        trade_monte_carlo=trades_monte_carlo([1.0] * 4, initial_equity=1e4, n_paths=50, seed=0),
    )

    document = HtmlReportWriter().render(report)

    assert (
        '<h3>Bootstrap of trades</h3>\n<p class="note">Not shown: only 4 round trips; a trade '
        "bootstrap needs at least 10 to say more than noise.</p>"
    ) in document
    assert len(re.findall(r'<table class="monte-carlo">', document)) == 1
    assert "chart-monte-carlo-trades" not in document


def test_fill_and_attribution_text_is_escaped() -> None:
    attack = '<script>alert("x")</script>'
    fills = make_fills(4).assign(symbol=attack, reason=attack)

    document = HtmlReportWriter().render(make_report(fills))

    assert "<script>alert" not in document
    # 4 fills' symbol and reason, the attribution row.
    assert document.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 9
    assert table_rows(document, "fills")[0].startswith('<tr class="flagged">')  # unknown reason


def test_a_bootstrap_whose_paths_all_agree_still_draws_its_histograms(charts: ChartsOf) -> None:
    # Twelve identical winning trades: every path has Sharpe 0, no drawdown, +0.6 %.
    trades = trades_monte_carlo([5.0] * 12, initial_equity=1e4, n_paths=50, seed=0)
    assert trades["distributions"]["final_return"] == pytest.approx([0.006] * 50)

    document = HtmlReportWriter().render(make_report(None, trade_monte_carlo=trades))

    histograms = charts(document)["monte-carlo-trades"]["data"]
    assert histograms[2]["x"] == pytest.approx([0.006] * 50)
    assert '<tr><th>Max drawdown</th><td class="num">0.00%</td>' in document
