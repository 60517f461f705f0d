"""Monte Carlo bootstraps: reproducibility, coverage, block structure, errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from quantcli.application.analytics import monte_carlo
from quantcli.application.analytics.monte_carlo import (
    bootstrap_indices,
    bootstrap_returns,
    bootstrap_trades,
    resample_returns,
)
from quantcli.application.analytics.performance import max_drawdown, sharpe_ratio
from quantcli.domain.errors import ValidationError


def well_behaved_returns(n: int = 750, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).normal(4e-4, 0.01, n)


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 0.01, n)
    series = np.empty(n)
    series[0] = noise[0]
    for t in range(1, n):
        series[t] = phi * series[t - 1] + noise[t]
    return series


def lag1_autocorrelation(rows: np.ndarray) -> np.ndarray:
    centred = rows - rows.mean(axis=-1, keepdims=True)
    return (centred[..., 1:] * centred[..., :-1]).sum(axis=-1) / (centred**2).sum(axis=-1)


@pytest.mark.parametrize("method", ["iid", "stationary"])
def test_bootstrap_is_reproducible_for_a_seed(method: str) -> None:
    returns = well_behaved_returns()
    first = bootstrap_returns(returns, n_paths=300, method=method, seed=42)  # type: ignore[arg-type]
    again = bootstrap_returns(returns, n_paths=300, method=method, seed=42)  # type: ignore[arg-type]
    other = bootstrap_returns(returns, n_paths=300, method=method, seed=43)  # type: ignore[arg-type]

    np.testing.assert_array_equal(first.sharpe.values, again.sharpe.values)
    np.testing.assert_array_equal(first.max_drawdown.values, again.max_drawdown.values)
    assert first.as_dict() == again.as_dict()
    assert not np.array_equal(first.sharpe.values, other.sharpe.values)


def test_trade_bootstrap_is_reproducible_for_a_seed() -> None:
    pnl = np.random.default_rng(1).normal(50.0, 400.0, 120)
    first = bootstrap_trades(pnl, initial_equity=100_000.0, n_paths=200, seed=9)
    again = bootstrap_trades(pnl, initial_equity=100_000.0, n_paths=200, seed=9)
    np.testing.assert_array_equal(first.final_return.values, again.final_return.values)


@pytest.mark.parametrize("method", ["iid", "stationary"])
def test_confidence_intervals_contain_the_point_estimates(method: str) -> None:
    returns = well_behaved_returns()
    result = bootstrap_returns(returns, n_paths=2000, method=method, seed=1)  # type: ignore[arg-type]
    curve = np.concatenate([[1.0], np.cumprod(1.0 + returns)])

    assert result.sharpe.point_estimate == pytest.approx(sharpe_ratio(returns))
    assert result.max_drawdown.point_estimate == pytest.approx(max_drawdown(curve))
    assert result.final_return.point_estimate == pytest.approx(curve[-1] - 1.0)
    for metric in (result.sharpe, result.max_drawdown, result.final_return):
        assert metric.lower < metric.point_estimate < metric.upper
        assert metric.lower < metric.median < metric.upper
    assert result.n_paths == 2000
    assert result.sharpe.values.shape == (2000,)
    assert np.all(result.max_drawdown.values <= 0.0)


def test_trade_bootstrap_rebuilds_equity_from_cumulative_pnl() -> None:
    pnl = np.random.default_rng(4).normal(100.0, 500.0, 200)
    result = bootstrap_trades(pnl, initial_equity=50_000.0, n_paths=2000, seed=3)
    equity = np.concatenate([[50_000.0], 50_000.0 + np.cumsum(pnl)])

    assert result.method == "trades"
    assert result.final_return.point_estimate == pytest.approx(pnl.sum() / 50_000.0)
    assert result.max_drawdown.point_estimate == pytest.approx(max_drawdown(equity))
    assert result.sharpe.point_estimate == pytest.approx(pnl.mean() / pnl.std(ddof=1))
    assert result.final_return.lower < result.final_return.point_estimate
    assert result.final_return.point_estimate < result.final_return.upper
    # The final return of a draw with replacement is the sum of n draws: its mean is n × mean.
    assert result.final_return.mean == pytest.approx(pnl.sum() / 50_000.0, rel=0.1)


def test_trade_bootstrap_of_one_repeated_trade_has_no_spread() -> None:
    result = bootstrap_trades([10.0, 10.0], initial_equity=100.0, n_paths=5, n_trades=3, seed=0)
    np.testing.assert_allclose(result.final_return.values, 0.3)
    np.testing.assert_allclose(result.max_drawdown.values, 0.0)
    np.testing.assert_allclose(result.sharpe.values, 0.0)


def test_a_ruinous_trade_path_floors_the_drawdown_at_minus_one() -> None:
    result = bootstrap_trades([-80.0], initial_equity=100.0, n_paths=3, n_trades=2, seed=0)
    np.testing.assert_allclose(result.max_drawdown.values, -1.0)
    assert result.probability_of_loss == 1.0


def test_block_bootstrap_preserves_autocorrelation_better_than_iid() -> None:
    series = ar1(2000, phi=0.7, seed=5)
    original = float(lag1_autocorrelation(series))

    iid = resample_returns(series, 200, method="iid", seed=1)
    block = resample_returns(series, 200, method="stationary", mean_block_length=25, seed=1)

    iid_ac = float(lag1_autocorrelation(iid).mean())
    block_ac = float(lag1_autocorrelation(block).mean())
    assert original > 0.6
    assert abs(iid_ac) < 0.05
    # Each block boundary breaks one lag-1 pair in ~25: expect about original × 24/25.
    assert block_ac > 0.85 * original
    assert abs(block_ac - original) < abs(iid_ac - original) / 5


def test_stationary_indices_continue_blocks_and_wrap_around() -> None:
    indices = bootstrap_indices(50, 400, method="stationary", mean_block_length=10, seed=2)
    steps = np.diff(indices, axis=1) % 50
    continued = steps == 1
    # Each step continues its block with probability 1 - 1/10 (plus the odd random hit of +1).
    assert continued.mean() == pytest.approx(0.9 + 0.1 / 50, abs=0.01)
    assert indices.min() >= 0
    assert indices.max() < 50


def test_block_length_one_is_iid_and_default_block_length_is_cube_root() -> None:
    one = bootstrap_indices(100, 20, method="stationary", mean_block_length=1, seed=3)
    iid = bootstrap_indices(100, 20, method="iid", seed=3)
    np.testing.assert_array_equal(one, iid)
    result = bootstrap_returns(well_behaved_returns(1000), n_paths=10, method="stationary")
    assert result.mean_block_length == 10.0
    assert bootstrap_returns([0.01, 0.02], n_paths=2).mean_block_length is None


def test_chunked_paths_equal_the_unchunked_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    returns = well_behaved_returns(100)
    whole = bootstrap_returns(returns, n_paths=50, seed=8)
    monkeypatch.setattr(monte_carlo, "MAX_CHUNK_ELEMENTS", 700)  # 7 paths per chunk
    chunked = bootstrap_returns(returns, n_paths=50, seed=8)

    assert chunked.sharpe.values.shape == (50,)
    # Different chunking draws in a different order, but it is the same distribution.
    assert chunked.sharpe.mean == pytest.approx(whole.sharpe.mean, abs=0.6)


def test_as_dict_is_plain_and_holds_every_metric() -> None:
    result = bootstrap_returns(well_behaved_returns(), n_paths=100, seed=0, confidence_level=0.9)
    as_dict = result.as_dict()

    assert as_dict["method"] == "iid"
    assert as_dict["n_paths"] == 100
    assert as_dict["confidence_level"] == 0.9
    assert set(as_dict["metrics"]) == {"sharpe", "max_drawdown", "final_return"}
    sharpe = as_dict["metrics"]["sharpe"]
    assert set(sharpe) == {"point_estimate", "mean", "median", "std", "lower", "upper"}
    assert sharpe["lower"] == pytest.approx(np.percentile(result.sharpe.values, 5))
    assert sharpe["upper"] == pytest.approx(np.percentile(result.sharpe.values, 95))
    assert all(isinstance(value, float) for value in sharpe.values())
    assert 0.0 <= as_dict["probability_of_loss"] <= 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bootstrap_returns([0.01, 0.02], n_paths=0), "n_paths 0 must be at least 1"),
        (lambda: bootstrap_returns([], n_paths=10), "returns is empty"),
        (lambda: bootstrap_returns([0.01, math.nan]), "returns[1] is nan"),
        (lambda: bootstrap_returns([0.01, -1.0]), "returns[1] is -1.0, a loss of 100 %"),
        (lambda: bootstrap_returns([[0.01]]), "returns must be one-dimensional"),
        (lambda: bootstrap_returns([0.01], method="blocks"), "method 'blocks' is not one of"),  # type: ignore[arg-type]
        (
            lambda: bootstrap_returns([0.01], method="stationary", mean_block_length=0.5),
            "mean_block_length 0.5 must be a number >= 1",
        ),
        (lambda: bootstrap_returns([0.01], confidence_level=1.0), "confidence_level 1.0"),
        (lambda: bootstrap_returns([0.01], periods_per_year=0), "periods_per_year 0"),
        (lambda: bootstrap_returns([0.01], n_paths=2.5), "n_paths 2.5 is not an integer"),  # type: ignore[arg-type]
        (lambda: bootstrap_trades([], initial_equity=1.0), "trade_pnl is empty"),
        (lambda: bootstrap_trades([1.0], initial_equity=0.0), "initial_equity 0.0"),
        (
            lambda: bootstrap_trades([1.0], initial_equity=1.0, n_paths=-1),
            "n_paths -1 must be at least 1",
        ),
        (lambda: bootstrap_trades([1.0], initial_equity=1.0, n_trades=0), "n_trades 0"),
        (lambda: bootstrap_indices(0, 5), "n_periods 0 must be at least 1"),
        (lambda: resample_returns([0.1], 0), "n_paths 0 must be at least 1"),
    ],
)
def test_bad_input_raises_validation_error_naming_the_argument(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        call()


def test_metric_percentile_rejects_out_of_range_q() -> None:
    result = bootstrap_returns([0.01, -0.01, 0.02], n_paths=5, seed=0)
    with pytest.raises(ValidationError, match="percentile q 101"):
        result.sharpe.percentile(101)
