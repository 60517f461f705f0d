"""Value at risk and expected shortfall against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.risk.value_at_risk import (
    VaRConfig,
    historical_var,
    monte_carlo_var,
    parametric_var,
    portfolio_pnl,
    value_at_risk,
)
from quantcli.domain.errors import ValidationError

# Standard normal: z at 1% and 5%, and pdf(z) / tail (ES in sigmas); from any normal table.
Z_99, ES_99 = 2.3263478740408408, 2.665214220345806
Z_95, ES_95 = 1.6448536269514715, 2.062712807507429


def frame(**columns: list[float]) -> pd.DataFrame:
    count = len(next(iter(columns.values())))
    index = pd.date_range("2023-01-02", periods=count, freq="B", tz="UTC")
    return pd.DataFrame(columns, index=index)


def ladder() -> pd.DataFrame:
    """Returns -0.050, -0.049, …, 0.049 in a shuffled order: with 1 000 held, P&L -50 … 49."""
    returns = [(i - 50) / 1000 for i in range(100)]
    np.random.default_rng(3).shuffle(returns)
    return frame(AAA=returns)


def alternating(count: int = 100, size: float = 0.01, mean: float = 0.0) -> pd.DataFrame:
    return frame(AAA=[mean + (size if i % 2 else -size) for i in range(count)])


# --- historical -------------------------------------------------------------------------------


def test_historical_var_is_the_lower_empirical_quantile() -> None:
    result = historical_var({"AAA": 1000.0}, ladder(), confidence=0.95)

    # 5% of 100 scenarios: the 5th worst P&L is -46; ES is the mean of -50 … -46.
    assert result.value_at_risk == pytest.approx(46.0)
    assert result.expected_shortfall == pytest.approx(48.0)
    assert result.observations == 100
    assert result.method == "historical"


def test_historical_var_at_99_percent_of_100_scenarios_is_the_worst() -> None:
    result = historical_var({"AAA": 1000.0}, ladder(), confidence=0.99)

    assert (result.value_at_risk, result.expected_shortfall) == pytest.approx((50.0, 50.0))


def test_horizon_scales_by_the_square_root_of_time() -> None:
    result = historical_var({"AAA": 1000.0}, ladder(), confidence=0.95, horizon_days=4)

    assert (result.value_at_risk, result.expected_shortfall) == pytest.approx((92.0, 96.0))
    assert result.horizon_days == 4


def test_portfolio_pnl_nets_long_and_short_positions() -> None:
    returns = frame(A=[0.01, -0.02, 0.03, 0.00], B=[0.02, 0.01, -0.01, 0.04])
    values = {"A": 1000.0, "B": -500.0}

    assert portfolio_pnl(values, returns) == pytest.approx([0.0, -25.0, 35.0, -20.0])
    half = historical_var(values, returns, confidence=0.5)
    assert (half.value_at_risk, half.expected_shortfall) == pytest.approx((20.0, 22.5))


def test_lookback_keeps_the_last_rows_and_incomplete_rows_are_dropped() -> None:
    returns = frame(A=[-0.5, 0.01, float("nan"), -0.02, 0.03], B=[0.0] * 5)

    pnl = portfolio_pnl({"A": 100.0, "B": 1.0}, returns, lookback_days=3)

    assert pnl == pytest.approx([-2.0, 3.0])


# --- parametric -------------------------------------------------------------------------------


def test_parametric_var_with_a_known_sigma() -> None:
    # P&L ±10 000 with mean 0: the sample (n - 1) standard deviation is 10 000 × sqrt(100/99).
    sigma = 10_000 * math.sqrt(100 / 99)

    result = parametric_var({"AAA": 1_000_000.0}, alternating(), confidence=0.99)

    assert result.value_at_risk == pytest.approx(Z_99 * sigma)
    assert result.expected_shortfall == pytest.approx(ES_99 * sigma)


def test_parametric_var_subtracts_the_mean_and_scales_with_horizon() -> None:
    sigma = 10_000 * math.sqrt(100 / 99)

    result = parametric_var(
        {"AAA": 1_000_000.0}, alternating(mean=0.001), confidence=0.95, horizon_days=9
    )

    assert result.value_at_risk == pytest.approx(3 * (Z_95 * sigma - 1_000))
    assert result.expected_shortfall == pytest.approx(3 * (ES_95 * sigma - 1_000))


def test_cornish_fisher_var_for_a_known_kurtosis() -> None:
    # 10 × -b, 80 × 0, 10 × +b: skew 0, kurtosis N / 20 = 5 (excess 2), so
    # z_cf = z + (z³ - 3z) × 2 / 24 = -2.793923 at z = -2.326348; sigma² = 20 b² / 99.
    returns = frame(AAA=[-0.05] * 10 + [0.0] * 80 + [0.05] * 10)
    sigma = 50_000 * math.sqrt(20 / 99)

    result = parametric_var({"AAA": 1_000_000.0}, returns, confidence=0.99, cornish_fisher=True)

    assert result.value_at_risk == pytest.approx(2.7939233308820244 * sigma)
    assert result.method == "parametric_cornish_fisher"
    assert result.expected_shortfall >= result.value_at_risk


def test_cornish_fisher_outside_its_valid_range_is_refused() -> None:
    # ±a has excess kurtosis -2: the expansion turns back in the 1% tail.
    with pytest.raises(
        ValidationError, match=r"cornish_fisher: skewness 0\.000 and excess kurtosis -2\.000"
    ):
        parametric_var({"AAA": 1.0}, alternating(), confidence=0.99, cornish_fisher=True)


def test_cornish_fisher_raises_var_for_a_left_skewed_fat_tail() -> None:
    rng = np.random.default_rng(11)
    returns = frame(AAA=list(rng.normal(0.001, 0.01, 2_000) - rng.exponential(0.01, 2_000)))

    normal = parametric_var({"AAA": 1.0}, returns)
    adjusted = parametric_var({"AAA": 1.0}, returns, cornish_fisher=True)

    assert adjusted.value_at_risk > normal.value_at_risk


# --- Monte Carlo ------------------------------------------------------------------------------


def correlated_normal_returns() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    draws = rng.multivariate_normal(
        [0.0005, 0.0002], [[0.0004, 0.00012], [0.00012, 0.0001]], size=750
    )
    return frame(A=list(draws[:, 0]), B=list(draws[:, 1]))


def test_monte_carlo_converges_to_parametric_for_normal_returns() -> None:
    returns = correlated_normal_returns()
    values = {"A": 60_000.0, "B": -25_000.0}

    parametric = parametric_var(values, returns, confidence=0.99)
    simulated = monte_carlo_var(values, returns, confidence=0.99, paths=200_000, seed=7)

    assert simulated.value_at_risk == pytest.approx(parametric.value_at_risk, rel=0.01)
    assert simulated.expected_shortfall == pytest.approx(parametric.expected_shortfall, rel=0.015)
    assert simulated.observations == 750


def test_monte_carlo_is_reproducible_with_its_seed() -> None:
    returns = correlated_normal_returns()
    values = {"A": 1.0, "B": 1.0}

    first = monte_carlo_var(values, returns, paths=2_000, seed=1)

    assert monte_carlo_var(values, returns, paths=2_000, seed=1) == first
    assert monte_carlo_var(values, returns, paths=2_000, seed=2) != first


def test_monte_carlo_copes_with_perfectly_correlated_symbols() -> None:
    base = list(correlated_normal_returns()["A"])
    returns = frame(A=base, B=base)

    result = monte_carlo_var({"A": 1.0, "B": 1.0}, returns, paths=20_000, seed=3)
    single = parametric_var({"A": 2.0}, frame(A=base))

    assert result.value_at_risk == pytest.approx(single.value_at_risk, rel=0.05)


# --- every method -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["historical", "parametric", "monte_carlo"])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_expected_shortfall_is_at_least_var(method: str, confidence: float) -> None:
    config = VaRConfig(method=method, confidence=confidence, monte_carlo_paths=5_000)

    result = value_at_risk({"A": 10_000.0, "B": 5_000.0}, correlated_normal_returns(), config)

    assert result.expected_shortfall >= result.value_at_risk > 0
    assert result.method == method


def test_config_dispatches_with_its_lookback_and_horizon() -> None:
    config = VaRConfig(confidence=0.95, horizon_days=4, lookback_days=100)
    returns = pd.concat([frame(AAA=[-0.9] * 10), ladder()]).set_axis(
        pd.date_range("2023-01-02", periods=110, freq="B", tz="UTC")
    )

    result = value_at_risk({"AAA": 1000.0}, returns, config)

    assert result.value_at_risk == pytest.approx(92.0)


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda: historical_var({"AAA": 1.0}, ladder(), confidence=1.0), "confidence: 1.0"),
        (lambda: historical_var({"AAA": 1.0}, ladder(), horizon_days=0), "horizon_days: 0"),
        (lambda: historical_var({"ZZZ": 1.0}, ladder()), "returns: no column for ZZZ"),
        (lambda: historical_var({}, ladder()), "position_values: empty"),
        (
            lambda: historical_var({"AAA": float("nan")}, ladder()),
            r"position_values\[AAA\]: nan is not finite",
        ),
        (lambda: parametric_var({"AAA": 1.0}, ladder().iloc[:1]), "1 complete row"),
        (lambda: monte_carlo_var({"AAA": 1.0}, ladder(), paths=0), "paths: 0 is not positive"),
        (lambda: VaRConfig(method="garch"), "method: 'garch' is not one of"),
        (lambda: VaRConfig(lookback_days=0), "lookback_days: 0 is not positive"),
    ],
)
def test_bad_inputs_are_named(call: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        call()  # type: ignore[operator]
