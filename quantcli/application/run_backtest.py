"""Use cases: backtest target weights (from a model or a rule) with costs on next-open fills."""

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
from quantcli.domain.errors import DataError
from quantcli.domain.trading_types import OrderSide, to_decimal


@attrs.frozen
class BacktestResult:
    equity: pd.Series
    positions: pd.DataFrame  # timestamps × symbols, shares held after each bar's open
    trades: pd.DataFrame  # timestamp, symbol, side, quantity, price, commission
    summary: PerformanceSummary

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
        (`monte_carlo_paths` = 0 leaves it out). Slippage cost needs its rate: `slippage_bps`,
        else a numeric ``configuration["slippage_bps"]``, else it is left out of the costs.
        """
        equity = self.equity.to_numpy(dtype=np.float64)
        metrics: dict[str, float] = dict(self.summary.as_dict())
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
            cost_breakdown=cost_breakdown(
                self.trades,
                slippage_bps=_slippage_bps(slippage_bps, configuration),
                extra=extra_costs,
            ),
            monte_carlo=monte_carlo,
            lookahead_warning=lookahead_warning,
        )


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


def _trade_list(
    positions: pd.DataFrame,
    open_prices: pd.DataFrame,
    slippage: SlippageModel,
    commission: CommissionSchedule,
) -> pd.DataFrame:
    held = positions.to_numpy(dtype=np.float64)
    changes = np.diff(held, axis=0, prepend=0.0)
    opens = open_prices.to_numpy(dtype=np.float64)
    rows = []
    for bar, column in zip(*np.nonzero(changes), strict=True):
        delta = float(changes[bar, column])
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        quantity = to_decimal(abs(delta), "quantity")
        price = slippage.fill_price(to_decimal(float(opens[bar, column])), side)
        rows.append(
            {
                "timestamp": positions.index[bar],
                "symbol": positions.columns[column],
                "side": side.value,
                "quantity": float(quantity),
                "price": float(price),
                "commission": float(commission.commission(quantity, price)),
            }
        )
    columns = ["timestamp", "symbol", "side", "quantity", "price", "commission"]
    return pd.DataFrame(rows, columns=columns)


def backtest_weights(
    bars: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
) -> BacktestResult:
    """Trade target weights (timestamps × symbols, NaN = hold) over the bars they cover.

    Weights decided at a bar's close trade at the next bar's open (no same-bar look-ahead).
    """
    symbols = [str(symbol) for symbol in weights.columns]
    open_prices = _panel(bars, "open", symbols)
    close_prices = _panel(bars, "close", symbols)
    unknown = weights.index.difference(open_prices.index)
    if len(unknown):
        raise DataError(f"target weights at {unknown[0].isoformat()} have no stored bar")
    aligned = weights.reindex(index=open_prices.index).to_numpy(dtype=np.float64)
    simulation = kernels.simulate_target_weights(
        open_prices.to_numpy(dtype=np.float64),
        close_prices.to_numpy(dtype=np.float64),
        aligned,
        initial_cash=float(initial_cash),
        commission_per_share=float(commission.per_share),
        commission_minimum=float(commission.minimum),
        commission_bps=float(commission.bps),
        slippage_bps=float(slippage.bps),
        rebalance_band=rebalance_band,
    )
    index = open_prices.index
    equity = pd.Series(simulation.equity, index=index, name="equity")
    positions = pd.DataFrame(simulation.positions, index=index, columns=symbols)
    summary = summarize(
        simulation.equity,
        simulation.traded_notional,
        simulation.trade_count,
        positions=simulation.positions,
    )
    trades = _trade_list(positions, open_prices, slippage, commission)
    return BacktestResult(equity=equity, positions=positions, trades=trades, summary=summary)


def run_backtest(
    bar_store: BarStore,
    predictions: pd.DataFrame,
    *,
    strategy: ThresholdStrategy,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
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
