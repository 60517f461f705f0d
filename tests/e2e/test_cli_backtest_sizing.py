"""`quantcli backtest` sizes the model's signals by risk.sizing.method, as paper and live do."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

RunCli = Callable[..., subprocess.CompletedProcess[str]]

# 1 % a year per position: below the 5 % cap for any symbol more volatile than 20 % a year.
VOLATILITY_TARGET = """\
risk:
  sizing:
    method: volatility_target
    target_volatility: 0.01
"""


def metric(stdout: str, name: str) -> str:
    found = re.search(rf"^{re.escape(name)}\s+(\S+)$", stdout, re.MULTILINE)
    assert found, f"no {name!r} row in:\n{stdout}"
    return found.group(1)


def held_notional(fills_csv: Path) -> pd.Series:
    """Each symbol's mean absolute position value after its fills, at the fill prices."""
    fills = pd.read_csv(fills_csv)
    signed = np.where(fills["side"] == "BUY", 1.0, -1.0) * fills["quantity"]
    held = signed.groupby(fills["symbol"]).cumsum()
    return (held.abs() * fills["price"]).groupby(fills["symbol"]).mean()


def test_volatility_target_sizing_holds_smaller_positions_than_fixed_fraction(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "sizing.yaml").write_text(VOLATILITY_TARGET)

    fixed = traded_cli("backtest", "--report", "fixed.html")
    targeted = traded_cli("--config", "sizing.yaml", "backtest", "--report", "targeted.html")

    assert fixed.returncode == 0, fixed.stderr
    assert targeted.returncode == 0, targeted.stderr
    fixed_line = (
        "Sizing: fixed_fraction (the strategy's target weights), capped at 5.00% per symbol"
    )
    targeted_line = (
        "Sizing: volatility_target (target 1% annualized, 20-bar window), "
        "capped at 5.00% per symbol"
    )
    assert fixed_line in fixed.stdout.splitlines()
    assert targeted_line in targeted.stdout.splitlines()
    assert "volatility_target (target 1% annualized" in (tmp_path / "targeted.html").read_text()
    fixed_held = held_notional(tmp_path / "fixed_fills.csv")
    targeted_held = held_notional(tmp_path / "targeted_fills.csv")
    assert (targeted_held < fixed_held).all(), (targeted_held, fixed_held)
    volatility = "annualized volatility"
    assert float(metric(targeted.stdout, volatility).rstrip("%")) < float(
        metric(fixed.stdout, volatility).rstrip("%")
    )
    assert metric(targeted.stdout, "trades") != metric(fixed.stdout, "trades")


def test_a_rule_strategy_backtest_says_it_trades_its_own_weights(traded_cli: RunCli) -> None:
    result = traded_cli("backtest", "--strategy", "sma_cross", "--report", "sma.html")

    assert result.returncode == 0, result.stderr
    assert "Sizing: the strategy's own target weights" in result.stdout
