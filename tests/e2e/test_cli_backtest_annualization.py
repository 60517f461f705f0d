"""`quantcli backtest` annualizes by the bars' own interval: hourly FX bars, not 252 a year."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import backtesting.test
import numpy as np
import pandas as pd

RunCli = Callable[..., subprocess.CompletedProcess[str]]
EURUSD_CSV = Path(backtesting.test.__file__).parent / "EURUSD.csv"
INITIAL_CASH = 1_000_000.0  # config/backtest.yaml initial_cash


def _metric(stdout: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\s+(\S+)$", stdout, flags=re.MULTILINE)
    assert match, f"no {name!r} row in:\n{stdout}"
    return match.group(1)


def _equity_from_fills(fills: pd.DataFrame, closes: pd.Series) -> pd.Series:
    """Cash after each bar's fills plus the position marked at the bar's close."""
    signed = fills["quantity"].where(fills["side"] == "BUY", -fills["quantity"])
    cash_flow = (-signed * fills["price"] - fills["commission"]).groupby(fills["timestamp"]).sum()
    traded = signed.groupby(fills["timestamp"]).sum()
    cash = INITIAL_CASH + cash_flow.reindex(closes.index, fill_value=0.0).cumsum()
    held = traded.reindex(closes.index, fill_value=0.0).cumsum()
    return cash + held * closes


def test_hourly_fx_backtest_annualizes_by_bars_per_elapsed_year(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("data", "import", str(EURUSD_CSV)).returncode == 0

    result = run_cli("backtest", "--strategy", "sma_cross")

    assert result.returncode == 0, result.stderr
    bars = pd.read_csv(EURUSD_CSV, index_col=0, parse_dates=True)
    closes = bars["Close"].astype(float)
    closes.index = closes.index.tz_localize("UTC")
    fills = pd.read_csv(tmp_path / "data" / "reports" / "backtest_fills.csv")
    fills["timestamp"] = pd.to_datetime(fills["timestamp"], utc=True)
    equity = _equity_from_fills(fills, closes).to_numpy()
    # The reconstruction is the backtest's equity: same total return.
    assert f"{equity[-1] / equity[0] - 1:.2%}" == _metric(result.stdout, "total return")
    elapsed = (closes.index[-1] - closes.index[0]).total_seconds()
    years = elapsed / (365.25 * 24 * 3600)
    bars_per_year = (len(closes) - 1) / years  # ≈ 6,205: 24 hours × 5 days, less gaps
    returns = np.diff(equity) / equity[:-1]
    volatility = np.std(returns, ddof=1) * math.sqrt(bars_per_year)
    growth = (equity[-1] / equity[0]) ** (1 / years) - 1

    assert 6_000 < bars_per_year < 6_300
    assert _metric(result.stdout, "annualized volatility") == f"{volatility:.2%}"
    assert _metric(result.stdout, "CAGR") == f"{growth:.2%}"
    # Before: 252 bars a year gave CAGR -0.59% and volatility 0.18% for a -11% run.
    assert growth < -0.13
    assert (
        f"Annualized with {bars_per_year:,.0f} bars per year "
        "(hourly bars, inferred from the timestamps)." in result.stdout
    )
