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

from quantcli.application.analytics.performance import (
    DrawdownEpisode,
    PerformanceSummary,
    annualized_volatility,
    cagr,
    calmar_ratio,
    deepest_drawdown,
    drawdown_episodes,
    drawdown_series,
    exposure,
    longest_drawdown,
    max_drawdown,
    max_drawdown_duration,
    probabilistic_sharpe_ratio,
    profit_factor,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    summarize,
    turnover,
    win_rate,
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
        "calmar",
        "max_drawdown_duration",
        "probabilistic_sharpe",
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


# --- Calmar, drawdown duration and episodes ---------------------------------------------------


def test_calmar_by_hand() -> None:
    # One year of 3 periods: CAGR 21 %, deepest fall 10 %.
    assert calmar_ratio([100.0, 110.0, 99.0, 121.0], periods_per_year=3) == pytest.approx(2.1)


def test_calmar_is_zero_without_a_drawdown() -> None:
    assert calmar_ratio([100.0, 101.0, 102.0]) == 0.0


def test_max_drawdown_duration_counts_bars_strictly_below_the_peak() -> None:
    # Under water at bars 2-3 (2 bars, recovered at 4), then bars 6-8 until the end (3 bars).
    equity = [100.0, 110.0, 90.0, 95.0, 110.0, 120.0, 119.0, 100.0, 105.0]
    assert max_drawdown_duration(equity) == 3
    assert max_drawdown_duration([100.0, 101.0]) == 0


def test_drawdown_episodes_by_hand_with_timestamp_labels() -> None:
    equity = [100.0, 110.0, 90.0, 95.0, 110.0, 120.0, 119.0, 100.0, 105.0]
    index = pd.date_range("2024-01-01", periods=len(equity), freq="D", tz="UTC")

    first, second = drawdown_episodes(equity, index)

    assert first == DrawdownEpisode(
        depth=pytest.approx(90 / 110 - 1),  # type: ignore[arg-type]
        peak_bar=1,
        trough_bar=2,
        recovery_bar=4,
        duration=2,
        peak_at=index[1],
        trough_at=index[2],
        recovery_at=index[4],
    )
    assert first.recovered
    assert (second.peak_bar, second.trough_bar, second.recovery_bar) == (5, 7, None)
    assert second.depth == pytest.approx(100 / 120 - 1)
    assert second.duration == 3
    assert second.recovery_at is None
    assert not second.recovered
    assert deepest_drawdown(equity, index) == first
    assert longest_drawdown(equity, index) == second


def test_drawdown_episodes_without_index_have_no_labels_and_none_when_never_falling() -> None:
    (episode,) = drawdown_episodes([100.0, 90.0, 100.0])
    assert (episode.peak_bar, episode.trough_bar, episode.recovery_bar) == (0, 1, 2)
    assert episode.peak_at is None
    assert drawdown_episodes([1.0, 2.0, 3.0]) == []
    assert deepest_drawdown([1.0, 2.0]) is None
    assert longest_drawdown([1.0, 2.0]) is None


@given(returns_arrays)
def test_drawdown_episodes_agree_with_the_drawdown_series(returns: np.ndarray) -> None:
    curve = curve_from(returns)
    drawdowns = drawdown_series(curve)
    episodes = drawdown_episodes(curve)

    underwater = int(np.sum(drawdowns < 0))
    assert sum(episode.duration for episode in episodes) == underwater
    assert max_drawdown_duration(curve) == max((e.duration for e in episodes), default=0)
    if episodes:
        assert min(e.depth for e in episodes) == pytest.approx(drawdowns.min())
    for episode in episodes:
        assert drawdowns[episode.peak_bar] == 0.0
        assert np.all(drawdowns[episode.peak_bar + 1 : episode.peak_bar + 1 + episode.duration] < 0)


# --- trade statistics and exposure ------------------------------------------------------------


def test_win_rate_and_profit_factor_by_hand() -> None:
    pnl = [100.0, -50.0, 0.0, 30.0, -20.0]
    assert win_rate(pnl) == pytest.approx(2 / 5)  # break-even is not a win
    assert profit_factor(pnl) == pytest.approx(130 / 70)


def test_trade_statistics_without_trades_or_losses_are_zero() -> None:
    assert win_rate([]) == 0.0
    assert profit_factor([]) == 0.0
    assert profit_factor([10.0, 5.0]) == 0.0  # no loss: undefined, reported as 0.0


def test_exposure_counts_bars_with_any_long_or_short_position() -> None:
    positions = [[0, 0], [10, 0], [0, -5], [0, 0]]
    assert exposure(positions) == pytest.approx(0.5)
    assert exposure([0.0, 1.0, 1.0, 0.0, 0.0]) == pytest.approx(0.4)


# --- probabilistic Sharpe ratio ---------------------------------------------------------------


def test_psr_worked_by_hand() -> None:
    # mean 0.01, centred (0.02, -0.02, 0, 0): skewness 0, m2 = 2e-4, m4 = 8e-8, kurtosis 2.
    # SR̂ = 0.01 / sqrt(8e-4 / 3) = sqrt(3/8); denominator sqrt(1 + (2-1)/4 · 3/8) = sqrt(35/32);
    # z = sqrt(3/8) · sqrt(3) / sqrt(35/32) = sqrt(36/35) ≈ 1.01419; Φ(z) ≈ 0.844753.
    returns = [0.03, -0.01, 0.01, 0.01]
    assert probabilistic_sharpe_ratio(returns) == pytest.approx(0.8447527828, abs=1e-9)


def psr_reference(returns: np.ndarray, benchmark: float) -> float:
    """Straight transcription of the paper's formula, with pandas' moments for cross-checking."""
    n = len(returns)
    sr = returns.mean() / returns.std(ddof=1)
    series = pd.Series(returns)
    # pandas' skew/kurt are the bias-adjusted G1/G2; rebuild the biased moments the paper uses.
    skew = series.skew() * (n - 2) / math.sqrt(n * (n - 1))
    excess_g2 = series.kurt()
    kurt = (n - 2) * (n - 3) / ((n + 1) * (n - 1)) * excess_g2 + 3 * (n - 1) / (n + 1)
    z = (sr - benchmark) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return 0.5 * math.erfc(-z / math.sqrt(2))


def test_psr_matches_an_independent_transcription_on_skewed_returns() -> None:
    rng = np.random.default_rng(11)
    returns = 0.0005 + 0.01 * (rng.standard_t(4, 500) + 0.3 * rng.exponential(1.0, 500) - 0.3)
    for benchmark in (0.0, 0.02, -0.05):
        expected = psr_reference(returns, benchmark)
        assert probabilistic_sharpe_ratio(returns, benchmark) == pytest.approx(expected, rel=1e-9)


def test_psr_is_one_half_when_the_estimate_equals_the_benchmark_and_falls_with_it() -> None:
    returns = np.random.default_rng(5).normal(0.001, 0.01, 300)
    estimate = returns.mean() / returns.std(ddof=1)
    assert probabilistic_sharpe_ratio(returns, estimate) == pytest.approx(0.5)
    values = [probabilistic_sharpe_ratio(returns, b) for b in (-0.1, 0.0, 0.05, 0.2)]
    assert values == sorted(values, reverse=True)


def test_psr_of_too_few_or_flat_returns_is_zero() -> None:
    assert probabilistic_sharpe_ratio([0.01]) == 0.0
    assert probabilistic_sharpe_ratio([0.01, 0.01, 0.01]) == 0.0


# --- summary with the new statistics ----------------------------------------------------------


def test_summary_adds_calmar_duration_psr_and_optional_trade_and_exposure_statistics() -> None:
    equity = [100.0, 110.0, 99.0, 121.0]
    summary = summarize(
        equity,
        [0.0, 50.0, 0.0, 20.0],
        trade_count=3,
        periods_per_year=3,
        trade_pnl=[10.0, -5.0, 4.0],
        positions=[[0, 0], [1, 0], [0, 0], [0, 2]],
    )

    assert summary.calmar == pytest.approx(2.1)
    assert summary.max_drawdown_duration == 1
    assert summary.probabilistic_sharpe == pytest.approx(
        probabilistic_sharpe_ratio(simple_returns(equity))
    )
    assert summary.win_rate == pytest.approx(2 / 3)
    assert summary.profit_factor == pytest.approx(14 / 5)
    assert summary.exposure == pytest.approx(0.5)
    assert {"win_rate", "profit_factor", "exposure"} <= set(summary.as_dict())


def test_summary_leaves_unknown_statistics_out_of_the_dict() -> None:
    summary = summarize([100.0, 101.0], [0.0, 0.0], trade_count=0)
    assert summary.win_rate is None
    assert summary.exposure is None
    assert not {"win_rate", "profit_factor", "exposure"} & set(summary.as_dict())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: win_rate([1.0, math.nan]), "trade_pnl[1] is nan"),
        (lambda: profit_factor([[1.0]]), "trade_pnl must be one-dimensional"),
        (lambda: exposure([[1.0, math.inf]]), "positions[0, 1] is inf"),
        (lambda: exposure([]), "positions is empty"),
        (lambda: exposure(np.zeros((2, 2, 2))), "positions must be bars × instruments"),
        (lambda: drawdown_episodes([1.0, 2.0], index=[1]), "index has 1 labels but equity has 2"),
        (lambda: probabilistic_sharpe_ratio([0.1, 0.2], math.nan), "benchmark_sharpe nan"),
        (lambda: probabilistic_sharpe_ratio([]), "returns is empty"),
        (
            lambda: summarize([1.0, 2.0], [0.0, 0.0], 0, positions=[0.0]),
            "positions has 1 bars but equity has 2",
        ),
    ],
)
def test_new_statistics_reject_bad_input_naming_it(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        call()
