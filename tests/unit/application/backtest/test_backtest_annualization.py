"""Backtests, their reports and walk-forward runs annualize by the bars' own interval."""

from __future__ import annotations

import math
from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.monte_carlo import bootstrap_returns
from quantcli.application.analytics.report_analytics import rolling_sharpe
from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.application.backtest.walk_forward import BarRange, walk_forward
from quantcli.domain.costs import CommissionSchedule, SlippageModel

FREE = CommissionSchedule(per_share=Decimal(0), minimum=Decimal(0))
WEEKS = pd.date_range("2020-01-03", periods=120, freq="W-FRI", tz="UTC")
BARS_PER_YEAR = 365.25 / 7  # weekly bars
YEARS = (WEEKS[-1] - WEEKS[0]) / pd.Timedelta(days=365.25)


def weekly_backtest(fakes: ModuleType) -> BacktestResult:
    closes = 100.0 * np.exp(np.cumsum(np.random.default_rng(4).normal(0.002, 0.03, len(WEEKS))))
    bars = fakes.bar_frame("AAA", WEEKS, closes, closes)
    return backtest_weights(
        bars,
        pd.DataFrame({"AAA": [0.9] * len(WEEKS)}, index=WEEKS),
        commission=FREE,
        slippage=SlippageModel(),
        initial_cash=Decimal(1_000_000),
    )


def test_a_weekly_backtest_is_annualized_by_52_bars_and_compounds_over_elapsed_years(
    fakes: ModuleType,
) -> None:
    result = weekly_backtest(fakes)
    equity = result.equity.to_numpy()
    returns = equity[1:] / equity[:-1] - 1

    assert result.annualization is not None
    assert result.annualization.periods_per_year == pytest.approx(BARS_PER_YEAR)
    assert result.annualization.interval_name == "weekly"
    summary = result.summary
    assert summary.annualized_volatility == pytest.approx(
        returns.std(ddof=1) * math.sqrt(BARS_PER_YEAR)
    )
    assert summary.sharpe == pytest.approx(
        returns.mean() / returns.std(ddof=1) * math.sqrt(BARS_PER_YEAR)
    )
    assert summary.cagr == pytest.approx((equity[-1] / equity[0]) ** (1 / YEARS) - 1)


def test_the_report_annualizes_rolling_sharpe_and_bootstrap_with_the_same_factor(
    fakes: ModuleType,
) -> None:
    result = weekly_backtest(fakes)
    returns = np.diff(result.equity.to_numpy()) / result.equity.to_numpy()[:-1]

    report = result.report("weekly", {}, monte_carlo_paths=50, monte_carlo_seed=1)

    assert report.metrics["periods_per_year"] == pytest.approx(BARS_PER_YEAR)
    # A quarter of a year of bars: 13 weeks (63 for daily equities).
    expected = rolling_sharpe(result.equity, 13, periods_per_year=BARS_PER_YEAR)
    assert report.rolling_sharpe is not None
    pd.testing.assert_series_equal(report.rolling_sharpe, expected)
    bootstrap = bootstrap_returns(
        returns,
        n_paths=50,
        method="stationary",
        confidence_level=0.90,
        periods_per_year=BARS_PER_YEAR,
        seed=1,
    )
    sharpe = report.monte_carlo["metrics"]["sharpe"]
    assert sharpe["point_estimate"] == pytest.approx(result.summary.sharpe)
    assert sharpe["median"] == pytest.approx(bootstrap.sharpe.median)


def test_walk_forward_infers_the_factor_and_compounds_each_window_over_its_time() -> None:
    hours = pd.date_range("2024-01-01", periods=40, freq="h", tz="UTC")
    growth = 1.001

    def run_window(_fitted: None, test: BarRange, start: float) -> np.ndarray:
        return start * growth ** np.arange(1, test.length + 1)

    walk = walk_forward(
        hours,
        train_length=10,
        test_length=10,
        refit=lambda _train: None,
        run_window=run_window,
        initial_equity=100.0,
    )

    # 10 hourly returns per window, 10 hours from the bar before it to its last bar.
    window_years = 10 / (24 * 365.25)
    first = walk.windows[0].metrics
    assert first["cagr"] == pytest.approx(growth ** (10 / window_years) - 1)
    assert walk.metrics["cagr"] == pytest.approx(growth ** (30 / (3 * window_years)) - 1)
    noisy = walk_forward(
        hours,
        train_length=10,
        test_length=10,
        refit=lambda _train: None,
        run_window=lambda _f, test, start: (
            start * np.cumprod(1 + np.resize([0.01, -0.005, 0.002], test.length))
        ),
        initial_equity=100.0,
    )
    stitched = np.concatenate([[100.0], noisy.equity])
    returns = np.diff(stitched) / stitched[:-1]
    assert noisy.metrics["sharpe"] == pytest.approx(
        returns.mean() / returns.std(ddof=1) * math.sqrt(24 * 365.25)
    )
