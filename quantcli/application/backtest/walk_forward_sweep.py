"""Use case: walk-forward optimization of the SMA crossover, symbol by symbol.

`walk_forward` lays out the windows of each symbol's bars. Its refit hook sweeps every
(fast, slow) pair with `sweep_sma_crossover` over a read-only view holding the training bars
alone and keeps the pair with the best Sharpe (the sweep's first row). The test window is then
traded with that pair by `signal_backtest`, on the same rules:

- warm-up: the backtest runs on bars [test start - slow, test end), so both averages, and a
  cross on the first test bar, are computed from past bars only; no bar after the test window
  is ever read;
- events on the warm-up bars are masked (NaN), so nothing trades before the test window and
  the equity stays flat at the starting cash over them;
- rebase: the starting cash is the previous window's ending equity (the first window's is
  `initial_cash`), and the test window's equity curve is the backtest's equity with the
  warm-up prefix dropped; no scaling is needed, and whole shares are sized against the real
  account value;
- every window starts flat and, as in the sweep, only strict crosses trade, so a window waits
  for its first cross; a position still open on the last test bar is marked at that close and
  the next window starts from that value (no closing commission is charged).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.analytics.annualization import infer_annualization
from quantcli.application.analytics.performance import FloatArray
from quantcli.application.backtest.parameter_sweep import sweep_sma_crossover, window_pairs
from quantcli.application.backtest.ports import WalkForwardReport, WalkForwardRun
from quantcli.application.backtest.walk_forward import (
    BarRange,
    WalkForwardResult,
    WindowMode,
    walk_forward,
)
from quantcli.application.backtest.walk_forward_analytics import walk_forward_run
from quantcli.application.marketdata.ports import BarStore
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.domain.errors import DataError, ValidationError

WINDOW_COLUMNS = (
    "symbol",
    "window",
    "train_start",
    "train_end",
    "test_start",
    "test_end",
    "fast",
    "slow",
    "train_sharpe",
    "starting_equity",
    "ending_equity",
    "test_return",
)


@attrs.frozen
class ChosenPair:
    """The (fast, slow) pair a training window picked, and its in-sample Sharpe."""

    fast: int
    slow: int
    train_sharpe: float


@attrs.frozen
class SymbolWalkForward:
    """One symbol's stitched out-of-sample run and the pair each window traded."""

    symbol: str
    walk: WalkForwardResult

    @property
    def pairs(self) -> tuple[ChosenPair, ...]:
        return tuple(window.fitted for window in self.walk.windows)

    @property
    def total_return(self) -> float:
        return self.walk.metrics["total_return"]

    @property
    def sharpe(self) -> float:
        return self.walk.metrics["sharpe"]

    @property
    def max_drawdown(self) -> float:
        return self.walk.metrics["max_drawdown"]

    def report_run(self) -> WalkForwardRun:
        """This symbol's part of the walk-forward report: windows with their chosen pair."""
        return walk_forward_run(
            self.symbol,
            self.walk,
            parameters=[{"fast": pair.fast, "slow": pair.slow} for pair in self.pairs],
            in_sample_sharpe=[pair.train_sharpe for pair in self.pairs],
        )

    def window_table(self) -> pd.DataFrame:
        """One row per window, columns WINDOW_COLUMNS."""
        rows = [
            (
                self.symbol,
                result.window.number,
                result.window.train.first_at,
                result.window.train.last_at,
                result.window.test.first_at,
                result.window.test.last_at,
                result.fitted.fast,
                result.fitted.slow,
                result.fitted.train_sharpe,
                result.starting_equity,
                float(result.equity[-1]),
                result.metrics["total_return"],
            )
            for result in self.walk.windows
        ]
        return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


@attrs.frozen
class WalkForwardSweep:
    """Every symbol's walk-forward run, in the order the symbols were given."""

    symbols: tuple[SymbolWalkForward, ...]
    train_length: int
    test_length: int
    mode: WindowMode

    def window_table(self) -> pd.DataFrame:
        """One row per symbol and window, columns WINDOW_COLUMNS."""
        return pd.concat([run.window_table() for run in self.symbols], ignore_index=True)

    def report(
        self,
        title: str,
        configuration: Mapping[str, Any],
        *,
        lookahead_warning: str | None = None,
    ) -> WalkForwardReport:
        """The walk-forward report: one run per symbol, in order, and the configuration."""
        return WalkForwardReport(
            title=title,
            runs=tuple(run.report_run() for run in self.symbols),
            configuration={
                "train_length": self.train_length,
                "test_length": self.test_length,
                "mode": self.mode,
                **configuration,
            },
            lookahead_warning=lookahead_warning,
        )


def walk_forward_sma_crossover(
    bar_store: BarStore,
    *,
    fast_windows: Sequence[int],
    slow_windows: Sequence[int],
    rules: kernels.SignalRules,
    initial_cash: float,
    train_length: int,
    test_length: int,
    mode: WindowMode = "rolling",
    symbols: Sequence[str] | None = None,
    periods_per_year: float | None = None,
) -> WalkForwardSweep:
    """Per symbol: pick the best-Sharpe pair on each training window, trade it out of sample.

    Sharpe ratios (the refits' and the test windows') are annualized with `periods_per_year`,
    None with the symbol's own bars per year over all its bars (`infer_annualization`).

    Windows step by `test_length`, so the test windows tile the bars after the first
    training window; the stitched equity starts from `initial_cash`.
    """
    _, slow = window_pairs(fast_windows, slow_windows)
    longest = int(slow.max())
    if longest >= train_length:
        raise ValidationError(
            f"slow window {longest} needs more bars than train_length {train_length}"
        )
    if not (math.isfinite(initial_cash) and initial_cash > 0):
        raise ValidationError(f"initial_cash {initial_cash} is not a positive number")
    chosen = stored_symbols(bar_store, symbols)
    runs = []
    for symbol in chosen:
        bars = bar_store.read_bars([symbol])
        if bars.empty:
            raise DataError(f"no stored bars for {symbol}")
        if len(bars) < train_length + test_length:
            raise DataError(
                f"{symbol} has {len(bars)} bars, too few for one walk-forward window of "
                f"train {train_length} + test {test_length} bars"
            )
        runs.append(
            SymbolWalkForward(
                symbol,
                _walk_symbol(
                    symbol,
                    bars.reset_index(drop=True),
                    fast_windows=fast_windows,
                    slow_windows=slow_windows,
                    rules=rules,
                    initial_cash=initial_cash,
                    train_length=train_length,
                    test_length=test_length,
                    mode=mode,
                    periods_per_year=(
                        periods_per_year
                        if periods_per_year is not None
                        else infer_annualization(
                            pd.DatetimeIndex(bars["timestamp"])
                        ).periods_per_year
                    ),
                ),
            )
        )
    return WalkForwardSweep(tuple(runs), train_length, test_length, mode)


def _walk_symbol(
    symbol: str,
    bars: pd.DataFrame,
    *,
    fast_windows: Sequence[int],
    slow_windows: Sequence[int],
    rules: kernels.SignalRules,
    initial_cash: float,
    train_length: int,
    test_length: int,
    mode: WindowMode,
    periods_per_year: float,
) -> WalkForwardResult:
    open_prices = bars["open"].to_numpy(np.float64)
    close_prices = bars["close"].to_numpy(np.float64)

    def refit(train: BarRange) -> ChosenPair:
        training = _TrainingBars(bars.iloc[train.as_slice()])
        best = sweep_sma_crossover(
            training,
            fast_windows=fast_windows,
            slow_windows=slow_windows,
            rules=rules,
            initial_cash=initial_cash,
            symbols=[symbol],
            periods_per_year=periods_per_year,
        ).iloc[0]
        return ChosenPair(int(best["fast"]), int(best["slow"]), float(best["sharpe"]))

    def run_window(pair: ChosenPair, test: BarRange, starting_equity: float) -> FloatArray:
        return trade_test_window(
            open_prices, close_prices, pair, test, starting_equity=starting_equity, rules=rules
        )

    return walk_forward(
        pd.DatetimeIndex(bars["timestamp"]),
        train_length=train_length,
        test_length=test_length,
        refit=refit,
        run_window=run_window,
        mode=mode,
        initial_equity=initial_cash,
        periods_per_year=periods_per_year,
    )


def trade_test_window(
    open_prices: FloatArray,
    close_prices: FloatArray,
    pair: ChosenPair,
    test: BarRange,
    *,
    starting_equity: float,
    rules: kernels.SignalRules,
) -> FloatArray:
    """The equity after each bar of `test`, trading `pair`'s crosses inside it (see above)."""
    warm_up = min(pair.slow, test.start)
    history = slice(test.start - warm_up, test.stop)
    close = close_prices[history]
    difference = kernels.sma(close, pair.fast) - kernels.sma(close, pair.slow)
    events = np.full(close.size, math.nan)
    events[1:][(difference[:-1] < 0) & (difference[1:] > 0)] = 1.0
    events[1:][(difference[:-1] > 0) & (difference[1:] < 0)] = -1.0
    events[:warm_up] = math.nan  # past bars only feed the averages; trading starts at the test
    run = kernels.signal_backtest(
        open_prices[history], close, events, initial_cash=starting_equity, rules=rules
    )
    return run.equity[warm_up:]


@attrs.define
class _TrainingBars:
    """A read-only BarStore over one symbol's training bars: the refit can see nothing else."""

    _bars: pd.DataFrame

    def write_bars(self, bars: pd.DataFrame) -> int:
        raise ValidationError("the training view of the bars is read-only")

    def replace_bars(self, bars: pd.DataFrame) -> int:
        raise ValidationError("the training view of the bars is read-only")

    def read_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        bars = self._bars
        if symbols is not None:
            bars = bars[bars["symbol"].isin(list(symbols))]
        if start is not None:
            bars = bars[bars["timestamp"] >= pd.Timestamp(start)]
        if end is not None:
            bars = bars[bars["timestamp"] <= pd.Timestamp(end)]
        return bars.reset_index(drop=True).copy()

    def symbols(self) -> list[str]:
        return sorted(self._bars["symbol"].unique().tolist())

    def bar_count(self) -> int:
        return len(self._bars)
