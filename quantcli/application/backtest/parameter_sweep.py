"""Use case: sweep the SMA-crossover strategy over a grid of windows, symbol by symbol.

Each symbol trades on its own, all in, with the given signal rules (next-open fills and whole
shares by default); every (fast, slow) pair with fast < slow is one backtest, run in parallel.
Sharpe ratios are annualized with each symbol's own bars per year (`infer_annualization` of its
timestamps) unless `periods_per_year` is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.analytics.annualization import infer_annualization
from quantcli.application.marketdata.ports import BarStore
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.domain.errors import DataError, ValidationError

SWEEP_COLUMNS = ("symbol", "fast", "slow", "final_equity", "total_return", "sharpe", "trades")


def window_pairs(
    fast_windows: Sequence[int], slow_windows: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Every (fast, slow) with fast < slow, in grid order."""
    pairs = [(f, s) for f in sorted(set(fast_windows)) for s in sorted(set(slow_windows)) if f < s]
    if not pairs:
        raise ValidationError(
            f"no window pair with fast < slow in fast={list(fast_windows)}, "
            f"slow={list(slow_windows)}"
        )
    fast, slow = zip(*pairs, strict=True)
    return np.array(fast, dtype=np.int64), np.array(slow, dtype=np.int64)


def sweep_sma_crossover(
    bar_store: BarStore,
    *,
    fast_windows: Sequence[int],
    slow_windows: Sequence[int],
    rules: kernels.SignalRules,
    initial_cash: float,
    symbols: Sequence[str] | None = None,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """One row per symbol and window pair, best Sharpe first."""
    fast, slow = window_pairs(fast_windows, slow_windows)
    chosen = stored_symbols(bar_store, symbols)
    frames = []
    for symbol in chosen:
        bars = bar_store.read_bars([symbol])
        if bars.empty:
            raise DataError(f"no stored bars for {symbol}")
        if len(bars) <= int(slow.max()):
            raise DataError(
                f"{symbol} has {len(bars)} bars, too few for a {int(slow.max())}-bar average"
            )
        result = kernels.sma_cross_sweep(
            bars["open"].to_numpy(np.float64),
            bars["close"].to_numpy(np.float64),
            fast,
            slow,
            initial_cash=initial_cash,
            rules=rules,
            periods_per_year=(
                periods_per_year
                if periods_per_year is not None
                else infer_annualization(pd.DatetimeIndex(bars["timestamp"])).periods_per_year
            ),
        )
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "fast": result.fast,
                    "slow": result.slow,
                    "final_equity": result.final_equity,
                    "total_return": result.final_equity / initial_cash - 1.0,
                    "sharpe": result.sharpe,
                    "trades": result.trade_count,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["sharpe", "symbol"], ascending=[False, True], ignore_index=True)
