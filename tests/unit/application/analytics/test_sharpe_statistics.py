"""Sharpe-ratio inference: the papers' worked examples, hand-derived values, properties, errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quantcli.application.analytics.performance import probabilistic_sharpe_ratio
from quantcli.application.analytics.sharpe_statistics import (
    EULER_MASCHERONI,
    SharpeEstimate,
    estimate_sharpe,
    expected_maximum_sharpe,
    normal_cdf,
    normal_quantile,
)
from quantcli.domain.errors import ValidationError

# --- Bailey & López de Prado (2014), "The deflated Sharpe ratio", numerical example ----------
# N = 100 trials, T = 1250 daily observations (5 years of 250 days), best trial's annualized
# SR 2.5, variance of the trials' annualized SRs 0.5, skewness -3, kurtosis 10. The paper
# annualizes with 250 days: SR̂ = 2.5 / sqrt(250) = 0.1581, V = 0.5 / 250 = 0.002 per day.
# Printed: E[max SR] ≈ 0.1132 (per day) and DSR ≈ 0.9004 (< 0.95, so the strategy is
# rejected); with N = 46 trials instead, DSR ≈ 0.9505 would have passed.
PAPER_DAYS = 250
PAPER_ESTIMATE = SharpeEstimate(
    sharpe=2.5 / math.sqrt(PAPER_DAYS), observations=1250, skewness=-3.0, kurtosis=10.0
)
PAPER_TRIAL_VARIANCE = 0.5 / PAPER_DAYS


def test_dsr_paper_example_expected_maximum_sharpe_of_100_trials() -> None:
    assert expected_maximum_sharpe(100, PAPER_TRIAL_VARIANCE) == pytest.approx(0.1132, abs=5e-5)


def test_dsr_paper_example_deflated_sharpe_ratio() -> None:
    assert PAPER_ESTIMATE.deflated(100, PAPER_TRIAL_VARIANCE) == pytest.approx(0.9004, abs=5e-5)


def test_dsr_paper_example_46_trials_would_have_passed_and_47_not() -> None:
    assert PAPER_ESTIMATE.deflated(46, PAPER_TRIAL_VARIANCE) == pytest.approx(0.9505, abs=5e-5)
    assert PAPER_ESTIMATE.deflated(47, PAPER_TRIAL_VARIANCE) < 0.95


def test_expected_maximum_sharpe_is_the_papers_formula_written_out() -> None:
    # Φ⁻¹(0.99) = 2.3263479, Φ⁻¹(1 - 1/(100 e)) = Φ⁻¹(0.99632121) = 2.6802104 (tables).
    spread = (1 - EULER_MASCHERONI) * 2.3263479 + EULER_MASCHERONI * 2.6802104
    expected = math.sqrt(PAPER_TRIAL_VARIANCE) * spread
    assert expected_maximum_sharpe(100, PAPER_TRIAL_VARIANCE) == pytest.approx(expected, rel=1e-6)
    assert expected_maximum_sharpe(100, 0.04, mean_trial_sharpe=0.1) == pytest.approx(
        0.1 + 0.2 * spread, rel=1e-6
    )


# --- Bailey & López de Prado (2012), "The Sharpe ratio efficient frontier" --------------------
# The paper's printed examples could not be retrieved; these are derived by hand from its
# formulas (PSR eq. and MinTRL eq.) with the arithmetic shown, against normal-table values.


def test_psr_hand_derived_normal_returns() -> None:
    # SR̂ 0.2, n 26, γ3 0, γ4 3: factor 1 + 2/4 · 0.04 = 1.02; z = 0.2 · 5 / sqrt(1.02)
    # = 0.99014754; Φ(z) = 0.83894899.
    estimate = SharpeEstimate(sharpe=0.2, observations=26)
    assert estimate.probabilistic() == pytest.approx(0.83894899, abs=1e-8)


def test_psr_hand_derived_skewed_fat_tailed_returns_against_a_benchmark() -> None:
    # SR̂ 0.3, SR* 0.1, n 61, γ3 -1, γ4 6: factor 1 + 0.3 + 5/4 · 0.09 = 1.4125;
    # z = 0.2 · sqrt(60) / sqrt(1.4125) = 1.30350; Φ(z) = 0.90380.
    estimate = SharpeEstimate(sharpe=0.3, observations=61, skewness=-1.0, kurtosis=6.0)
    z = 0.2 * math.sqrt(60) / math.sqrt(1.4125)
    assert estimate.probabilistic(0.1) == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)))
    assert estimate.probabilistic(0.1) == pytest.approx(0.90380, abs=1e-5)


def test_min_trl_hand_derived_monthly_normal_returns() -> None:
    # Annualized SR 1 on monthly returns: SR̂ = 1/sqrt(12) = 0.28867513, SR* 0, 95 %,
    # γ3 0, γ4 3: factor 1 + SR̂²/2 = 1.04166667; (1.64485363 / SR̂)² = 32.466521; MinTRL
    # = 1 + 1.04166667 · 32.466521 = 34.8193 months, about 2.9 years.
    estimate = SharpeEstimate(sharpe=1 / math.sqrt(12), observations=60)
    assert estimate.min_track_record() == pytest.approx(34.8193, abs=1e-4)


def test_min_trl_grows_with_negative_skew_and_fat_tails() -> None:
    normal = SharpeEstimate(sharpe=0.15, observations=100)
    skewed = SharpeEstimate(sharpe=0.15, observations=100, skewness=-2.0, kurtosis=12.0)
    assert skewed.min_track_record() > normal.min_track_record()
    assert skewed.probabilistic() < normal.probabilistic()


def test_min_trl_is_infinite_unless_the_sharpe_ratio_beats_the_benchmark() -> None:
    estimate = SharpeEstimate(sharpe=0.1, observations=100)
    assert estimate.min_track_record(benchmark_sharpe=0.1) == math.inf
    assert estimate.min_track_record(benchmark_sharpe=0.2) == math.inf


def test_psr_without_spread_is_decided_by_the_sign_alone() -> None:
    # γ4 = 1 + γ3² (two-point returns) and SR̂ = 2/γ3 make the variance factor 0.
    estimate = SharpeEstimate(sharpe=1.0, observations=10, skewness=2.0, kurtosis=5.0)
    assert estimate.variance_factor == pytest.approx(0.0)
    assert estimate.probabilistic(0.5) == 1.0
    assert estimate.probabilistic(1.0) == 0.5
    assert estimate.probabilistic(1.5) == 0.0


def test_normal_cdf_and_quantile_match_the_tables() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(-1.0) == pytest.approx(0.15865525393145707)
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975)
    assert normal_cdf(1.6448536269514722) == pytest.approx(0.95)
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054)
    assert normal_quantile(0.5) == 0.0


# --- sample moments ---------------------------------------------------------------------------


def test_estimate_sharpe_uses_ddof_1_std_and_biased_non_excess_moments() -> None:
    # mean 0.01, centred (0.02, -0.02, 0, 0): m2 2e-4, m3 0, m4 8e-8 → γ3 0, γ4 2;
    # std (ddof=1) sqrt(8e-4 / 3), SR̂ = sqrt(3/8).
    estimate = estimate_sharpe([0.03, -0.01, 0.01, 0.01])
    assert estimate is not None
    assert estimate.sharpe == pytest.approx(math.sqrt(3 / 8))
    assert estimate.observations == 4
    assert estimate.skewness == pytest.approx(0.0, abs=1e-12)
    assert estimate.kurtosis == pytest.approx(2.0)


def test_estimate_sharpe_of_normal_noise_has_normal_moments() -> None:
    estimate = estimate_sharpe(np.random.default_rng(3).normal(0.0, 0.01, 200_000))
    assert estimate is not None
    assert estimate.skewness == pytest.approx(0.0, abs=0.02)
    assert estimate.kurtosis == pytest.approx(3.0, abs=0.05)


def test_estimate_sharpe_is_undefined_for_short_or_flat_returns() -> None:
    assert estimate_sharpe([0.01]) is None
    assert estimate_sharpe([0.01, 0.01, 0.01]) is None


def test_performance_psr_is_the_same_implementation() -> None:
    returns = np.random.default_rng(9).standard_t(5, 400) * 0.01 + 0.001
    estimate = estimate_sharpe(returns)
    assert estimate is not None
    assert probabilistic_sharpe_ratio(returns, 0.02) == estimate.probabilistic(0.02)


# --- properties -------------------------------------------------------------------------------

# (skewness, kurtosis) pairs that some distribution has: kurtosis ≥ 1 + skewness².
moments = st.tuples(st.floats(-3.0, 3.0), st.floats(0.0, 20.0)).map(
    lambda pair: (pair[0], 1.0 + pair[0] ** 2 + pair[1])
)
per_period_sharpes = st.floats(-0.5, 0.5)
benchmarks = st.floats(-0.2, 0.2)
track_records = st.integers(2, 5000)
Moments = tuple[float, float]


def _estimate(sharpe: float, n: float, shape: Moments) -> SharpeEstimate:
    return SharpeEstimate(sharpe=sharpe, observations=n, skewness=shape[0], kurtosis=shape[1])


def _rises_with_sharpe(sharpe: float, benchmark: float, shape: Moments) -> bool:
    # d PSR / d SR̂ has the sign of this (see SharpeEstimate.probabilistic).
    skewness, kurtosis = shape
    return 2 - skewness * (sharpe + benchmark) + (kurtosis - 1) / 2 * sharpe * benchmark > 0


@given(per_period_sharpes, per_period_sharpes, benchmarks, track_records, moments)
def test_psr_increases_with_the_sharpe_ratio(
    low: float, high: float, benchmark: float, n: int, shape: Moments
) -> None:
    low, high = sorted((low, high))
    # The sign condition is linear in SR̂: holding at both ends, it holds in between.
    assume(_rises_with_sharpe(low, benchmark, shape) and _rises_with_sharpe(high, benchmark, shape))
    lower = _estimate(low, n, shape).probabilistic(benchmark)
    higher = _estimate(high, n, shape).probabilistic(benchmark)
    assert lower <= higher + 1e-12


@given(per_period_sharpes, benchmarks, track_records, track_records, moments)
def test_psr_increases_with_the_track_record_when_the_sharpe_beats_the_benchmark(
    sharpe: float, benchmark: float, short: int, long: int, shape: Moments
) -> None:
    assume(sharpe > benchmark)
    short, long = sorted((short, long))
    shorter = _estimate(sharpe, short, shape).probabilistic(benchmark)
    longer = _estimate(sharpe, long, shape).probabilistic(benchmark)
    assert shorter <= longer + 1e-12


@given(per_period_sharpes, track_records, moments, st.integers(2, 10_000), st.floats(1e-8, 0.1))
def test_dsr_never_exceeds_psr_of_zero_with_more_than_one_trial(
    sharpe: float, n: int, shape: Moments, trials: int, variance: float
) -> None:
    estimate = _estimate(sharpe, n, shape)
    assert expected_maximum_sharpe(trials, variance) > 0
    assert estimate.deflated(trials, variance) <= estimate.probabilistic(0.0)


@given(per_period_sharpes, track_records, moments, st.floats(0.0, 0.1))
def test_dsr_is_psr_of_zero_with_one_trial_or_no_trial_variance(
    sharpe: float, n: int, shape: Moments, variance: float
) -> None:
    estimate = _estimate(sharpe, n, shape)
    assert estimate.deflated(1, variance) == estimate.probabilistic(0.0)
    assert estimate.deflated(100, 0.0) == estimate.probabilistic(0.0)


@given(st.integers(1, 10_000), st.integers(1, 10_000), st.floats(1e-8, 1.0))
def test_expected_maximum_sharpe_grows_with_the_number_of_trials(
    few: int, many: int, variance: float
) -> None:
    few, many = sorted((few, many))
    assert expected_maximum_sharpe(few, variance) <= expected_maximum_sharpe(many, variance)


@given(st.floats(0.01, 0.5), st.floats(-0.2, 0.2), moments, st.floats(0.5, 0.999))
def test_psr_at_the_minimum_track_record_is_the_confidence(
    sharpe: float, benchmark: float, shape: Moments, confidence: float
) -> None:
    assume(sharpe - benchmark > 0.01)
    estimate = _estimate(sharpe, 100, shape)
    assume(estimate.variance_factor > 1e-6)
    n = estimate.min_track_record(benchmark, confidence)
    assume(n > 2)  # MinTRL → 1 as the confidence → 1/2; an estimate needs n > 1
    at_min = _estimate(sharpe, n, shape)
    assert at_min.probabilistic(benchmark) == pytest.approx(confidence, abs=1e-9)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SharpeEstimate(0.1, 100, 0.0, 0.0), "non-excess kurtosis"),
        (lambda: SharpeEstimate(0.1, 100, -2.0, 4.0), "kurtosis 4.0 is below 1 + skewness² = 5"),
        (lambda: SharpeEstimate(0.1, 1), "observations 1 must be more than 1"),
        (lambda: SharpeEstimate(math.nan, 100), "sharpe nan is not a finite number"),
        (lambda: SharpeEstimate(0.1, 100).probabilistic(math.inf), "benchmark_sharpe inf"),
        (lambda: SharpeEstimate(0.1, 100).min_track_record(confidence=1.0), "confidence 1.0"),
        (lambda: expected_maximum_sharpe(0, 0.1), "n_trials 0 must be at least 1"),
        (lambda: expected_maximum_sharpe(True, 0.1), "n_trials True is not an integer"),
        (lambda: expected_maximum_sharpe(2.5, 0.1), "n_trials 2.5 is not an integer"),  # type: ignore[arg-type]
        (lambda: expected_maximum_sharpe(10, -0.1), "trial_sharpe_variance -0.1 is negative"),
        (lambda: expected_maximum_sharpe(10, math.nan), "trial_sharpe_variance nan"),
        (lambda: estimate_sharpe([[0.1, 0.2]]), "returns must be one-dimensional"),
        (lambda: estimate_sharpe([0.1, math.nan]), "returns[1] is nan"),
        (lambda: normal_quantile(0.0), "probability 0.0"),
    ],
)
def test_bad_input_is_rejected_naming_it(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        call()
