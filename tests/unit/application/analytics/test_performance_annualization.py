"""Every annualized statistic with a non-daily factor, and CAGR over elapsed time."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.annualization import elapsed_years, infer_annualization
from quantcli.application.analytics.performance import (
    annualized_volatility,
    cagr,
    calmar_ratio,
    sharpe_ratio,
    sortino_ratio,
    summarize,
    turnover,
)
from quantcli.domain.errors import ValidationError

# Three weeks (Mon 1 to Fri 19 January) of hourly bars, 24 hours × 5 days as FX trades.
HOURS = pd.DatetimeIndex(
    [
        hour
        for hour in pd.date_range("2024-01-01", "2024-01-20", freq="h", tz="UTC")
        if hour.day_of_week < 5
    ]
)


def _curve() -> np.ndarray:
    returns = np.random.default_rng(3).normal(0.0001, 0.002, len(HOURS) - 1)
    return 100_000.0 * np.cumprod(np.concatenate([[1.0], 1.0 + returns]))


def test_hourly_summary_annualizes_each_statistic_by_bars_per_year() -> None:
    equity = _curve()
    traded = np.full(len(equity), 5_000.0)
    annualization = infer_annualization(HOURS)
    periods = annualization.periods_per_year
    years = elapsed_years(HOURS)
    returns = equity[1:] / equity[:-1] - 1

    summary = summarize(equity, traded, 3, periods, years=years)

    assert periods == pytest.approx((len(HOURS) - 1) / years)
    assert periods == pytest.approx(359 / 455 * 24 * 365.25)  # 360 bars in 455 hours
    std = returns.std(ddof=1)
    downside = math.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    assert summary.annualized_volatility == pytest.approx(std * math.sqrt(periods))
    assert summary.sharpe == pytest.approx(returns.mean() / std * math.sqrt(periods))
    assert summary.sortino == pytest.approx(returns.mean() / downside * math.sqrt(periods))
    assert summary.turnover == pytest.approx(np.mean(traded / equity) * periods)
    growth = (equity[-1] / equity[0]) ** (1 / years) - 1
    assert summary.cagr == pytest.approx(growth)
    drawdown = np.min(equity / np.maximum.accumulate(equity) - 1)
    assert summary.calmar == pytest.approx(growth / abs(drawdown))


def test_standalone_statistics_take_the_same_factor() -> None:
    equity = _curve()
    returns = equity[1:] / equity[:-1] - 1
    periods, years = 6_205.0, elapsed_years(HOURS)

    assert annualized_volatility(returns, periods) == pytest.approx(
        returns.std(ddof=1) * math.sqrt(periods)
    )
    assert sharpe_ratio(returns, periods) == pytest.approx(
        sharpe_ratio(returns, 252) * math.sqrt(periods / 252)
    )
    assert sortino_ratio(returns, periods) == pytest.approx(
        sortino_ratio(returns, 252) * math.sqrt(periods / 252)
    )
    assert turnover(np.ones(len(equity)), equity, periods) == pytest.approx(
        np.mean(1 / equity) * periods
    )
    assert cagr(equity, years=years) == pytest.approx((equity[-1] / equity[0]) ** (1 / years) - 1)
    assert calmar_ratio(equity, years=years) == pytest.approx(
        cagr(equity, years=years) / abs(np.min(equity / np.maximum.accumulate(equity) - 1))
    )


def test_cagr_over_elapsed_time_ignores_the_bar_count() -> None:
    # Doubling over two years is 41.4 % a year whether 3 or 500 points trace it.
    assert cagr([1.0, 1.5, 2.0], years=2.0) == pytest.approx(math.sqrt(2) - 1)
    assert cagr(np.linspace(1.0, 2.0, 500), years=2.0) == pytest.approx(math.sqrt(2) - 1)
    # Without years the bar count stands for the time: (len - 1) / periods_per_year.
    assert cagr([1.0, 1.5, 2.0], periods_per_year=1) == pytest.approx(math.sqrt(2) - 1)


@pytest.mark.parametrize(
    ("years", "message"),
    [(-1.0, "years -1.0"), (math.nan, "years nan"), (0.0, "years is 0 for an equity curve")],
)
def test_bad_years_are_refused_naming_them(years: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cagr([1.0, 1.1], years=years)
    with pytest.raises(ValidationError, match=message):
        summarize([1.0, 1.1], [0.0, 0.0], 0, years=years)


def test_a_single_point_has_zero_cagr_with_zero_years() -> None:
    assert cagr([1.0], years=0.0) == 0.0
