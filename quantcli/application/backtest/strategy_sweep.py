"""Use case: sweep any weights strategy over a parameter grid, one full-cost backtest per point.

The SMA crossover has its own kernel sweep (`parameter_sweep`); this one takes any strategy
factory: `make_strategy(**parameters)` returns a strategy (bars → target weights), and each grid
point is backtested by the portfolio simulator with the same costs and margin as a single
backtest. Points run on a thread pool: the simulator releases the GIL, so they overlap.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pandas as pd

from quantcli import kernels
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.application.marketdata.ports import BarStore
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.application.strategy.rule_strategies import WeightsStrategy
from quantcli.application.strategy.strategy_weights import LeverageLimit, check_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError, ValidationError

# More points than this is almost surely a mistyped grid, and the table would not fit in memory
# comfortably with the per-point summaries.
MAX_POINTS = 100_000
METRIC_COLUMNS = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "turnover",
    "trade_count",
)

Parameters = dict[str, object]
StrategyFactory = Callable[..., WeightsStrategy]


def grid_points(grid: Mapping[str, Sequence[object]]) -> list[Parameters]:
    """Every combination of the grid's values, in grid order (the last name varies fastest)."""
    if not grid:
        raise ValidationError("parameter grid is empty: give at least one name=values")
    empty = [name for name, values in grid.items() if len(values) == 0]
    if empty:
        raise ValidationError(f"parameter grid: no values for {', '.join(empty)}")
    count = 1
    for values in grid.values():
        count *= len(values)
    if count > MAX_POINTS:
        raise ValidationError(f"parameter grid has {count:,} points, more than {MAX_POINTS:,}")
    names = list(grid)
    return [dict(zip(names, point, strict=True)) for point in itertools.product(*grid.values())]


def sweep_strategy(
    bar_store: BarStore,
    make_strategy: StrategyFactory,
    grid: Mapping[str, Sequence[object]],
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    symbols: Sequence[str] | None = None,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
    workers: int | None = None,
    leverage_limit: LeverageLimit | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """One row per grid point (its parameters, then METRIC_COLUMNS), best Sharpe first.

    A point whose parameters the strategy rejects (building or running it raises
    ValidationError, e.g. fast >= slow) is left out and counted in ``frame.attrs["skipped"]``;
    any other failure stops the sweep with an error naming the point, weights above
    `leverage_limit` included (see `run_backtest.check_weights`; `name` names the strategy).
    """
    points = grid_points(grid)
    bars = bar_store.read_bars(stored_symbols(bar_store, symbols))
    known = set(bars["symbol"].unique())

    def run(point: Parameters) -> dict[str, object] | None:
        try:
            proposed = make_strategy(**point)(bars)
        except ValidationError:
            return None
        try:
            weights = check_weights(
                proposed,
                known,
                source="strategy" if name is None else f"strategy {name}",
                leverage_limit=leverage_limit,
            )
            result = backtest_weights(
                bars,
                weights,
                commission=commission,
                slippage=slippage,
                initial_cash=initial_cash,
                rebalance_band=rebalance_band,
                costs=costs,
                margin=margin,
            )
        except (DataError, ValidationError) as error:
            raise type(error)(f"sweep point {_describe(point)}: {error}") from error
        summary = result.summary.as_dict()
        return {**point, **{name: summary[name] for name in METRIC_COLUMNS}}

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        rows = list(pool.map(run, points))
    kept = [row for row in rows if row is not None]
    if not kept:
        raise ValidationError(f"the strategy rejected every one of the {len(points)} grid points")
    table = pd.DataFrame(kept, columns=[*grid, *METRIC_COLUMNS])
    table = table.sort_values("sharpe", ascending=False, kind="stable", ignore_index=True)
    table.attrs["skipped"] = len(points) - len(kept)
    return table


def _describe(point: Parameters) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in point.items())
