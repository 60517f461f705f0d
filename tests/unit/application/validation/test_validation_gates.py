"""Validation gates on CPCV paths: noise fails, a planted edge passes, every gate reported."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import attrs
import numpy as np
import pytest

from quantcli.application.analytics.performance import sharpe_ratio
from quantcli.application.analytics.sharpe_statistics import estimate_sharpe
from quantcli.application.validation.validation_gates import (
    GateResult,
    GateThresholds,
    TrialStatistics,
    evaluate_gates,
)
from quantcli.domain.errors import ValidationError

GATE_NAMES = ["psr", "dsr", "track_record", "mean_sharpe", "worst_path_sharpe", "max_drawdown"]
PATHS, PERIODS = 6, 1250


def _noise_trials(rng: np.random.Generator, count: int = 50) -> TrialStatistics:
    """What a tuning history of skill-less configurations would report (annualized Sharpes)."""
    sharpes = [sharpe_ratio(rng.normal(0.0, 0.01, PERIODS)) for _ in range(count)]
    return TrialStatistics.from_sharpe_ratios(sharpes, periods_per_year=252)


def _by_name(results: tuple[GateResult, ...]) -> dict[str, GateResult]:
    return {result.name: result for result in results}


def _edge_paths(rng: np.random.Generator, drift: float = 0.002) -> np.ndarray:
    # Paths re-predict the same periods, so they share most of their returns.
    common = rng.normal(drift, 0.01, PERIODS)
    return common + rng.normal(0.0, 0.003, (PATHS, PERIODS))


def test_pure_noise_fails_the_gates_and_every_gate_is_reported() -> None:
    rng = np.random.default_rng(7)
    paths = rng.normal(0.0, 0.01, (PATHS, PERIODS))  # random-walk prices: iid returns

    results = _by_name(evaluate_gates(paths, _noise_trials(rng)))

    assert list(results) == GATE_NAMES
    for name in ("psr", "dsr", "track_record", "mean_sharpe"):
        assert not results[name].passed, results[name]
    assert results["dsr"].value <= results["psr"].value


def test_no_noise_seed_passes_the_deflated_sharpe_gate() -> None:
    for seed in range(20):
        rng = np.random.default_rng(seed)
        paths = rng.normal(0.0, 0.01, (PATHS, PERIODS))
        results = _by_name(evaluate_gates(paths, _noise_trials(rng)))
        assert not results["dsr"].passed, (seed, results["dsr"])
        assert not all(result.passed for result in results.values())


def test_a_strong_planted_edge_passes_every_gate() -> None:
    rng = np.random.default_rng(11)
    results = evaluate_gates(_edge_paths(rng), _noise_trials(rng))

    assert [result.name for result in results] == GATE_NAMES
    assert all(result.passed for result in results), [r for r in results if not r.passed]


def test_psr_dsr_and_min_trl_are_those_of_the_mean_path() -> None:
    rng = np.random.default_rng(5)
    paths = _edge_paths(rng, drift=0.0005)
    trials = TrialStatistics(n_trials=20, sharpe_variance=0.001)
    estimate = estimate_sharpe(paths.mean(axis=0))
    assert estimate is not None

    results = _by_name(evaluate_gates(paths, trials))

    assert results["psr"].value == pytest.approx(estimate.probabilistic(0.0))
    assert results["dsr"].value == pytest.approx(estimate.deflated(20, 0.001))
    assert results["track_record"].value == PERIODS
    assert results["track_record"].threshold == pytest.approx(estimate.min_track_record())


def test_sharpe_gates_use_the_per_path_distribution() -> None:
    rng = np.random.default_rng(5)
    paths = _edge_paths(rng)
    sharpes = [sharpe_ratio(path) for path in paths]

    results = _by_name(evaluate_gates(paths, TrialStatistics(1, 0.0)))

    assert results["mean_sharpe"].value == pytest.approx(np.mean(sharpes))
    assert results["worst_path_sharpe"].value == pytest.approx(min(sharpes))
    for name in ("mean_sharpe", "worst_path_sharpe"):
        detail = results[name].detail
        assert f"min {min(sharpes):.2f}" in detail
        assert f"median {np.median(sharpes):.2f}" in detail
        assert f"max {max(sharpes):.2f}" in detail
    assert "per-path PSR min" in results["psr"].detail


def test_drawdown_gate_judges_the_median_path_and_reports_the_worst() -> None:
    paths = [[-0.1, 0.0, 0.05], [-0.3, 0.0, 0.05], [-0.2, 0.0, 0.05]]

    result = _by_name(evaluate_gates(paths, TrialStatistics(1, 0.0)))["max_drawdown"]

    assert result.value == pytest.approx(-0.2)
    assert result.threshold == -0.25
    assert result.passed
    assert "min -30.00% / median -20.00% / max -10.00%" in result.detail


def test_thresholds_move_the_verdicts() -> None:
    rng = np.random.default_rng(11)
    paths = _edge_paths(rng)
    strict = GateThresholds(max_drawdown=0.01, min_sharpe=10.0)

    results = _by_name(evaluate_gates(paths, _noise_trials(rng), strict))

    assert not results["max_drawdown"].passed
    assert results["max_drawdown"].threshold == -0.01
    assert not results["mean_sharpe"].passed
    assert results["psr"].passed


def test_many_diverse_trials_deflate_a_modest_edge_that_psr_accepts() -> None:
    rng = np.random.default_rng(3)
    paths = _edge_paths(rng, drift=0.0008)

    results = _by_name(evaluate_gates(paths, TrialStatistics(1000, 0.5 / 252)))

    assert results["psr"].passed
    assert not results["dsr"].passed
    assert "1000 trial(s)" in results["dsr"].detail


def test_one_trial_makes_dsr_equal_psr() -> None:
    rng = np.random.default_rng(5)
    results = _by_name(evaluate_gates(_edge_paths(rng, 0.0003), TrialStatistics(1, 0.3)))
    assert results["dsr"].value == results["psr"].value


def test_flat_paths_fail_without_crashing() -> None:
    results = _by_name(evaluate_gates(np.zeros((3, 50)), TrialStatistics(5, 0.001)))

    assert results["psr"].value == 0.0
    assert results["dsr"].value == 0.0
    assert results["track_record"].threshold == math.inf
    assert not results["track_record"].passed
    assert "flat" in results["psr"].detail
    assert results["max_drawdown"].passed


def test_annual_sharpe_thresholds_follow_periods_per_year() -> None:
    rng = np.random.default_rng(11)
    paths = _edge_paths(rng)
    daily = _by_name(evaluate_gates(paths, TrialStatistics(1, 0.0), periods_per_year=252))
    weekly = _by_name(evaluate_gates(paths, TrialStatistics(1, 0.0), periods_per_year=52))
    ratio = weekly["mean_sharpe"].value / daily["mean_sharpe"].value
    assert ratio == pytest.approx(math.sqrt(52 / 252))


def test_trial_statistics_from_annualized_sharpe_ratios() -> None:
    trials = TrialStatistics.from_sharpe_ratios([1.0, 2.0, 3.0], periods_per_year=252)
    assert trials.n_trials == 3
    assert trials.sharpe_variance == pytest.approx(1.0 / 252)  # var(ddof=1) = 1, de-annualized
    single = TrialStatistics.from_sharpe_ratios([1.5], periods_per_year=1)
    assert (single.n_trials, single.sharpe_variance) == (1, 0.0)


def test_gate_results_are_frozen_records() -> None:
    result = evaluate_gates([[0.01, -0.01, 0.02]], TrialStatistics(1, 0.0))[0]
    assert result.comparison == ">="
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.passed = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: evaluate_gates([0.01, 0.02], TrialStatistics(1, 0.0)), "path_returns must be 2-D"),
        (
            lambda: evaluate_gates(np.zeros((2, 3, 4)), TrialStatistics(1, 0.0)),
            "got shape (2, 3, 4)",
        ),
        (lambda: evaluate_gates(np.zeros((0, 5)), TrialStatistics(1, 0.0)), "has no paths"),
        (
            lambda: evaluate_gates([[0.01], [0.02]], TrialStatistics(1, 0.0)),
            "path_returns has 1 period(s) per path; at least 2",
        ),
        (
            lambda: evaluate_gates([[0.01, 0.02], [0.0, math.nan]], TrialStatistics(1, 0.0)),
            "path_returns[1, 1] is nan",
        ),
        (
            lambda: evaluate_gates([[0.01, math.inf]], TrialStatistics(1, 0.0)),
            "path_returns[0, 1] is inf",
        ),
        (
            lambda: evaluate_gates([[0.01, -1.0]], TrialStatistics(1, 0.0)),
            "path_returns[0, 1] is -1.0; a simple return must be above -1",
        ),
        (
            lambda: evaluate_gates([[0.01, 0.02]], TrialStatistics(1, 0.0), periods_per_year=0),
            "periods_per_year 0",
        ),
        (lambda: evaluate_gates([[0.01, 0.02]], (1, 0.0)), "trials must be TrialStatistics"),  # type: ignore[arg-type]
        (lambda: TrialStatistics(0, 0.1), "trials.n_trials 0 must be at least 1"),
        (lambda: TrialStatistics(-3, 0.1), "trials.n_trials -3 must be at least 1"),
        (lambda: TrialStatistics(True, 0.1), "trials.n_trials True is not an integer"),
        (lambda: TrialStatistics(5, -0.01), "trials.sharpe_variance -0.01 is negative"),
        (lambda: TrialStatistics(5, math.nan), "trials.sharpe_variance nan"),
        (
            lambda: TrialStatistics.from_sharpe_ratios([1.0, math.nan], periods_per_year=1),
            "sharpe_ratios[1] is nan",
        ),
        (
            lambda: TrialStatistics.from_sharpe_ratios([], periods_per_year=1),
            "sharpe_ratios must be a non-empty 1-D array",
        ),
        (lambda: GateThresholds(psr=1.5), "GateThresholds.psr 1.5 is not a probability"),
        (lambda: GateThresholds(dsr=0.0), "GateThresholds.dsr 0.0 is not a probability"),
        (lambda: GateThresholds(max_drawdown=-0.1), "GateThresholds.max_drawdown -0.1"),
        (lambda: GateThresholds(min_sharpe=math.nan), "GateThresholds.min_sharpe nan"),
    ],
)
def test_bad_input_is_rejected_naming_it(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        call()
