"""`quantcli backtest --strategy sma_cross --sweep ... --walk-forward TRAIN:TEST`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]
GRID = ("--strategy", "sma_cross", "--sweep", "fast=5:50:5", "--sweep", "slow=20:200:10")
TRAIN, TEST = 504, 126


@pytest.fixture
def market(run_cli: RunCli) -> tuple[RunCli, int]:
    """Two synthetic symbols over three years, and how many bars each has."""
    generated = run_cli("data", "generate", "--symbols", "2", "--years", "3")
    assert generated.returncode == 0, generated.stderr
    stored = re.search(r"Stored ([\d,]+) bars of 2 symbol", generated.stdout)
    assert stored is not None, generated.stdout
    return run_cli, int(stored[1].replace(",", "")) // 2


def test_walk_forward_prints_each_window_and_saves_them_all(
    market: tuple[RunCli, int], tmp_path: Path
) -> None:
    run_cli, bars_per_symbol = market
    windows = (bars_per_symbol - TRAIN) // TEST

    result = run_cli("backtest", *GRID, "--walk-forward", f"{TRAIN}:{TEST}")

    assert result.returncode == 0, result.stderr
    assert windows >= 1
    assert "symbol  window start  window end  fast  slow  test return" in result.stdout
    table = pd.read_csv(tmp_path / "data" / "reports" / "walk_forward_sma_cross.csv")
    assert len(table) == windows * 2
    assert table.groupby("symbol").size().tolist() == [windows, windows]
    for symbol in table.symbol.unique():
        assert re.search(
            rf"^{symbol}: {windows} window\(s\) out of sample, total return -?[\d.]+%, "
            r"Sharpe -?[\d.]+, max drawdown -?[\d.]+%$",
            result.stdout,
            re.MULTILINE,
        )
        for row in table[table.symbol == symbol].itertuples():
            line = f"{row.test_start[:10]}    {row.test_end[:10]}"
            assert any(
                line in printed and printed.startswith(symbol)
                for printed in result.stdout.splitlines()
            )
    assert (table.fast < table.slow).all()
    assert set(table.fast) <= set(range(5, 51, 5))
    assert set(table.slow) <= set(range(20, 201, 10))
    assert table.groupby("symbol").train_start.nunique().tolist() == [windows, windows]  # rolling
    report = tmp_path / "data" / "reports" / "backtest.html"  # where the backtest report goes
    assert f"Report written to {report.resolve()}" in result.stdout
    assert_report_matches_the_windows(report.read_text(), table)


def assert_report_matches_the_windows(html: str, table: pd.DataFrame) -> None:
    """Each symbol's window table in the HTML shows the CSV's windows, and its summary row
    the efficiency ratio of the Sharpe ratios it lists."""
    for symbol, windows in table.groupby("symbol"):
        shown = re.search(
            rf"<h3>{symbol}: windows</h3>\n<table class=\"windows\">(.*?)</table>", html, re.S
        )
        assert shown is not None, symbol
        rows = [
            re.findall(r"<td[^>]*>([^<]*)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", shown[1])[1:]
        ]
        assert len(rows) == len(windows)
        for cells, window in zip(rows, windows.itertuples(), strict=True):
            assert cells[0] == str(window.window)
            assert cells[1:5] == [
                window.train_start[:10],
                window.train_end[:10],
                window.test_start[:10],
                window.test_end[:10],
            ]
            assert (int(cells[5]), int(cells[6])) == (window.fast, window.slow)
            assert cells[7] == f"{window.train_sharpe:,.2f}"
            assert cells[9] == f"{window.test_return * 100:,.2f}%"
        summary = re.search(rf"<tr><td>{symbol}</td>((?:<td[^>]*>[^<]*</td>)+)</tr>", html)
        assert summary is not None
        shown_ratio = re.findall(r">([^<]*)</td>", summary[1])[-1]
        in_sample = windows.train_sharpe.mean()
        out_of_sample = sum(float(cells[8]) for cells in rows) / len(rows)
        if in_sample > 0:
            assert float(shown_ratio) == pytest.approx(out_of_sample / in_sample, abs=0.02)
        else:
            assert shown_ratio == "n/a"


def test_anchored_walk_forward_grows_the_training_window(
    market: tuple[RunCli, int], tmp_path: Path
) -> None:
    run_cli, _ = market

    result = run_cli(
        "backtest",
        *GRID,
        "--walk-forward",
        f"{TRAIN}:{TEST}",
        "--anchored",
        "--symbol",
        "SYN01",
        "--report",
        "wf.html",
    )

    assert result.returncode == 0, result.stderr
    assert "(anchored, train 504 bars, test 126 bars)" in result.stdout
    table = pd.read_csv(tmp_path / "data" / "reports" / "walk_forward_sma_cross.csv")
    assert set(table.symbol) == {"SYN01"}
    assert table.train_start.nunique() == 1
    assert f"Report written to {(tmp_path / 'wf.html').resolve()}" in result.stdout
    html = (tmp_path / "wf.html").read_text()
    assert "<h1>QuantCLI walk-forward: SMA crossover (anchored)</h1>" in html
    assert "<h2>SYN00</h2>" not in html
    assert_report_matches_the_windows(html, table)


def test_a_symbol_too_short_for_one_window_is_an_error_naming_it(
    market: tuple[RunCli, int],
) -> None:
    run_cli, bars_per_symbol = market

    result = run_cli("backtest", *GRID, "--walk-forward", f"{bars_per_symbol}:{TEST}")

    assert result.returncode == 1
    assert f"SYN00 has {bars_per_symbol} bars" in result.stderr
    assert f"train {bars_per_symbol} + test {TEST}" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--strategy", "sma_cross", "--walk-forward", "504:126"), "--walk-forward needs --sweep"),
        ((*GRID, "--walk-forward", "504"), "expected TRAIN:TEST bar counts"),
        ((*GRID, "--walk-forward", "504:0"), "must both be at least 1 bar"),
        ((*GRID, "--walk-forward", "a:b"), "expected TRAIN:TEST bar counts"),
        ((*GRID, "--walk-forward", "150:50"), "TRAIN 150 must exceed the longest slow window 200"),
        ((*GRID, "--anchored"), "--anchored needs --walk-forward"),
        (
            ("--sweep", "fast=5:10", "--sweep", "slow=20", "--walk-forward", "504:126"),
            "sweeps run the sma_cross strategy",
        ),
    ],
)
def test_bad_walk_forward_options_are_usage_errors(
    market: tuple[RunCli, int], arguments: tuple[str, ...], message: str
) -> None:
    run_cli, _ = market

    result = run_cli("backtest", *arguments)

    assert result.returncode == 2
    assert message in result.stderr
