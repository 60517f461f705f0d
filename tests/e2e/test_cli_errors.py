"""Errors a person can act on: one line naming the input and the problem, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]

STRATEGIES = """
import pandas as pd


def boom(bars):
    raise ValueError("no weights today")


def levered(bars):
    close = bars.pivot(index="timestamp", columns="symbol", values="close")
    return pd.DataFrame(50.0, index=close.index, columns=close.columns)


def half_in(bars):
    close = bars.pivot(index="timestamp", columns="symbol", values="close")
    return close * 0 + 0.5 / close.shape[1]


def picky(bars, fast=5):
    if fast > 5:
        raise KeyError("fast")
    return half_in(bars)
"""


@pytest.fixture
def market(run_cli: RunCli, tmp_path: Path) -> RunCli:
    """Three synthetic symbols in the store and a package `mystrats` in the working folder."""
    generated = run_cli("data", "generate", "--symbols", "3", "--years", "1")
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "mystrats").mkdir()
    (tmp_path / "mystrats" / "__init__.py").write_text("")
    (tmp_path / "mystrats" / "s.py").write_text(STRATEGIES)
    return run_cli


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The stderr's only `Error:` line, with no traceback anywhere."""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# --- point 7: entry-point strategies ------------------------------------------------------------


def test_a_strategy_that_raises_is_one_line_naming_it_and_where(market: RunCli) -> None:
    result = market("backtest", "--strategy", "mystrats.s:boom")

    assert result.returncode == 1
    assert one_error_line(result) == (
        "Error: strategy mystrats.s:boom raised ValueError: no weights today (at mystrats/s.py:6)"
    )
    assert result.stderr.count("\n") == 1


def test_quantcli_debug_shows_the_strategys_traceback(market: RunCli) -> None:
    result = market("backtest", "--strategy", "mystrats.s:boom", env={"QUANTCLI_DEBUG": "1"})

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert 'raise ValueError("no weights today")' in result.stderr
    assert result.stderr.rstrip().endswith("(at mystrats/s.py:6)")


def test_a_callable_that_is_not_a_strategy_is_a_usage_error_naming_it(market: RunCli) -> None:
    result = market("backtest", "--strategy", "os:getcwd")

    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: Invalid value for --strategy: os:getcwd is not a strategy: getcwd(bars) fails: "
        "too many positional arguments"
    )


def test_a_sweep_point_that_raises_names_the_point(market: RunCli) -> None:
    result = market("backtest", "--strategy", "mystrats.s:picky", "--sweep", "fast=5,6")

    assert result.returncode == 1
    assert one_error_line(result).startswith(
        "Error: strategy mystrats.s:picky (fast=6) raised KeyError: 'fast' (at mystrats/s.py:"
    )


def test_an_entry_point_in_the_working_folder_needs_no_pythonpath(
    market: RunCli, tmp_path: Path
) -> None:
    # `python -P` keeps the working folder off sys.path, as the `quantcli` console script does.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(tmp_path / "data")
    environment["PYTHONPATH"] = os.pathsep.join(
        entry for entry in environment.get("PYTHONPATH", "").split(os.pathsep) if entry
    )
    result = subprocess.run(
        [sys.executable, "-P", "-m", "quantcli", "backtest", "--strategy", "mystrats.s:half_in"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Backtest of strategy mystrats.s:half_in" in result.stdout


# --- point 8: ranges and leverage up front ------------------------------------------------------


def test_weights_above_the_leverage_limit_are_refused_without_overflow(market: RunCli) -> None:
    result = market("backtest", "--strategy", "mystrats.s:levered")

    assert result.returncode == 1
    assert "RuntimeWarning" not in result.stderr
    assert one_error_line(result) == (
        "Error: strategy mystrats.s:levered weights at 2016-01-04T00:00:00+00:00 ask for gross "
        "exposure 150.00x equity, above risk.limits.max_gross_exposure 1.50x (252 bar(s) above "
        "it): scale the weights down or raise the limit"
    )


def test_the_backtest_margin_limit_replaces_the_risk_gross_limit(
    market: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "margin.yaml").write_text("backtest:\n  margin:\n    initial_margin: 0.5\n")

    result = market("--config", "margin.yaml", "backtest", "--strategy", "mystrats.s:levered")

    assert result.returncode == 1
    assert "above 1 / backtest.margin.initial_margin 2.00x" in one_error_line(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("data", "generate", "--years", "500"), "'--years': 500.0 is not in the range 0<x<=100"),
        (("data", "generate", "--symbols", "0"), "'--symbols': 0 is not in the range 1<=x<=500"),
        (("quickstart", "--years", "500"), "'--years': 500.0 is not in the range 0<x<=100"),
        (("quickstart", "--symbols", "501"), "'--symbols': 501 is not in the range 1<=x<=500"),
    ],
)
def test_synthetic_market_sizes_are_bounded_up_front(
    run_cli: RunCli, arguments: tuple[str, ...], message: str
) -> None:
    # --years 500 used to end in pandas' OutOfBoundsDatetime traceback.
    result = run_cli(*arguments)

    assert result.returncode == 2
    assert message in one_error_line(result)


# --- point 9: configuration checked at load -----------------------------------------------------


def test_an_unknown_calendar_stops_paper_before_any_account_row(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "override.yaml").write_text("trading:\n  calendar: NOPE\n")

    result = traded_cli("--config", "override.yaml", "paper", "--account", "fresh")

    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: configuration: override.yaml: trading.calendar: unknown calendar 'NOPE' "
        "(e.g. XNYS, XLON, XTKS, 24/7)"
    )
    with sqlite3.connect(tmp_path / "data" / "quantcli.db") as connection:
        accounts = [row[0] for row in connection.execute("SELECT account FROM accounts")]
    assert accounts == ["paper"]


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "null\n"])
def test_an_empty_config_file_is_a_warning_naming_it(
    run_cli: RunCli, tmp_path: Path, text: str
) -> None:
    (tmp_path / "override.yaml").write_text(text)

    result = run_cli("--config", "override.yaml", "kill", "--status")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ("Warning: configuration: override.yaml is empty; using the defaults\n")


# --- point 10: --symbol and --sweep ---------------------------------------------------------------


SMA_GRID = ("--sweep", "fast=5", "--sweep", "slow=20")


@pytest.mark.parametrize(
    "arguments",
    [
        ("backtest", "--strategy", "sma_cross", "--symbol", "NOPE"),
        ("backtest", "--strategy", "mystrats.s:half_in", "--symbol", "NOPE"),
        ("backtest", "--strategy", "sma_cross", "--symbol", "NOPE", *SMA_GRID),
        ("features", "build", "--symbol", "SYN01", "--symbol", "NOPE"),
        ("features", "check", "--symbol", "NOPE"),
    ],
)
def test_a_symbol_without_bars_is_named_with_what_is_stored(
    market: RunCli, arguments: tuple[str, ...]
) -> None:
    # It used to say "bar store is empty" although the store held three symbols.
    result = market(*arguments)

    assert result.returncode == 1
    assert one_error_line(result) == "Error: no bars for NOPE (stored: SYN00, SYN01, SYN02)"


def test_a_sweep_parameter_given_twice_is_a_usage_error_naming_it(market: RunCli) -> None:
    result = market(
        "backtest",
        *("--strategy", "sma_cross", "--sweep", "fast=5", "--sweep", "fast=6"),
        *("--sweep", "slow=20"),
    )

    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: Invalid value for --sweep: fast is given twice ('fast=5' and 'fast=6'): "
        "give all its values in one fast=..."
    )
