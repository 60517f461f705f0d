"""Absolute timings of the embedded adapters the quickstart leans on (no reference library to race):
the synthetic market, a 100k-row SQLite round trip, and a 2000-point HTML report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.data import SyntheticMarket
from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase
from quantcli.application.backtest.ports import BacktestReport

Measure = Callable[..., Any]


@pytest.mark.benchmark(group="adapters")
def test_synthetic_market_20_symbols_8_years(measure: Measure) -> None:
    def generate() -> pd.DataFrame:
        return SyntheticMarket(n_symbols=20, years=8, seed=3).fetch_bars()

    assert len(measure("synthetic 20x8y", generate)) == 20 * 2016


@pytest.mark.benchmark(group="adapters")
def test_sqlite_round_trip_of_100k_bars(measure: Measure, tmp_path: Path) -> None:
    bars = SyntheticMarket(n_symbols=50, years=8, seed=5).fetch_bars()

    def round_trip() -> int:
        with SqliteDatabase(tmp_path / "bench.db") as database:
            store = SqliteBarStore(database)
            store.write_bars(bars)
            return len(store.read_bars())

    assert measure("sqlite write+read 100k", round_trip) == len(bars)


@pytest.mark.benchmark(group="adapters")
def test_html_report_of_2000_points(measure: Measure, tmp_path: Path) -> None:
    index = pd.date_range(datetime(2016, 1, 4, tzinfo=UTC), periods=2000, freq="B")
    equity = pd.Series(
        1e6 * np.cumprod(1 + np.random.default_rng(1).normal(4e-4, 0.01, 2000)), index
    )
    report = BacktestReport(
        title="benchmark",
        equity=equity,
        drawdown=equity / equity.cummax() - 1,
        metrics={"sharpe": 1.0},
        trades=pd.DataFrame(columns=["timestamp", "symbol", "quantity", "price", "commission"]),
        configuration={},
    )
    path = measure("html report 2000 pts", HtmlReportWriter().write, report, tmp_path / "r.html")
    assert path.exists()
