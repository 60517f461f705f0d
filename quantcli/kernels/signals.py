"""Event-driven all-in backtest of one instrument, and the SMA-crossover parameter sweep.

Events: +1 go long, -1 go short (or only close a long when shorts are off), 0 go flat, NaN
nothing; an event towards the side already held does nothing. Going to the other side closes
the position first, then enters with all the cash. Two presets reproduce the reference tools:
`BACKTESTING_PY` (backtesting.py with `exclusive_orders=True`: next-open fills, whole shares)
and `VECTORBT` (vectorbt's `Portfolio.from_signals`: same-bar close fills, fractional shares,
long only).
"""

from __future__ import annotations

import sys
from typing import Literal, NamedTuple, TypedDict

import attrs
import numpy as np
import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray

IntArray = npt.NDArray[np.int64]


@attrs.frozen
class SignalRules:
    """How events trade: fill timing, sizing, commission (fixed + rate × notional), shorts."""

    fill: Literal["next_open", "same_close"] = "next_open"
    sizing: Literal["whole", "fractional"] = "whole"
    commission_rate: float = 0.0
    commission_fixed: float = 0.0
    cash_fraction: float = 1.0
    allow_short: bool = True

    def with_commission(self, rate: float, fixed: float = 0.0) -> SignalRules:
        return attrs.evolve(self, commission_rate=rate, commission_fixed=fixed)


# backtesting.py sizes `buy()` as 1 - epsilon of the available margin.
BACKTESTING_PY = SignalRules(cash_fraction=1.0 - sys.float_info.epsilon)
VECTORBT = SignalRules(fill="same_close", sizing="fractional", allow_short=False)


class SignalTrades(NamedTuple):
    """Round trips in entry order; a trade still open at the end has exit_bar -1, exit_price NaN."""

    size: FloatArray
    entry_bar: IntArray
    entry_price: FloatArray
    exit_bar: IntArray
    exit_price: FloatArray
    commission: FloatArray


class SignalBacktest(NamedTuple):
    equity: FloatArray
    position: FloatArray
    trades: SignalTrades


class SweepResult(NamedTuple):
    fast: IntArray
    slow: IntArray
    final_equity: FloatArray
    sharpe: FloatArray
    trade_count: IntArray


def signal_backtest(
    open: npt.ArrayLike,
    close: npt.ArrayLike,
    events: npt.ArrayLike,
    *,
    initial_cash: float,
    rules: SignalRules = BACKTESTING_PY,
) -> SignalBacktest:
    """Trade `events` on one instrument; equity is cash plus the position at each close."""
    open_prices = inputs.series("open", open)
    close_prices = inputs.series("close", close)
    event_array = inputs.series("events", events)
    with inputs.kernel_errors():
        equity, position, size, entry_bar, entry_price, exit_bar, exit_price, commission = (
            _kernels.signal_backtest(
                open_prices,
                close_prices,
                event_array,
                initial_cash=inputs.real("initial_cash", initial_cash),
                **_rule_arguments(rules),
            )
        )
    trades = SignalTrades(size, entry_bar, entry_price, exit_bar, exit_price, commission)
    return SignalBacktest(equity, position, trades)


def sma_cross_sweep(
    open: npt.ArrayLike,
    close: npt.ArrayLike,
    fast: npt.ArrayLike,
    slow: npt.ArrayLike,
    *,
    initial_cash: float,
    rules: SignalRules = BACKTESTING_PY,
    periods_per_year: float = 252.0,
) -> SweepResult:
    """Backtest SMA(fast[i]) crossing SMA(slow[i]) for every i, in parallel, GIL released.

    A cross is strict (below on the previous bar, above now); up is +1, down -1. Each result
    holds the final equity, the annualized Sharpe of per-bar equity returns, and the trade count.
    """
    open_prices = inputs.series("open", open)
    close_prices = inputs.series("close", close)
    fast_windows = _windows("fast", fast, len(close_prices))
    slow_windows = _windows("slow", slow, len(close_prices))
    if fast_windows.shape != slow_windows.shape:
        raise ValidationError(
            f"fast has {fast_windows.size} windows but slow has {slow_windows.size}"
        )
    with inputs.kernel_errors():
        final_equity, sharpe, trade_count = _kernels.sma_cross_sweep(
            open_prices,
            close_prices,
            fast_windows.tolist(),
            slow_windows.tolist(),
            initial_cash=inputs.real("initial_cash", initial_cash),
            periods_per_year=inputs.real("periods_per_year", periods_per_year),
            **_rule_arguments(rules),
        )
    return SweepResult(fast_windows, slow_windows, final_equity, sharpe, trade_count)


def _windows(name: str, windows: npt.ArrayLike, series_length: int) -> IntArray:
    array = np.asarray(windows)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValidationError(
            f"{name} must be a 1-D array of ints, got {array.dtype} {array.shape}"
        )
    for window in array.tolist():
        inputs.length(name, window, series_length)
    return array.astype(np.int64)


class _RuleArguments(TypedDict):
    fill: str
    sizing: str
    commission_rate: float
    commission_fixed: float
    cash_fraction: float
    allow_short: bool


def _rule_arguments(rules: SignalRules) -> _RuleArguments:
    return {
        "fill": rules.fill,
        "sizing": rules.sizing,
        "commission_rate": inputs.real("commission_rate", rules.commission_rate),
        "commission_fixed": inputs.real("commission_fixed", rules.commission_fixed),
        "cash_fraction": inputs.real("cash_fraction", rules.cash_fraction),
        "allow_short": bool(rules.allow_short),
    }
