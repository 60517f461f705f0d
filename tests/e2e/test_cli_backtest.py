"""`quantcli backtest`: a built-in rule, a user entry point, and parameter sweeps."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def market(run_cli: RunCli) -> RunCli:
    """A small synthetic market in the store."""
    generated = run_cli("data", "generate", "--symbols", "3", "--years", "2")
    assert generated.returncode == 0, generated.stderr
    return run_cli


def test_sma_cross_backtest_prints_metrics_and_writes_the_report(
    market: RunCli, tmp_path: Path
) -> None:
    result = market("backtest", "--strategy", "sma_cross", "--report", "sma.html")

    assert result.returncode == 0, result.stderr
    assert "Backtest of strategy sma_cross" in result.stdout
    for metric in ("Sharpe", "Calmar", "probabilistic Sharpe", "max drawdown duration"):
        assert metric in result.stdout
    html = (tmp_path / "sma.html").read_text()
    assert "QuantCLI backtest: strategy sma_cross" in html


def test_the_report_lists_the_fills_their_costs_by_symbol_and_both_bootstraps(
    market: RunCli, tmp_path: Path
) -> None:
    result = market("backtest", "--strategy", "sma_cross", "--report", "sma.html")

    assert result.returncode == 0, result.stderr
    printed_fills = int(re.search(r"^trades\s+([\d,]+)$", result.stdout, re.M)[1].replace(",", ""))
    printed_costs = re.search(r"^total costs\s+(\S+)$", result.stdout, re.M)[1]
    fills = pd.read_csv(tmp_path / "sma_fills.csv")
    assert len(fills) == printed_fills
    assert list(fills.columns) == [
        "timestamp",
        "symbol",
        "side",
        "quantity",
        "price",
        "commission",
        "slippage",
        "impact",
        "reason",
    ]
    html = (tmp_path / "sma.html").read_text()
    assert f'<p class="note">{printed_fills:,} fills; 0 forced liquidations' in html
    assert '<a href="sma_fills.csv">sma_fills.csv</a>' in html
    attribution = re.search(r'<table class="cost-attribution">(.*?)</table>', html, re.S)
    assert attribution is not None
    per_symbol = re.findall(
        r"<tr><td>(SYN\d\d)</td><td class=\"num\">([\d,]+)</td>", attribution[1]
    )
    counts = fills.groupby("symbol").size()
    assert [(symbol, int(n.replace(",", ""))) for symbol, n in per_symbol] == list(counts.items())
    total = re.search(r'<tr class="total"><td>all symbols</td>((?:<td[^>]*>[^<]*</td>)+)', html)
    assert total is not None
    assert re.findall(r">([^<]*)</td>", total[1])[6] == printed_costs  # the total column
    trips = re.search(r"Bootstrap of the (\d+) round-trip P&amp;Ls", html)
    assert trips is not None
    assert int(trips[1]) >= 10
    assert html.count("1,000 resamples, seed 0.") == 2
    assert html.count("<th>p5</th><th>median</th><th>p95</th>") == 2


def test_a_python_entry_point_strategy_is_backtested(market: RunCli, tmp_path: Path) -> None:
    (tmp_path / "my_rules.py").write_text(
        "def half_in(bars):\n"
        "    close = bars.pivot(index='timestamp', columns='symbol', values='close')\n"
        "    return close * 0 + 0.5 / close.shape[1]\n"
    )

    # The working folder is searched first: no PYTHONPATH needed.
    result = market("backtest", "--strategy", "my_rules:half_in")

    assert result.returncode == 0, result.stderr
    assert "Backtest of strategy my_rules:half_in" in result.stdout


def test_a_strategy_returning_garbage_is_refused(market: RunCli, tmp_path: Path) -> None:
    (tmp_path / "broken_rules.py").write_text("def nothing(bars):\n    return 42\n")

    result = market("backtest", "--strategy", "broken_rules:nothing")

    assert result.returncode == 1
    assert "strategy broken_rules:nothing returned int, not a DataFrame of weights" in result.stderr


def test_sweep_prints_the_best_pairs_and_saves_every_row(market: RunCli, tmp_path: Path) -> None:
    result = market(
        "backtest", "--strategy", "sma_cross", "--sweep", "fast=5:20:5", "--sweep", "slow=30,60"
    )

    assert result.returncode == 0, result.stderr
    assert "Swept 8 (fast, slow) pairs on 3 symbol(s)" in result.stdout
    table = pd.read_csv(tmp_path / "data" / "reports" / "sweep_sma_cross.csv")
    assert len(table) == 3 * 8
    assert set(zip(table.fast, table.slow, strict=True)) == {
        (f, s) for f in (5, 10, 15, 20) for s in (30, 60)
    }
    assert table.sharpe.is_monotonic_decreasing


LEVERED_RULES = (
    "def levered(bars, weight, lag):\n"
    "    close = bars.pivot(index='timestamp', columns='symbol', values='close')\n"
    "    if weight <= 0:\n"
    "        from quantcli.domain.errors import ValidationError\n"
    "        raise ValidationError('weight must be positive')\n"
    "    up = close.pct_change(lag) > 0\n"
    "    return up * weight / close.shape[1]\n"
)


def test_an_entry_point_sweeps_its_own_parameters(market: RunCli, tmp_path: Path) -> None:
    (tmp_path / "levered_rules.py").write_text(LEVERED_RULES)

    result = market(
        "backtest",
        *("--strategy", "levered_rules:levered"),
        *("--sweep", "weight=0,0.5,1.0", "--sweep", "lag=1:9:4"),
    )

    assert result.returncode == 0, result.stderr
    assert "Swept 6 parameter sets of levered_rules:levered (3 rejected by the strategy)" in (
        result.stdout
    )
    table = pd.read_csv(tmp_path / "data" / "reports" / "sweep_strategy.csv")
    assert set(zip(table.weight, table.lag, strict=True)) == {
        (w, lag) for w in (0.5, 1.0) for lag in (1, 5, 9)
    }
    assert table.sharpe.is_monotonic_decreasing
    # Doubling the weight doubles the exposure: the leverage shows in the drawdowns.
    by_point = table.set_index(["weight", "lag"])
    for lag in (1, 5, 9):
        assert by_point.loc[(1.0, lag), "max_drawdown"] < by_point.loc[(0.5, lag), "max_drawdown"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--strategy", "no_such_module:f"), "cannot import no_such_module"),
        (("--strategy", "os:getcwd", "--sweep", "x"), "'x': expected NAME=START:STOP[:STEP]"),
        (("--strategy", "os:getcwd", "--sweep", "a=1", "--sweep", "a=2"), "a is given twice"),
        (("--strategy", "os:getcwd", "--sweep", "a=5:1"), "need start <= stop"),
        (("--strategy", "not an entry point"), "is not model, sma_cross or an entry point"),
        (("--sweep", "fast=5:10", "--sweep", "slow=20"), "sweeps run the sma_cross strategy"),
        (("--strategy", "sma_cross", "--sweep", "fast=5:10"), "no values for slow"),
        (("--strategy", "sma_cross", "--sweep", "fast=x", "--sweep", "slow=9"), "fast=x"),
    ],
)
def test_bad_strategy_or_grid_is_a_usage_error(
    market: RunCli, arguments: tuple[str, ...], message: str
) -> None:
    result = market("backtest", *arguments)

    assert result.returncode == 2
    assert message in result.stderr


def test_the_strategy_can_come_from_config(market: RunCli, tmp_path: Path) -> None:
    (tmp_path / "override.yaml").write_text("backtest:\n  default_strategy: sma_cross\n")

    result = market("--config", "override.yaml", "backtest")

    assert result.returncode == 0, result.stderr
    assert "Backtest of strategy sma_cross" in result.stdout


def test_the_report_is_a_tearsheet_against_the_configured_benchmark(
    market: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "bench.yaml").write_text(
        "backtest:\n  report:\n    benchmark: SYN02\n    currency: EUR\n"
    )

    result = market(
        "--config",
        "bench.yaml",
        "backtest",
        "--strategy",
        "sma_cross",
        "--symbol",
        "SYN00",
        "--symbol",
        "SYN01",
        "--report",
        "bench.html",
    )

    assert result.returncode == 0, result.stderr
    html = (tmp_path / "bench.html").read_text()
    header = re.search(r'<p class="period">(.*?)</p>', html)
    assert header is not None
    assert re.fullmatch(
        r"Data \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \([\d,]+ bars\) · "
        r"benchmark: buy-and-hold of SYN02 · amounts in EUR",
        header[1],
    )
    for section in ("Worst drawdowns", "Exposure", "P&amp;L by symbol", "Trade statistics"):
        assert f"<h2>{section}</h2>" in html
    assert "<tr><th>Beta (vs benchmark)</th>" in html
    assert '"name":"buy-and-hold of SYN02"' in html
    assert '"text":"equity (EUR)"' in html
    assert "00:00:00+00:00" not in html.split("</head>", 1)[1]  # daily bars show dates


def test_a_benchmark_without_stored_bars_is_a_data_error(market: RunCli, tmp_path: Path) -> None:
    (tmp_path / "bench.yaml").write_text("backtest:\n  report:\n    benchmark: NOPE\n")

    result = market("--config", "bench.yaml", "backtest", "--strategy", "sma_cross")

    assert result.returncode == 1
    assert "benchmark NOPE (backtest.report.benchmark) has no stored bars between" in result.stderr
