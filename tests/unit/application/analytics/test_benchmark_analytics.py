"""Benchmark equity, alpha/beta, rolling beta and rolling volatility: hand-worked cases and
empyrical (the reference library pyfolio builds on) on random returns."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.benchmark_analytics import (
    alpha_beta,
    equal_weight_benchmark,
    rolling_beta,
    rolling_volatility,
    symbol_benchmark,
)
from quantcli.domain.errors import ValidationError

nan = np.nan


def days(count: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=count, freq="D", tz="UTC")


def random_returns(count: int = 300, seed: int = 7) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    market = pd.Series(rng.normal(4e-4, 0.011, count), index=days(count))
    strategy = 0.6 * market + rng.normal(2e-4, 0.006, count)
    return strategy, market


def test_equal_weight_benchmark_splits_the_cash_at_the_first_close_and_holds() -> None:
    # A grows 1.0, 1.1, 1.2; B 1.0, 0.9, 0.9 (its missing close carries 18 forward).
    closes = pd.DataFrame({"A": [10.0, 11.0, 12.0], "B": [20.0, 18.0, nan]}, index=days(3))

    equity = equal_weight_benchmark(closes, 1000.0)

    assert equity.tolist() == pytest.approx([1000.0, 1000.0, 1050.0])
    assert equity.index.equals(closes.index)


def test_a_symbol_starting_late_holds_its_share_in_cash_until_its_first_close() -> None:
    closes = pd.DataFrame({"A": [10.0, 10.0, 10.0], "B": [nan, 20.0, 22.0]}, index=days(3))

    assert equal_weight_benchmark(closes, 1000.0).tolist() == pytest.approx([1000, 1000, 1050])


def test_symbol_benchmark_is_buy_and_hold_of_that_symbol() -> None:
    closes = pd.Series([50.0, 55.0, 45.0], index=days(3), name="SPY")

    assert symbol_benchmark(closes, 200.0).tolist() == pytest.approx([200.0, 220.0, 180.0])


@pytest.mark.parametrize(
    ("closes", "equity", "problem"),
    [
        (pd.DataFrame({"A": [1.0, 2.0]}), 0.0, "initial equity 0.0"),
        (pd.DataFrame({"A": [1.0, -2.0]}), 1.0, "must be positive"),
        (pd.DataFrame({"A": [1.0, 2.0], "B": [nan, nan]}), 1.0, "symbol B has no close"),
        (pd.DataFrame(index=[0, 1]), 1.0, "at least one symbol"),
    ],
)
def test_benchmark_rejects_bad_input_naming_it(
    closes: pd.DataFrame, equity: float, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        equal_weight_benchmark(closes, equity)


def test_alpha_beta_of_a_levered_copy_plus_a_constant() -> None:
    market = pd.Series([0.01, -0.02, 0.015, 0.0, 0.005], index=days(5))
    strategy = 2.0 * market + 0.001

    fit = alpha_beta(strategy, market, periods_per_year=252)

    assert fit.beta == pytest.approx(2.0)
    assert fit.alpha == pytest.approx(1.001**252 - 1.0)


def test_alpha_beta_match_empyrical_and_use_periods_per_year() -> None:
    strategy, market = random_returns()

    daily = alpha_beta(strategy, market, periods_per_year=252)
    hourly = alpha_beta(strategy, market, periods_per_year=252 * 7)

    alpha, beta = empyrical.alpha_beta(strategy, market, annualization=252)
    assert (daily.alpha, daily.beta) == pytest.approx((alpha, beta), rel=1e-9)
    assert hourly.alpha == pytest.approx(
        empyrical.alpha(strategy, market, annualization=252 * 7), rel=1e-9
    )
    assert np.polyfit(market, strategy, 1)[0] == pytest.approx(daily.beta)


def test_alpha_beta_are_nan_without_enough_bars_or_a_moving_benchmark() -> None:
    one = pd.Series([0.01], index=days(1))
    flat = pd.Series([0.0, 0.0, 0.0], index=days(3))

    for strategy, market in ((one, one), (flat + 0.01, flat)):
        fit = alpha_beta(strategy, market)
        assert math.isnan(fit.alpha)
        assert math.isnan(fit.beta)


def test_rolling_beta_and_volatility_match_empyrical() -> None:
    strategy, market = random_returns(120)

    beta = rolling_beta(strategy, market, 20)
    volatility = rolling_volatility(strategy, 20, periods_per_year=252)

    assert beta.iloc[:19].isna().all()
    assert volatility.iloc[:19].isna().all()
    expected_beta = empyrical.roll_beta(strategy, market, window=20)
    expected_volatility = empyrical.roll_annual_volatility(strategy, window=20, annualization=252)
    np.testing.assert_allclose(beta.iloc[19:], expected_beta, rtol=1e-9)
    np.testing.assert_allclose(volatility.iloc[19:], expected_volatility, rtol=1e-9)


def test_rolling_volatility_by_hand_scales_with_periods_per_year() -> None:
    returns = pd.Series([0.01, -0.01, 0.01, -0.01], index=days(4))

    daily = rolling_volatility(returns, 2, periods_per_year=252)
    weekly = rolling_volatility(returns, 2, periods_per_year=52)

    # std(ddof=1) of (0.01, -0.01) is 0.01 × √2.
    assert daily.iloc[1:].tolist() == pytest.approx([0.01 * math.sqrt(2 * 252)] * 3)
    assert weekly.iloc[1] == pytest.approx(0.01 * math.sqrt(2 * 52))


def test_rolling_windows_must_hold_two_bars() -> None:
    returns = pd.Series([0.01, 0.02], index=days(2))

    with pytest.raises(ValidationError, match="window 1"):
        rolling_volatility(returns, 1)
    with pytest.raises(ValidationError, match="periods_per_year 0"):
        rolling_volatility(returns, 2, periods_per_year=0)
