"""Plain numpy / Python reference implementations the Rust kernels must agree with.

Written from the textbook definitions, not from the kernels' code, so that a shared mistake is
unlikely. Loaded through the `reference` fixture in conftest.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from quantcli.kernels import CostModel

FloatArray = npt.NDArray[np.float64]


def sma(values: FloatArray, period: int) -> FloatArray:
    out = np.full(len(values), np.nan)
    out[period - 1 :] = sliding_window_view(values, period).sum(axis=1) / period
    return out


def rolling_std(values: FloatArray, window: int, ddof: int = 1) -> FloatArray:
    out = np.full(len(values), np.nan)
    out[window - 1 :] = np.std(sliding_window_view(values, window), axis=1, ddof=ddof)
    return out


def pct_return(values: FloatArray, horizon: int) -> FloatArray:
    out = np.full(len(values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[horizon:] = values[horizon:] / values[:-horizon] - 1.0
    return out


def _first_non_nan(values: FloatArray) -> int:
    finite = np.flatnonzero(~np.isnan(values))
    return int(finite[0]) if len(finite) else len(values)


def ema(values: FloatArray, period: int) -> FloatArray:
    """TA-Lib's EMA: leading NaNs skipped, seeded with a plain mean, NaN sticks once seen."""
    out = np.full(len(values), np.nan)
    start = _first_non_nan(values)
    seed_index = start + period - 1
    if seed_index >= len(values):
        return out
    alpha = 2.0 / (period + 1)
    level = float(np.mean(values[start : seed_index + 1]))
    out[seed_index] = level
    for t in range(seed_index + 1, len(values)):
        level = alpha * values[t] + (1.0 - alpha) * level
        out[t] = level
    return out


def _strength_index(gain: float, loss: float) -> float:
    if gain + loss == 0.0:
        return 0.0  # TA-Lib's convention for a window without a single change.
    if loss == 0.0:
        return 100.0
    return 100.0 - 100.0 / (1.0 + gain / loss)


def rsi(close: FloatArray, period: int) -> FloatArray:
    """Wilder's RSI; NaN from the first non-finite change after the leading NaNs onward."""
    out = np.full(len(close), np.nan)
    start = _first_non_nan(close)
    if start + period >= len(close):
        return out
    changes = np.diff(close[start:])
    gains = np.where(changes > 0, changes, 0.0)
    losses = np.where(changes < 0, -changes, 0.0)
    avg_gain = float(np.mean(gains[:period]))
    avg_loss = float(np.mean(losses[:period]))
    out[start + period] = _strength_index(avg_gain, avg_loss)
    for i in range(period, len(changes)):
        avg_gain = (avg_gain * (period - 1) + gains[i]) / period
        avg_loss = (avg_loss * (period - 1) + losses[i]) / period
        out[start + i + 1] = _strength_index(avg_gain, avg_loss)
    broken = np.flatnonzero(~np.isfinite(changes))
    if len(broken):
        out[start + broken[0] + 1 :] = np.nan
    return out


class WeightsRun(NamedTuple):
    """equity and cash at each close, positions after each bar, and the fills in order as
    (bar, symbol, signed shares, price, commission, slippage cost) tuples."""

    equity: FloatArray
    cash: FloatArray
    positions: FloatArray
    fills: list[tuple[int, int, float, float, float, float]]


def simulate_portfolio_weights(
    open: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    *,
    target_weights: FloatArray,
    initial_cash: float,
    costs: CostModel | None = None,
    rebalance_band: float = 0.0,
) -> WeightsRun:
    """Bar by bar, symbol by symbol: `simulate_portfolio`'s target-weight rules as a loop.

    Only the simple costs: a per-share commission with a per-fill minimum, commission bps of
    notional and slippage bps (a `CostModel` with everything else at its default). A NaN open
    means no bar: the symbol neither trades nor has a close, and holdings are worth its last
    close. high, low and volume move nothing under these costs.
    """
    per_share, minimum, bps, slippage_bps = _simple_costs(costs)
    n_bars, n_symbols = open.shape
    cash = float(initial_cash)
    position = [0.0] * n_symbols
    last_close = [0.0] * n_symbols  # a holding nobody has priced yet is worth nothing
    equity_out, cash_out = np.zeros(n_bars), np.zeros(n_bars)
    positions_out = np.zeros((n_bars, n_symbols))
    fills: list[tuple[int, int, float, float, float, float]] = []
    for bar in range(n_bars):
        if bar > 0:
            equity_at_open = cash
            for s in range(n_symbols):
                price = open[bar, s] if not math.isnan(open[bar, s]) else last_close[s]
                equity_at_open += position[s] * price
            for s in range(n_symbols):
                price, weight = float(open[bar, s]), float(target_weights[bar - 1, s])
                # Weights of a non-positive equity size nothing: every position is held.
                if math.isnan(price) or math.isnan(weight) or equity_at_open <= 0:
                    continue
                target = math.trunc(weight * equity_at_open / price)
                delta = target - position[s]
                if delta == 0:
                    continue
                keeps_side = position[s] * target > 0
                if keeps_side and abs(delta * price) < rebalance_band * equity_at_open:
                    continue
                side = 1.0 if delta > 0 else -1.0
                fill_price = price * (1.0 + side * slippage_bps / 1e4)
                fee = max(per_share * abs(delta), minimum) + bps / 1e4 * abs(delta) * fill_price
                cash -= delta * fill_price + fee
                position[s] += delta
                slipped = abs(delta) * price * (slippage_bps / 1e4)
                fills.append((bar, s, float(delta), fill_price, fee, slipped))
        equity = cash
        for s in range(n_symbols):
            if not math.isnan(close[bar, s]):
                last_close[s] = float(close[bar, s])
            equity += position[s] * last_close[s]
        equity_out[bar], cash_out[bar] = equity, cash
        positions_out[bar] = position
    return WeightsRun(equity_out, cash_out, positions_out, fills)


def _simple_costs(costs: CostModel | None) -> tuple[float, float, float, float]:
    """The four simple rates of a `CostModel`; a cost model that sets any other is an error."""
    costs = CostModel() if costs is None else costs
    simple = (
        costs.commission_per_share,
        costs.commission_minimum,
        costs.commission_bps,
        costs.slippage_bps,
    )
    zeroed = attrs.evolve(
        costs,
        commission_per_share=0.0,
        commission_minimum=0.0,
        commission_bps=0.0,
        slippage_bps=0.0,
    )
    if zeroed != CostModel():
        raise ValueError(f"the weights reference models only the simple costs, not {zeroed}")
    return simple


def assert_close(
    actual: FloatArray, expected: FloatArray, *, scale: float = 0.0, rtol: float = 1e-9
) -> None:
    """Same shape, float64, NaN at the same places, values within rtol (floor rtol × scale)."""
    assert actual.dtype == np.float64
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg="NaN positions")
    present = ~np.isnan(expected)
    np.testing.assert_allclose(actual[present], expected[present], rtol=rtol, atol=rtol * scale)


def magnitude(values: FloatArray) -> float:
    """Largest finite |value|: the absolute error floor for results built from these values."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max(initial=0.0))


# --- references for the TA-Lib-exact indicators and the ones TA-Lib lacks ---------------------


def clean_runs(*series: FloatArray) -> list[tuple[int, int]]:
    """Maximal [start, stop) ranges where no series holds a NaN."""
    gap = np.zeros(len(series[0]), dtype=bool)
    for values in series:
        gap |= np.isnan(values)
    runs, start = [], None
    for i, bad in enumerate(gap.tolist()):
        if not bad and start is None:
            start = i
        elif bad and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(gap)))
    return runs


def per_run(
    function: Callable[..., Any], *series: FloatArray, outputs: int = 1, first_only: bool = False
) -> Any:
    """Applies `function` (e.g. a TA-Lib call) to each clean run; NaN elsewhere.

    With `first_only`, only the first run counts and everything after it is NaN: the rule for
    recursive indicators, which never forget a NaN.
    """
    results = [np.full(len(series[0]), np.nan) for _ in range(outputs)]
    runs = clean_runs(*series)
    for start, stop in runs[:1] if first_only else runs:
        got = function(*(values[start:stop] for values in series))
        got = (got,) if outputs == 1 else got
        for out, part in zip(results, got, strict=True):
            out[start:stop] = part
    return results[0] if outputs == 1 else tuple(results)


def window_apply(
    values: FloatArray, window: int, function: Callable[[FloatArray], FloatArray]
) -> FloatArray:
    """function(window values) for every full window; NaN before and where a NaN is inside."""
    out = np.full(len(values), np.nan)
    if window > len(values):
        return out
    windows = sliding_window_view(values, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[window - 1 :] = function(windows)
    out[window - 1 :][np.isnan(windows).any(axis=1)] = np.nan
    return out


def rolling_vwap(price: FloatArray, volume: FloatArray, window: int) -> FloatArray:
    turnover = window_apply(price * volume, window, lambda w: w.sum(axis=1))
    volumes = window_apply(volume, window, lambda w: w.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(volumes != 0, turnover / volumes, np.nan)


def session_vwap(
    price: FloatArray, volume: FloatArray, session: npt.NDArray[np.int64]
) -> FloatArray:
    out = np.full(len(price), np.nan)
    turnover = total = 0.0
    for t in range(len(price)):
        if t == 0 or session[t] != session[t - 1]:
            turnover = total = 0.0
        turnover += price[t] * volume[t]
        total += volume[t]
        out[t] = turnover / total if total != 0 else np.nan
    return out


def rolling_corr(x: FloatArray, y: FloatArray, window: int) -> FloatArray:
    out = np.full(len(x), np.nan)
    for t in range(window - 1, len(x)):
        a, b = x[t + 1 - window : t + 1], y[t + 1 - window : t + 1]
        da, db = a - a.mean(), b - b.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = (da * db).sum() / math.sqrt((da * da).sum() * (db * db).sum())
    return out


def rolling_beta(asset: FloatArray, benchmark: FloatArray, window: int) -> FloatArray:
    out = np.full(len(asset), np.nan)
    for t in range(window - 1, len(asset)):
        a, b = asset[t + 1 - window : t + 1], benchmark[t + 1 - window : t + 1]
        db = b - b.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = ((a - a.mean()) * db).sum() / (db * db).sum()
    return out
