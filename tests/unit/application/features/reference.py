"""Plain numpy references for the features, written from the textbook definitions.

Loops and windows, no kernels: the features (built on the Rust kernels) must agree with these.
Loaded through the `reference` fixture in conftest.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def nan_array(n: int) -> FloatArray:
    return np.full(n, np.nan)


def lag(values: FloatArray, k: int) -> FloatArray:
    out = nan_array(len(values))
    out[k:] = values[:-k]
    return out


def window(values: FloatArray, n: int, t: int) -> FloatArray:
    return values[t - n + 1 : t + 1]


def rolling(values: FloatArray, n: int, statistic: object) -> FloatArray:
    out = nan_array(len(values))
    for t in range(n - 1, len(values)):
        out[t] = statistic(window(values, n, t))  # type: ignore[operator]
    return out


def sma(values: FloatArray, n: int) -> FloatArray:
    return rolling(values, n, np.mean)


def std(values: FloatArray, n: int, ddof: int = 1) -> FloatArray:
    return rolling(values, n, lambda w: np.std(w, ddof=ddof))


def ema(values: FloatArray, n: int, start: int = 0) -> FloatArray:
    """Seeded with the mean of the first n values from `start`; alpha 2 / (n + 1)."""
    out = nan_array(len(values))
    seed = start + n - 1
    level = float(np.mean(values[start : seed + 1]))
    out[seed] = level
    alpha = 2.0 / (n + 1)
    for t in range(seed + 1, len(values)):
        level = alpha * values[t] + (1 - alpha) * level
        out[t] = level
    return out


def simple_return(close: FloatArray, h: int) -> FloatArray:
    return close / lag(close, h) - 1


def wilder(values: FloatArray, n: int, first: int) -> FloatArray:
    """Mean of values[first - n + 1 .. first] at `first`, then (prev·(n-1) + x) / n."""
    out = nan_array(len(values))
    level = float(np.mean(values[first - n + 1 : first + 1]))
    out[first] = level
    for t in range(first + 1, len(values)):
        level = (level * (n - 1) + values[t]) / n
        out[t] = level
    return out


def rsi(close: FloatArray, n: int) -> FloatArray:
    change = close - lag(close, 1)
    gain = wilder(np.where(change > 0, change, 0.0), n, n)
    loss = wilder(np.where(change < 0, -change, 0.0), n, n)
    return 100 * gain / (gain + loss)


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    previous = lag(close, 1)
    return np.fmax(high - low, np.fmax(np.abs(high - previous), np.abs(low - previous)))


def atr(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    return wilder(true_range(high, low, close), n, n)


def macd(close: FloatArray, fast: int, slow: int, signal: int) -> tuple[FloatArray, ...]:
    """Both EMAs first defined at slow - 1 (the fast one seeded on its last `fast` closes)."""
    line = ema(close, fast, start=slow - fast) - ema(close, slow)
    signal_line = ema(line, signal, start=slow - 1)
    first = slow - 1 + signal - 1
    line[:first] = np.nan
    return line, signal_line, line - signal_line


def highest(values: FloatArray, n: int) -> FloatArray:
    return rolling(values, n, np.max)


def lowest(values: FloatArray, n: int) -> FloatArray:
    return rolling(values, n, np.min)


def stoch(
    high: FloatArray, low: FloatArray, close: FloatArray, *, fastk: int, slowk: int, slowd: int
) -> tuple[FloatArray, FloatArray]:
    hh, ll = highest(high, fastk), lowest(low, fastk)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(hh == ll, 0.0, 100 * (close - ll) / (hh - ll))
    raw[: fastk - 1] = np.nan
    k = nan_array(len(close))
    k[fastk - 1 :] = sma(raw[fastk - 1 :], slowk)
    d = nan_array(len(close))
    d[fastk - 1 + slowk - 1 :] = sma(k[fastk - 1 + slowk - 1 :], slowd)
    k[: fastk - 1 + slowk - 1 + slowd - 1] = np.nan
    return k, d


def willr(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    hh, ll = highest(high, n), lowest(low, n)
    return -100 * (hh - close) / (hh - ll)


def cci(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    typical = (high + low + close) / 3
    out = nan_array(len(close))
    for t in range(n - 1, len(close)):
        values = window(typical, n, t)
        mean = values.mean()
        deviation = np.abs(values - mean).mean()
        out[t] = (typical[t] - mean) / (0.015 * deviation)
    return out


def mfi(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, n: int
) -> FloatArray:
    typical = (high + low + close) / 3
    flow = typical * volume
    rising = typical > lag(typical, 1)
    falling = typical < lag(typical, 1)
    out = nan_array(len(close))
    for t in range(n, len(close)):
        span = slice(t - n + 1, t + 1)
        positive = flow[span][rising[span]].sum()
        negative = flow[span][falling[span]].sum()
        out[t] = 100 * positive / (positive + negative)
    return out


def directional(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int
) -> tuple[FloatArray, ...]:
    """Wilder's ADX, +DI and -DI as TA-Lib: sums over the first n - 1 moves, then S - S/n + x."""
    up = high - lag(high, 1)
    down = lag(low, 1) - low
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    tr = true_range(high, low, close)
    size = len(close)
    plus_di, minus_di, dx = nan_array(size), nan_array(size), nan_array(size)
    s_plus, s_minus, s_tr = plus_dm[1:n].sum(), minus_dm[1:n].sum(), tr[1:n].sum()
    for t in range(n, size):
        s_plus = s_plus - s_plus / n + plus_dm[t]
        s_minus = s_minus - s_minus / n + minus_dm[t]
        s_tr = s_tr - s_tr / n + tr[t]
        plus_di[t] = 100 * s_plus / s_tr
        minus_di[t] = 100 * s_minus / s_tr
        dx[t] = 100 * abs(plus_di[t] - minus_di[t]) / (plus_di[t] + minus_di[t])
    adx = wilder(dx, n, 2 * n - 1)
    return adx, plus_di, minus_di


def bollinger(close: FloatArray, n: int, k: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    middle = sma(close, n)
    spread = std(close, n, ddof=0)
    return middle + k * spread, middle, middle - k * spread


def obv(close: FloatArray, volume: FloatArray) -> FloatArray:
    out = np.empty(len(close))
    out[0] = volume[0]
    for t in range(1, len(close)):
        step = np.sign(close[t] - close[t - 1]) * volume[t]
        out[t] = out[t - 1] + step
    return out


def money_flow_volume(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray
) -> FloatArray:
    spread = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        multiplier = np.where(spread == 0, 0.0, ((close - low) - (high - close)) / spread)
    return multiplier * volume


def signed_volume(close: FloatArray, volume: FloatArray) -> FloatArray:
    signs = np.sign(close - lag(close, 1))
    return signs * volume


def flow(per_bar: FloatArray, volume: FloatArray, n: int) -> FloatArray:
    """Σ per_bar / Σ volume over the last n bars, from bar n on (a line's change needs t - n)."""
    out = nan_array(len(volume))
    for t in range(n, len(volume)):
        out[t] = window(per_bar, n, t).sum() / window(volume, n, t).sum()
    return out


def vwap(price: FloatArray, volume: FloatArray, n: int) -> FloatArray:
    out = nan_array(len(price))
    for t in range(n - 1, len(price)):
        out[t] = (window(price, n, t) * window(volume, n, t)).sum() / window(volume, n, t).sum()
    return out
