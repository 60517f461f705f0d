"""The tearsheet of a backtest report: benchmark, alpha and beta, worst drawdowns, returns,
rolling volatility and beta, exposure over time, P&L by symbol and trade statistics."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd

from quantcli.application.analytics.benchmark_analytics import (
    EQUAL_WEIGHT,
    alpha_beta,
    equal_weight_benchmark,
    rolling_beta,
    rolling_volatility,
)
from quantcli.application.analytics.tearsheet_analytics import (
    exposure_over_time,
    pnl_by_symbol,
    trade_statistics,
    worst_drawdowns,
)
from quantcli.application.backtest.ports import Tearsheet
from quantcli.application.marketdata.ports import BarStore
from quantcli.domain.errors import DataError


@attrs.frozen
class TearsheetInputs:
    """What a backtest leaves for its tearsheet; all but the equity may be missing."""

    equity: pd.Series  # indexed by UTC timestamp, positive
    initial_equity: float
    positions: pd.DataFrame | None = None  # timestamps × symbols, shares
    closes: pd.DataFrame | None = None  # timestamps × symbols: the marks
    fills: pd.DataFrame | None = None
    round_trips: pd.DataFrame | None = None
    borrow_by_symbol: Mapping[str, float] | None = None
    # A chosen benchmark's closes (named by the symbol); None: equal weight of `closes`.
    benchmark_closes: pd.Series | None = None


def build_tearsheet(
    inputs: TearsheetInputs, *, rolling_window: int, periods_per_year: float
) -> tuple[Tearsheet, dict[str, float]]:
    """The tearsheet and the metrics it adds (alpha, beta, benchmark_total_return when there
    is a benchmark). Rolling statistics need more than `rolling_window` bars."""
    equity = inputs.equity.astype(np.float64)
    returns = equity.pct_change().iloc[1:].rename("returns")
    benchmark, name = _benchmark(inputs)
    metrics: dict[str, float] = {}
    beta_series = None
    long_enough = len(returns) >= rolling_window
    if benchmark is not None:
        benchmark_returns = benchmark.pct_change().iloc[1:]
        fit = alpha_beta(returns, benchmark_returns, periods_per_year)
        metrics = {
            "alpha": fit.alpha,
            "beta": fit.beta,
            "benchmark_total_return": float(benchmark.iloc[-1] / benchmark.iloc[0] - 1.0),
        }
        if long_enough:
            beta_series = rolling_beta(returns, benchmark_returns, rolling_window)
    positions, closes, fills = inputs.positions, inputs.closes, inputs.fills
    sheet = Tearsheet(
        returns=returns,
        drawdowns=worst_drawdowns(equity),
        benchmark=benchmark,
        benchmark_name=name,
        rolling_window=rolling_window,
        rolling_volatility=(
            rolling_volatility(returns, rolling_window, periods_per_year) if long_enough else None
        ),
        rolling_beta=beta_series,
        exposure=(
            exposure_over_time(positions, closes, equity)
            if positions is not None and closes is not None and len(positions.columns)
            else None
        ),
        pnl_by_symbol=(
            pnl_by_symbol(fills, positions, closes, inputs.borrow_by_symbol)
            if fills is not None and positions is not None and closes is not None
            else None
        ),
        trade_statistics=(
            trade_statistics(inputs.round_trips, equity.index)
            if inputs.round_trips is not None
            else {}
        ),
    )
    return sheet, metrics


def read_benchmark_closes(bar_store: BarStore, symbol: str, bars: pd.Index) -> pd.Series:
    """The stored closes of `symbol` over the backtest's `bars` (timestamps), named by the
    symbol; DataError when it has none there."""
    stamps = pd.DatetimeIndex(bars)
    if stamps.empty:
        raise DataError(f"benchmark {symbol}: the backtest has no bars to compare with")
    first, last = stamps[0], stamps[-1]
    stored = bar_store.read_bars([symbol], first.to_pydatetime(), last.to_pydatetime())
    if stored.empty:
        raise DataError(
            f"benchmark {symbol} (backtest.report.benchmark) has no stored bars between "
            f"{first:%Y-%m-%d} and {last:%Y-%m-%d}; ingest it or set the benchmark to null"
        )
    closes = stored.set_index("timestamp")["close"].astype(np.float64)
    return closes.rename(symbol)


def _benchmark(inputs: TearsheetInputs) -> tuple[pd.Series | None, str]:
    index = inputs.equity.index
    if inputs.benchmark_closes is not None:
        closes = inputs.benchmark_closes.reindex(index).ffill().to_frame()
        symbol = str(inputs.benchmark_closes.name)
        name = f"buy-and-hold of {symbol}"
    elif inputs.closes is not None and inputs.closes.shape[1] > 0:
        closes = inputs.closes.reindex(index).ffill()
        symbols = [str(column) for column in closes.columns]
        name = f"{EQUAL_WEIGHT} of {', '.join(symbols)}"
    else:
        return None, ""
    if len(index) < 2 or closes.isna().all().any():
        return None, ""
    return equal_weight_benchmark(closes, inputs.initial_equity), name
