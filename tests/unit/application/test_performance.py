"""Performance statistics: hand-computed values, numpy/pandas references, edge cases, errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantcli.application.performance import (
    PerformanceSummary,
    annualized_volatility,
    cagr,
    drawdown_series,
    max_drawdown,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    summarize,
    turnover,
)
from quantcli.domain.errors import ValidationError

# --- hand-computed values on tiny series ------------------------------------------------------


def test_simple_returns_of_a_tiny_curve() -> None:
    np.testing.assert_allclose(simple_returns([100.0, 110.0, 99.0]), [0.10, -0.10])


def test_simple_returns_of_a_single_point_is_empty() -> None:
    assert simple_returns([100.0]).size == 0


def test_sharpe_by_hand() -> None:
    # mean 0.01, sample std of (0.02, 0.00) = sqrt(0.0002) ≈ 0.0141421; × sqrt(4) periods a year.
    assert sharpe_ratio([0.02, 0.0], periods_per_year=4) == pytest.approx(
        0.01 / math.sqrt(0.0002) * 2
    )


def test_sortino_by_hand_uses_downside_over_all_periods() -> None:
    # mean 0.01; downside sqrt((0² + 0.02² + 0²) / 3): the gains count as zero, not dropped.
    returns = [0.03, -0.02, 0.02]
    expected = 0.01 / math.sqrt(0.0004 / 3) * math.sqrt(252)
    assert sortino_ratio(returns) == pytest.approx(expected)


def test_max_drawdown_and_series_by_hand() -> None:
    equity = [100.0, 120.0, 90.0, 130.0, 117.0]

    np.testing.assert_allclose(drawdown_series(equity), [0.0, 0.0, -0.25, 0.0, -0.10])
    assert max_drawdown(equity) == pytest.approx(-0.25)


def test_cagr_by_hand() -> None:
    # Doubling over 504 daily periods is two years: sqrt(2) - 1 a year.
    equity = np.linspace(100.0, 200.0, 505)
    assert cagr(equity) == pytest.approx(math.sqrt(2) - 1)


def test_annualized_volatility_by_hand() -> None:
    assert annualized_volatility([0.01, -0.01], periods_per_year=100) == pytest.approx(
        math.sqrt(0.0002) * 10
    )


def test_turnover_by_hand() -> None:
    # 10 % then 30 % of equity traded: mean 0.2 per period, × 252 a year.
    assert turnover([10.0, 30.0], [100.0, 100.0]) == pytest.approx(0.2 * 252)


def test_summary_by_hand() -> None:
    equity = [100.0, 110.0, 99.0, 121.0]
    summary = summarize(equity, [0.0, 50.0, 0.0, 20.0], trade_count=3, periods_per_year=3)

    returns = np.array([0.10, -0.10, 121 / 99 - 1])
    assert summary.total_return == pytest.approx(0.21)
    assert summary.cagr == pytest.approx(0.21)  # exactly one year of 3 periods
    assert summary.max_drawdown == pytest.approx(-0.10)
    assert summary.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(3))
    assert summary.annualized_volatility == pytest.approx(returns.std(ddof=1) * math.sqrt(3))
    assert summary.turnover == pytest.approx(np.mean([0, 50 / 110, 0, 20 / 121]) * 3)
    assert summary.trade_count == 3


def test_summary_as_dict_holds_plain_numbers() -> None:
    summary = summarize([100.0, 101.0, 100.5], [0.0, 5.0, 5.0], trade_count=2)

    as_dict = summary.as_dict()

    assert list(as_dict) == [
        "total_return",
        "cagr",
        "annualized_volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "turnover",
        "trade_count",
    ]
    assert all(type(value) in (float, int) for value in as_dict.values())
    assert PerformanceSummary(**as_dict) == summary  # type: ignore[arg-type]


def test_summarize_is_also_a_classmethod() -> None:
    args = ([100.0, 102.0, 101.0], [0.0, 1.0, 1.0], 1)
    assert PerformanceSummary.summarize(*args) == summarize(*args)


# --- edge cases -------------------------------------------------------------------------------


def test_flat_equity_has_zero_sharpe_sortino_volatility_and_drawdown() -> None:
    summary = summarize(np.full(50, 1e6), np.zeros(50), trade_count=0)

    assert summary.sharpe == 0.0
    assert summary.sortino == 0.0
    assert summary.annualized_volatility == 0.0
    assert summary.max_drawdown == 0.0
    assert summary.total_return == 0.0
    assert summary.cagr == 0.0


def test_steady_compounding_has_zero_sharpe_not_a_huge_number() -> None:
    # Returns all equal 0.1 % up to rounding; their std is float noise, not risk.
    equity = 100.0 * 1.001 ** np.arange(300)
    assert sharpe_ratio(simple_returns(equity)) == 0.0


def test_monotone_rising_equity_has_no_drawdown() -> None:
    equity = np.cumsum(np.random.default_rng(1).uniform(0.1, 5.0, 200)) + 100
    assert max_drawdown(equity) == 0.0
    assert np.all(drawdown_series(equity) == 0.0)
    # No losing period means no downside: Sortino is undefined and reported as 0.
    assert sortino_ratio(simple_returns(equity)) == 0.0


def test_fewer_than_two_returns_give_zero_ratios() -> None:
    assert sharpe_ratio([0.05]) == 0.0
    assert sortino_ratio([-0.05]) == 0.0
    assert annualized_volatility([0.05]) == 0.0


def test_single_point_equity_summarizes_to_zeros() -> None:
    summary = summarize([100.0], [0.0], trade_count=0)
    assert summary.total_return == summary.cagr == summary.sharpe == summary.max_drawdown == 0.0


def test_losing_curve_has_negative_cagr_and_sharpe() -> None:
    equity = [100.0, 95.0, 96.0, 90.0, 91.0, 80.0]
    assert cagr(equity) < 0
    assert sharpe_ratio(simple_returns(equity)) < 0
    assert sortino_ratio(simple_returns(equity)) < 0


# --- invalid input names the argument ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: simple_returns([]), "equity is empty"),
        (lambda: max_drawdown([100.0, math.nan]), "equity[1] is nan"),
        (lambda: cagr([100.0, math.inf]), "equity[1] is inf"),
        (lambda: drawdown_series([100.0, 0.0]), "equity[1] is 0.0, not positive"),
        (lambda: max_drawdown([100.0, -5.0]), "equity[1] is -5.0, not positive"),
        (lambda: sharpe_ratio([]), "returns is empty"),
        (lambda: sortino_ratio([0.1, math.nan]), "returns[1] is nan"),
        (lambda: annualized_volatility([[0.1, 0.2]]), "returns must be one-dimensional"),
        (lambda: sharpe_ratio([0.1, 0.2], periods_per_year=0), "periods_per_year 0"),
        (lambda: cagr([1.0, 2.0], periods_per_year=math.nan), "periods_per_year nan"),
        (lambda: turnover([1.0], [100.0, 100.0]), "traded_notional has 1 values but equity has 2"),
        (lambda: turnover([1.0, -1.0], [100.0, 100.0]), "traded_notional[1] is -1.0, negative"),
        (lambda: turnover([], []), "equity is empty"),
        (lambda: summarize([100.0], [0.0], trade_count=-1), "trade_count -1 is negative"),
        (lambda: summarize([100.0], [0.0], trade_count=1.5), "trade_count 1.5 is not an integer"),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_raises_validation_error_naming_the_argument(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        call()


# --- agreement with straightforward numpy/pandas formulas on random series --------------------

returns_arrays = arrays(
    np.float64,
    st.integers(2, 300),
    elements=st.floats(-0.2, 0.2, allow_nan=False, allow_infinity=False),
)
periods = st.sampled_from([12, 52, 252, 365])


def curve_from(returns: np.ndarray) -> np.ndarray:
    return 100.0 * np.cumprod(np.concatenate([[1.0], 1.0 + returns]))


@given(returns_arrays, periods)
def test_sharpe_matches_pandas(returns: np.ndarray, periods_per_year: int) -> None:
    series = pd.Series(returns)
    assume(series.std() > 1e-9)
    expected = series.mean() / series.std() * math.sqrt(periods_per_year)
    assert sharpe_ratio(returns, periods_per_year) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(returns_arrays, periods)
def test_sortino_matches_numpy(returns: np.ndarray, periods_per_year: int) -> None:
    downside = np.sqrt(np.mean(np.where(returns < 0, returns, 0.0) ** 2))
    assume(downside > 0)
    expected = returns.mean() / downside * np.sqrt(periods_per_year)
    assert sortino_ratio(returns, periods_per_year) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(returns_arrays, periods)
def test_volatility_matches_pandas(returns: np.ndarray, periods_per_year: int) -> None:
    expected = pd.Series(returns).std() * math.sqrt(periods_per_year)
    assert annualized_volatility(returns, periods_per_year) == pytest.approx(expected, abs=1e-12)


@given(returns_arrays)
def test_returns_round_trip_through_the_curve(returns: np.ndarray) -> None:
    curve = curve_from(returns)
    np.testing.assert_allclose(simple_returns(curve), pd.Series(curve).pct_change().iloc[1:])


@given(returns_arrays)
def test_drawdowns_match_pandas(returns: np.ndarray) -> None:
    curve = pd.Series(curve_from(returns))
    expected = curve / curve.cummax() - 1
    np.testing.assert_allclose(drawdown_series(curve), expected, atol=1e-12)
    assert max_drawdown(curve) == pytest.approx(expected.min(), abs=1e-12)
    assert -1 <= max_drawdown(curve) <= 0


@given(returns_arrays, periods)
def test_cagr_matches_numpy(returns: np.ndarray, periods_per_year: int) -> None:
    curve = curve_from(returns)
    years = (len(curve) - 1) / periods_per_year
    expected = (curve[-1] / curve[0]) ** (1 / years) - 1
    assert cagr(curve, periods_per_year) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(returns_arrays)
def test_cagr_compounds_back_to_the_total_return(returns: np.ndarray) -> None:
    # One period a year, so raising back to `years` is well conditioned.
    curve = curve_from(returns)
    growth = (1 + cagr(curve, periods_per_year=1)) ** (len(curve) - 1)
    assert growth == pytest.approx(curve[-1] / curve[0], rel=1e-9)


@given(
    arrays(np.float64, st.integers(1, 100), elements=st.floats(0, 1e6)),
    st.floats(1e3, 1e7),
    periods,
)
def test_turnover_matches_numpy(
    traded: np.ndarray, equity_level: float, periods_per_year: int
) -> None:
    equity = np.full(len(traded), equity_level)
    expected = np.mean(traded / equity) * periods_per_year
    assert turnover(traded, equity, periods_per_year) == pytest.approx(expected)
