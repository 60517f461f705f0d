"""The report's Monte Carlo sections: 5/50/95 % of each metric, the paths kept, too few trades."""

from __future__ import annotations

import numpy as np
import pytest

from quantcli.application.analytics.monte_carlo import bootstrap_trades
from quantcli.application.analytics.report_monte_carlo import (
    MIN_ROUND_TRIPS,
    REPORT_CONFIDENCE_LEVEL,
    returns_monte_carlo,
    trades_monte_carlo,
)
from quantcli.domain.errors import ValidationError

METRICS = ("sharpe", "max_drawdown", "final_return")


def equity_curve(points: int = 300) -> np.ndarray:
    rng = np.random.default_rng(4)
    return 1e4 * np.cumprod(1 + rng.normal(5e-4, 0.01, points))


def test_returns_bootstrap_gives_the_5_50_95_percentiles_of_every_path() -> None:
    summary = returns_monte_carlo(equity_curve(), n_paths=400, seed=7)

    assert REPORT_CONFIDENCE_LEVEL == 0.90
    assert (summary["method"], summary["n_paths"], summary["seed"]) == ("stationary", 400, 7)
    assert summary["n_periods"] == 299
    assert summary["confidence_level"] == 0.90
    for name in METRICS:
        paths = np.asarray(summary["distributions"][name])
        stats = summary["metrics"][name]
        assert paths.shape == (400,)
        assert stats["lower"] == pytest.approx(np.percentile(paths, 5))
        assert stats["median"] == pytest.approx(np.percentile(paths, 50))
        assert stats["upper"] == pytest.approx(np.percentile(paths, 95))
    curve = equity_curve()
    assert summary["metrics"]["final_return"]["point_estimate"] == pytest.approx(
        curve[-1] / curve[0] - 1
    )
    assert returns_monte_carlo(equity_curve(), n_paths=400, seed=7) == summary  # seeded


def test_returns_bootstrap_needs_three_equity_points() -> None:
    assert returns_monte_carlo([100.0, 101.0], n_paths=10, seed=0) == {}


def test_trade_bootstrap_resamples_round_trips_from_the_starting_equity() -> None:
    pnl = np.array([120.0, -80.0, 45.0, -30.0, 200.0, -150.0, 60.0, 10.0, -20.0, 90.0])

    summary = trades_monte_carlo(pnl, initial_equity=10_000.0, n_paths=500, seed=3)

    assert (summary["method"], summary["n_paths"], summary["seed"]) == ("trades", 500, 3)
    assert summary["n_periods"] == 10
    final = summary["metrics"]["final_return"]
    assert final["point_estimate"] == pytest.approx(pnl.sum() / 10_000.0)
    # Per trade Sharpe of the original order: mean / std (ddof 1) of the P&Ls.
    assert summary["metrics"]["sharpe"]["point_estimate"] == pytest.approx(
        pnl.mean() / pnl.std(ddof=1)
    )
    paths = np.asarray(summary["distributions"]["final_return"])
    assert final["lower"] == pytest.approx(np.percentile(paths, 5))
    assert final["upper"] == pytest.approx(np.percentile(paths, 95))
    direct = bootstrap_trades(
        pnl, initial_equity=10_000.0, n_paths=500, seed=3, confidence_level=0.9
    )
    assert paths.tolist() == direct.final_return.values.tolist()


def test_fewer_round_trips_than_the_minimum_are_not_bootstrapped() -> None:
    assert MIN_ROUND_TRIPS == 10

    summary = trades_monte_carlo([5.0] * 9, initial_equity=1e4, n_paths=100, seed=0)

    assert summary == {
        "method": "trades",
        "n_periods": 9,
        "skipped": "only 9 round trips; a trade bootstrap needs at least 10 to say more than noise",
    }
    one = trades_monte_carlo([5.0], initial_equity=1e4, n_paths=100, seed=0)
    assert one["skipped"].startswith("only 1 round trip;")
    assert trades_monte_carlo([], initial_equity=1e4, n_paths=100, seed=0)["n_periods"] == 0
    with pytest.raises(ValidationError, match="min_round_trips 1 must be at least 2"):
        trades_monte_carlo([5.0] * 9, initial_equity=1e4, n_paths=10, seed=0, min_round_trips=1)
