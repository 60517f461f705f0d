"""Use cases: backtest target weights (from a model or a rule) with costs on next-open fills.

The portfolio simulator (`kernels.simulate_portfolio`) does the accounting; the commission
schedule and slippage model give its per-share, minimum, bps and slippage rates, and an optional
`kernels.CostModel` / `kernels.MarginRules` switch on the other cost models and margin rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.monte_carlo import bootstrap_returns
from quantcli.application.performance import (
    PerformanceSummary,
    drawdown_series,
    exposure,
    simple_returns,
    summarize,
)
from quantcli.application.ports import BacktestReport, BarStore
from quantcli.application.report_analytics import (
    DEFAULT_ROLLING_WINDOW,
    cost_breakdown,
    monthly_returns,
    rolling_sharpe,
)
from quantcli.application.rule_strategies import WeightsStrategy
from quantcli.application.strategy import ThresholdStrategy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.trading_types import OrderSide

TRADE_COLUMNS = ("timestamp", "symbol", "side", "quantity", "price", "commission")
FILL_COLUMNS = (*TRADE_COLUMNS, "slippage", "impact", "reason")
ROUND_TRIP_COLUMNS = (
    "symbol",
    "entry_timestamp",
    "entry_price",
    "exit_timestamp",
    "exit_price",
    "quantity",
    "pnl",
)
FILL_REASONS = {
    kernels.simulator.REASON_SIGNAL: "signal",
    kernels.simulator.REASON_LIQUIDATION: "liquidation",
}
# Daily volatility for square-root impact: std of the last bars' close-to-close returns.
VOLATILITY_WINDOW = 20
# CostModel fields that `commission` and `slippage` set; a CostModel passed alongside must
# leave them at zero, so that one rate never silently overrides another.
_SCHEDULE_FIELDS = ("commission_per_share", "commission_minimum", "commission_bps", "slippage_bps")


@attrs.frozen
class SimulationCounts:
    """What the margin rules did: margin calls (each liquidates the book), orders cut, rejected."""

    margin_calls: int = 0
    orders_cut: int = 0
    orders_rejected: int = 0

    def as_dict(self) -> dict[str, float]:
        return {name: float(value) for name, value in attrs.asdict(self).items()}


@attrs.frozen
class BacktestResult:
    equity: pd.Series
    positions: pd.DataFrame  # timestamps × symbols, shares held after each bar's open
    trades: pd.DataFrame  # TRADE_COLUMNS, one row per fill
    summary: PerformanceSummary
    # From the simulator; None or empty when the result was built otherwise.
    fills: pd.DataFrame | None = None  # FILL_COLUMNS: trades plus slippage, impact and reason
    round_trips: pd.DataFrame | None = None  # ROUND_TRIP_COLUMNS, first in first out
    costs: Mapping[str, float] | None = None  # commission, slippage, impact, borrow totals
    counts: SimulationCounts = SimulationCounts()

    def report(
        self,
        title: str,
        configuration: Mapping[str, Any],
        *,
        rolling_window: int = DEFAULT_ROLLING_WINDOW,
        monte_carlo_paths: int = 1000,
        monte_carlo_seed: int = 0,
        slippage_bps: float | None = None,
        extra_costs: Mapping[str, float] | None = None,
        lookahead_warning: str | None = None,
    ) -> BacktestReport:
        """The report: metrics, charts' data, monthly returns, costs and a Monte Carlo table.

        The Monte Carlo is a seeded stationary bootstrap of the daily returns
        (`monte_carlo_paths` = 0 leaves it out). Costs come from the simulator's totals when the
        result has them; otherwise slippage cost needs its rate: `slippage_bps`, else a numeric
        ``configuration["slippage_bps"]``, else it is left out of the costs.
        """
        equity = self.equity.to_numpy(dtype=np.float64)
        metrics: dict[str, float] = dict(self.summary.as_dict())
        if self.costs is not None:
            metrics.update(self.counts.as_dict())
        if self.summary.exposure is None and not self.positions.empty:
            metrics["exposure"] = exposure(self.positions.to_numpy(dtype=np.float64))
        timestamped = isinstance(self.equity.index, pd.DatetimeIndex)
        monte_carlo: dict[str, Any] = {}
        if monte_carlo_paths > 0 and len(equity) >= 3:
            monte_carlo = bootstrap_returns(
                simple_returns(equity),
                n_paths=monte_carlo_paths,
                method="stationary",
                seed=monte_carlo_seed,
            ).as_dict()
        return BacktestReport(
            title=title,
            equity=self.equity,
            drawdown=pd.Series(drawdown_series(equity), index=self.equity.index, name="drawdown"),
            metrics=metrics,
            trades=self.trades,
            configuration=configuration,
            monthly_returns=monthly_returns(self.equity) if timestamped else None,
            rolling_sharpe=(
                rolling_sharpe(self.equity, rolling_window)
                if timestamped and len(equity) > rolling_window
                else None
            ),
            cost_breakdown=self._cost_breakdown(slippage_bps, configuration, extra_costs),
            monte_carlo=monte_carlo,
            lookahead_warning=lookahead_warning,
        )

    def _cost_breakdown(
        self,
        slippage_bps: float | None,
        configuration: Mapping[str, Any],
        extra_costs: Mapping[str, float] | None,
    ) -> dict[str, float]:
        if self.costs is None:
            rate = _slippage_bps(slippage_bps, configuration)
            return cost_breakdown(self.trades, slippage_bps=rate, extra=extra_costs)
        # The simulator's totals include spread and volume slippage, which no single rate gives.
        simulated = {name: value for name, value in self.costs.items() if name != "commission"}
        return cost_breakdown(self.trades, extra={**simulated, **(extra_costs or {})})


def _slippage_bps(given: float | None, configuration: Mapping[str, Any]) -> float | None:
    if given is not None:
        return float(given)
    try:
        rate = float(configuration["slippage_bps"])
    except (KeyError, TypeError, ValueError):
        return None
    return rate if 0.0 <= rate < 10_000.0 else None


def _panel(bars: pd.DataFrame, column: str, symbols: list[str]) -> pd.DataFrame:
    return bars.pivot(index="timestamp", columns="symbol", values=column).reindex(columns=symbols)


def _fill_frames(
    fills: kernels.Fills, index: pd.DatetimeIndex, symbols: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulator's fills as (fills, round trips) frames labelled by timestamp and symbol."""
    quantity = fills.quantity
    frame = pd.DataFrame(
        {
            "timestamp": index[fills.bar],
            "symbol": [symbols[column] for column in fills.symbol.tolist()],
            "side": np.where(quantity > 0, OrderSide.BUY.value, OrderSide.SELL.value),
            "quantity": np.abs(quantity),
            "price": fills.price,
            "commission": fills.commission,
            "slippage": fills.slippage,
            "impact": fills.impact,
            "reason": [FILL_REASONS.get(code, str(code)) for code in fills.reason.tolist()],
        },
        columns=list(FILL_COLUMNS),
    )
    trips = pd.DataFrame(
        [
            {
                "symbol": symbols[trip.symbol],
                "entry_timestamp": index[trip.entry_bar],
                "entry_price": trip.entry_price,
                "exit_timestamp": index[trip.exit_bar],
                "exit_price": trip.exit_price,
                "quantity": trip.quantity,
                "pnl": trip.pnl,
            }
            for trip in kernels.round_trips(fills)
        ],
        columns=list(ROUND_TRIP_COLUMNS),
    )
    return frame, trips


def _cost_model(
    commission: CommissionSchedule, slippage: SlippageModel, costs: kernels.CostModel | None
) -> kernels.CostModel:
    others = kernels.CostModel() if costs is None else costs
    clashing = [name for name in _SCHEDULE_FIELDS if getattr(others, name) != 0]
    if clashing:
        raise ValidationError(
            f"costs.{clashing[0]} is {getattr(others, clashing[0])}: the commission schedule "
            "and slippage model set it; leave it at 0 in the cost model"
        )
    return attrs.evolve(
        others,
        commission_per_share=float(commission.per_share),
        commission_minimum=float(commission.minimum),
        commission_bps=float(commission.bps),
        slippage_bps=float(slippage.bps),
    )


def _volatility(close_prices: pd.DataFrame, window: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Daily volatility known at each bar's open: from returns up to the previous close.

    0 until a symbol has two returns (no impact during the warm-up) and where it has no bar.
    """
    returns = close_prices.ffill().pct_change(fill_method=None)
    sigma = returns.rolling(window, min_periods=2).std(ddof=1).shift(1)
    return sigma.fillna(0.0).to_numpy(dtype=np.float64)


def backtest_weights(
    bars: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
) -> BacktestResult:
    """Trade target weights (timestamps × symbols, NaN = hold) over the bars they cover.

    Weights decided at a bar's close trade at the next bar's open (no same-bar look-ahead).
    `commission` and `slippage` give the cost model's commission and slippage rates; `costs`
    adds the other models (its commission/slippage rates must stay 0) and `margin` the margin
    rules. Square-root impact uses the std of the last VOLATILITY_WINDOW daily returns; tiered
    commissions count shares per calendar month (UTC).
    """
    symbols = [str(symbol) for symbol in weights.columns]
    panels = {
        column: _panel(bars, column, symbols)
        for column in ("open", "high", "low", "close", "volume")
    }
    open_prices = panels["open"]
    unknown = weights.index.difference(open_prices.index)
    if len(unknown):
        raise DataError(f"target weights at {unknown[0].isoformat()} have no stored bar")
    aligned = weights.reindex(index=open_prices.index).to_numpy(dtype=np.float64)
    index = pd.DatetimeIndex(open_prices.index)
    cost_model = _cost_model(commission, slippage, costs)
    volatility = (
        _volatility(panels["close"], VOLATILITY_WINDOW)
        if cost_model.square_root_impact > 0
        else None
    )
    simulation = kernels.simulate_portfolio(
        *(panel.to_numpy(dtype=np.float64) for panel in panels.values()),
        initial_cash=float(initial_cash),
        target_weights=aligned,
        costs=cost_model,
        margin=margin,
        rebalance_band=rebalance_band,
        volatility=volatility,
        month=(index.year * 12 + index.month).to_numpy(dtype=np.int64),
    )
    fills = simulation.fills
    traded_notional = np.zeros(len(index))
    np.add.at(traded_notional, fills.bar, np.abs(fills.quantity) * fills.price)
    fill_frame, trips = _fill_frames(fills, index, symbols)
    summary = summarize(
        simulation.equity,
        traded_notional,
        len(fills.bar),
        trade_pnl=trips["pnl"].to_numpy(dtype=np.float64),
        positions=simulation.positions,
    )
    flags = simulation.flags
    return BacktestResult(
        equity=pd.Series(simulation.equity, index=open_prices.index, name="equity"),
        positions=pd.DataFrame(simulation.positions, index=open_prices.index, columns=symbols),
        trades=fill_frame.loc[:, list(TRADE_COLUMNS)],
        summary=summary,
        fills=fill_frame,
        round_trips=trips,
        costs=simulation.costs._asdict(),
        counts=SimulationCounts(flags.margin_calls, flags.orders_cut, flags.orders_rejected),
    )


def run_backtest(
    bar_store: BarStore,
    predictions: pd.DataFrame,
    *,
    strategy: ThresholdStrategy,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
) -> BacktestResult:
    """Trade the threshold strategy's weights from the first to the last predicted bar."""
    if predictions.empty:
        raise DataError("no out-of-sample predictions: train a model first")
    symbols = sorted(predictions["symbol"].unique().tolist())
    start, end = predictions["timestamp"].min(), predictions["timestamp"].max()
    bars = bar_store.read_bars(symbols, start.to_pydatetime(), end.to_pydatetime())
    if bars.empty:
        raise DataError(f"no stored bars between {start.isoformat()} and {end.isoformat()}")
    probabilities = predictions.pivot(
        index="timestamp", columns="symbol", values="probability_up"
    ).reindex(index=_panel(bars, "open", symbols).index, columns=symbols)
    weights = pd.DataFrame(
        strategy.target_weights(probabilities.to_numpy(dtype=np.float64)),
        index=probabilities.index,
        columns=symbols,
    )
    return backtest_weights(
        bars,
        weights,
        commission=commission,
        slippage=slippage,
        initial_cash=initial_cash,
        rebalance_band=rebalance_band,
        costs=costs,
        margin=margin,
    )


def run_strategy_backtest(
    bar_store: BarStore,
    strategy: WeightsStrategy,
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    symbols: Sequence[str] | None = None,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
) -> BacktestResult:
    """Backtest a rule or user strategy (bars → target weights) over the stored bars."""
    bars = bar_store.read_bars(symbols)
    if bars.empty:
        raise DataError("bar store is empty: generate or import data first")
    weights = check_weights(strategy(bars), set(bars["symbol"].unique()))
    return backtest_weights(
        bars,
        weights,
        commission=commission,
        slippage=slippage,
        initial_cash=initial_cash,
        rebalance_band=rebalance_band,
        costs=costs,
        margin=margin,
    )


def check_weights(weights: object, symbols: set[str]) -> pd.DataFrame:
    """A strategy's output must be a frame of finite-or-NaN weights over known symbols,
    indexed by distinct UTC bar timestamps with one column per symbol."""
    if not isinstance(weights, pd.DataFrame):
        raise DataError(f"strategy returned {type(weights).__name__}, not a DataFrame of weights")
    unknown = sorted(str(column) for column in weights.columns if column not in symbols)
    if unknown:
        raise DataError(f"strategy weights name unknown symbol(s) {', '.join(unknown)}")
    repeated = weights.columns[weights.columns.duplicated()]
    if len(repeated):
        raise DataError(f"strategy weights name {repeated[0]} in more than one column")
    if not isinstance(weights.index, pd.DatetimeIndex):
        raise DataError("strategy weights must be indexed by bar timestamp")
    if weights.index.tz is None:
        raise DataError("strategy weights are indexed by naive timestamps; use UTC timestamps")
    repeated_times = weights.index[weights.index.duplicated()]
    if len(repeated_times):
        raise DataError(f"strategy weights repeat the timestamp {repeated_times[0].isoformat()}")
    for column in weights.columns:
        if not pd.api.types.is_numeric_dtype(weights[column]):
            raise DataError(
                f"strategy weights for {column} are not numbers ({weights[column].dtype})"
            )
    values = weights.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise DataError("strategy weights contain an infinite value")
    return weights
