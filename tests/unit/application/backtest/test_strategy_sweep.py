"""sweep_strategy: each grid point equals a single backtest of that strategy, best Sharpe first."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantcli.application.backtest.run_backtest import run_strategy_backtest
from quantcli.application.backtest.strategy_sweep import (
    MAX_POINTS,
    METRIC_COLUMNS,
    grid_points,
    sweep_strategy,
)
from quantcli.application.strategy.rule_strategies import SmaCrossStrategy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError, ValidationError

COMMISSION = CommissionSchedule(per_share=Decimal("0.005"), minimum=Decimal("1.00"))
SLIPPAGE = SlippageModel(bps=Decimal(3))
CASH = Decimal(100_000)
COSTS: dict[str, Any] = {"commission": COMMISSION, "slippage": SLIPPAGE, "initial_cash": CASH}


@pytest.fixture
def store(fakes: ModuleType) -> Any:
    days = fakes.utc_days(160)
    frames = []
    for seed, symbol in enumerate(("AAA", "BBB")):
        rng = np.random.default_rng(seed)
        close = 40.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, len(days))))
        frames.append(fakes.bar_frame(symbol, days, close * (1 + rng.normal(0, 0.003, 160)), close))
    return fakes.FakeBarStore(pd.concat(frames, ignore_index=True))


def sma_cross(**parameters: Any) -> SmaCrossStrategy:
    return SmaCrossStrategy(weight_per_symbol=0.4, **parameters)


def test_grid_points_are_every_combination_in_grid_order() -> None:
    points = grid_points({"fast": [5, 10], "slow": [20, 30, 40]})
    assert points[:4] == [
        {"fast": 5, "slow": 20},
        {"fast": 5, "slow": 30},
        {"fast": 5, "slow": 40},
        {"fast": 10, "slow": 20},
    ]
    assert len(points) == 6


@pytest.mark.parametrize(
    ("grid", "problem"),
    [
        pytest.param({}, "empty", id="no-names"),
        pytest.param({"fast": []}, "no values for fast", id="no-values"),
        pytest.param({"a": range(MAX_POINTS), "b": [1, 2]}, "more than", id="too-many"),
    ],
)
def test_a_bad_grid_is_rejected_with_the_reason(grid: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        grid_points(grid)


def test_every_row_equals_a_single_backtest_of_its_point(store: Any) -> None:
    table = sweep_strategy(store, sma_cross, {"fast": [3, 5, 8], "slow": [13, 21]}, **COSTS)
    assert list(table.columns) == ["fast", "slow", *METRIC_COLUMNS]
    assert len(table) == 6
    assert table["sharpe"].is_monotonic_decreasing
    for row in table.itertuples(index=False):
        single = run_strategy_backtest(store, sma_cross(fast=row.fast, slow=row.slow), **COSTS)
        assert row.sharpe == pytest.approx(single.summary.sharpe, rel=1e-12, abs=1e-12)
        assert row.total_return == pytest.approx(single.summary.total_return, rel=1e-12)
        assert row.trade_count == single.summary.trade_count


def test_points_the_strategy_rejects_are_skipped_and_counted(store: Any) -> None:
    table = sweep_strategy(store, sma_cross, {"fast": [5, 21], "slow": [13, 21]}, **COSTS)
    assert sorted(zip(table["fast"], table["slow"], strict=True)) == [(5, 13), (5, 21)]
    assert table.attrs["skipped"] == 2


def test_one_worker_and_many_give_the_same_table(store: Any) -> None:
    grid = {"fast": [2, 3, 5], "slow": [8, 13]}
    serial = sweep_strategy(store, sma_cross, grid, workers=1, **COSTS)
    parallel = sweep_strategy(store, sma_cross, grid, workers=4, **COSTS)
    pd.testing.assert_frame_equal(serial, parallel)


def test_a_failing_point_is_named(store: Any) -> None:
    def bad_weights(**parameters: Any) -> Any:
        return lambda bars: "not a frame"

    with pytest.raises(DataError, match=r"sweep point level=1: strategy returned str"):
        sweep_strategy(store, bad_weights, {"level": [1]}, **COSTS)


def test_every_point_rejected_is_an_error(store: Any) -> None:
    with pytest.raises(ValidationError, match="rejected every one of the 1 grid points"):
        sweep_strategy(store, sma_cross, {"fast": [30], "slow": [10]}, **COSTS)


def test_an_empty_store_is_an_error(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match="bar store is empty"):
        sweep_strategy(fakes.FakeBarStore(), sma_cross, {"fast": [5], "slow": [9]}, **COSTS)
