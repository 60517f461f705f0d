"""Tables and series of a backtest tearsheet beyond the headline metrics: the worst drawdowns,
long/short/gross exposure over time, P&L by symbol and round-trip statistics."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from quantcli.application.analytics.performance import drawdown_episodes
from quantcli.domain.errors import ValidationError

DRAWDOWN_COLUMNS = ("start", "trough", "recovery", "depth", "length_bars")
EXPOSURE_COLUMNS = ("long", "short", "gross", "net")
TRADE_STATISTICS = (
    "round_trips",
    "average_holding_bars",
    "average_win",
    "average_loss",
    "largest_win",
    "largest_loss",
    "longest_winning_streak",
    "longest_losing_streak",
)
DEFAULT_WORST_DRAWDOWNS = 5


def worst_drawdowns(equity: pd.Series, count: int = DEFAULT_WORST_DRAWDOWNS) -> pd.DataFrame:
    """The `count` deepest drawdown episodes, deepest first: DRAWDOWN_COLUMNS.

    start is the peak before the fall, trough the lowest point, recovery the first bar back
    at the peak (NaT when the curve ends below it), depth the fall as a fraction (< 0) and
    length_bars the bars from the peak to the recovery, or to the last bar when not recovered.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationError(f"count {count!r} must be a positive integer")
    values = pd.to_numeric(equity, errors="coerce").to_numpy(dtype=np.float64)
    episodes = drawdown_episodes(values, equity.index) if values.size else []
    worst = sorted(episodes, key=lambda episode: episode.depth)[:count]
    last = len(values) - 1
    rows = [
        {
            "start": episode.peak_at,
            "trough": episode.trough_at,
            "recovery": episode.recovery_at if episode.recovered else pd.NaT,
            "depth": episode.depth,
            "length_bars": (episode.recovery_bar if episode.recovery_bar is not None else last)
            - episode.peak_bar,
        }
        for episode in worst
    ]
    table = pd.DataFrame(rows, columns=list(DRAWDOWN_COLUMNS))
    return table.astype({"depth": np.float64, "length_bars": np.int64})


def exposure_over_time(
    positions: pd.DataFrame, marks: pd.DataFrame, equity: pd.Series
) -> pd.DataFrame:
    """Long, short (negative), gross and net market value as fractions of equity at each bar.

    `positions` (shares) and `marks` (prices, e.g. closes) are timestamps × symbols; a missing
    mark carries the last one forward. Equity must be positive at every bar of `positions`.
    """
    prices = marks.reindex(index=positions.index, columns=positions.columns).ffill()
    value = positions.to_numpy(dtype=np.float64) * prices.to_numpy(dtype=np.float64)
    value = np.nan_to_num(value, nan=0.0)
    capital = pd.to_numeric(equity.reindex(positions.index), errors="coerce").to_numpy(
        dtype=np.float64
    )
    bad = np.flatnonzero(~(np.isfinite(capital) & (capital > 0)))
    if bad.size:
        raise ValidationError(f"equity at {positions.index[bad[0]]} is {capital[bad[0]]}")
    long = np.where(value > 0, value, 0.0).sum(axis=1) / capital
    short = np.where(value < 0, value, 0.0).sum(axis=1) / capital
    return pd.DataFrame(
        {"long": long, "short": short, "gross": long - short, "net": long + short},
        index=positions.index,
    )


def pnl_by_symbol(
    fills: pd.DataFrame,
    positions: pd.DataFrame,
    marks: pd.DataFrame,
    borrow: Mapping[str, float] | None = None,
) -> pd.Series:
    """Each symbol's P&L in currency, largest first: cash from its fills (fill prices carry
    slippage and impact) less commissions and borrow fees, plus the final position at the last
    mark. Summed over symbols it is the change in equity when the marks are the simulator's."""
    totals = {str(symbol): 0.0 for symbol in positions.columns}
    if not fills.empty:
        sign = np.where(fills["side"].astype(str).str.upper().eq("BUY"), -1.0, 1.0)
        quantity = fills["quantity"].to_numpy(dtype=np.float64)
        flow = sign * np.abs(quantity) * fills["price"].to_numpy(dtype=np.float64)
        flow -= fills["commission"].to_numpy(dtype=np.float64)
        for symbol, amount in zip(fills["symbol"].astype(str), flow.tolist(), strict=True):
            totals[symbol] = totals.get(symbol, 0.0) + amount
    for symbol, fee in (borrow or {}).items():
        totals[str(symbol)] = totals.get(str(symbol), 0.0) - float(fee)
    cash = pd.Series(totals, dtype=np.float64)
    if len(positions.index):
        last_marks = marks.reindex(columns=positions.columns).ffill().iloc[-1]
        held = positions.iloc[-1].astype(np.float64) * last_marks.astype(np.float64)
        held.index = held.index.astype(str)
        cash = cash.add(held.fillna(0.0), fill_value=0.0)
    return cash.sort_values(ascending=False, kind="stable").rename("pnl")


def trade_statistics(round_trips: pd.DataFrame, bars: pd.Index) -> dict[str, float]:
    """TRADE_STATISTICS of the round trips (entry_timestamp, exit_timestamp, pnl), in exit
    order. Holding periods count bars of `bars` from entry to exit; averages of wins or losses
    are NaN when there are none; a break-even trade ends both streaks."""
    count = len(round_trips)
    if count == 0:
        return {"round_trips": 0.0}
    ordered = round_trips.sort_values("exit_timestamp", kind="stable")
    pnl = ordered["pnl"].to_numpy(dtype=np.float64)
    entry = bars.get_indexer(pd.DatetimeIndex(ordered["entry_timestamp"]))
    exit_ = bars.get_indexer(pd.DatetimeIndex(ordered["exit_timestamp"]))
    if (entry < 0).any() or (exit_ < 0).any():
        raise ValidationError("a round trip's entry or exit is not a bar of the backtest")
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    return {
        "round_trips": float(count),
        "average_holding_bars": float(np.mean(exit_ - entry)),
        "average_win": float(wins.mean()) if wins.size else math.nan,
        "average_loss": float(losses.mean()) if losses.size else math.nan,
        "largest_win": float(wins.max()) if wins.size else math.nan,
        "largest_loss": float(losses.min()) if losses.size else math.nan,
        "longest_winning_streak": float(_longest_run(pnl > 0)),
        "longest_losing_streak": float(_longest_run(pnl < 0)),
    }


def _longest_run(flags: np.ndarray) -> int:
    longest = current = 0
    for flag in flags.tolist():
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest
