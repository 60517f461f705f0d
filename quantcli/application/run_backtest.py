"""Use case: backtest out-of-sample predictions with commission and slippage on next-open fills."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.performance import PerformanceSummary, drawdown_series, summarize
from quantcli.application.ports import BacktestReport, BarStore
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

    def report(self, title: str, configuration: Mapping[str, Any]) -> BacktestReport:
        equity = self.equity.to_numpy(dtype=np.float64)
        return BacktestReport(
            title=title,
            equity=self.equity,
            drawdown=pd.Series(drawdown_series(equity), index=self.equity.index, name="drawdown"),
            metrics=self.summary.as_dict(),
            trades=self.trades,
            configuration=configuration,
        )


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
    """Trade the strategy's weights from the first to the last predicted bar.

    Weights decided at a bar's close trade at the next bar's open (no same-bar look-ahead).
    """
    if predictions.empty:
        raise DataError("no out-of-sample predictions: train a model first")
    symbols = sorted(predictions["symbol"].unique().tolist())
    start, end = predictions["timestamp"].min(), predictions["timestamp"].max()
    bars = bar_store.read_bars(symbols, start.to_pydatetime(), end.to_pydatetime())
    if bars.empty:
        raise DataError(f"no stored bars between {start.isoformat()} and {end.isoformat()}")
    open_prices = _panel(bars, "open", symbols)
    close_prices = _panel(bars, "close", symbols)
    probabilities = (
        predictions.pivot(index="timestamp", columns="symbol", values="probability_up")
        .reindex(index=open_prices.index, columns=symbols)
        .to_numpy(dtype=np.float64)
    )
    weights = strategy.target_weights(probabilities)
    simulation = kernels.simulate_target_weights(
        open_prices.to_numpy(dtype=np.float64),
        close_prices.to_numpy(dtype=np.float64),
        weights,
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
    )
    trades = _trade_list(positions, open_prices, slippage, commission)
    return BacktestResult(equity=equity, positions=positions, trades=trades, summary=summary)
