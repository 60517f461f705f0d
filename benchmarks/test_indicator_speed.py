"""Rust kernels against their numpy / Python references (and TA-Lib) on the same data.

Each group times the kernel ("kernel") and its references; conftest.py prints the ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import talib
from numpy.lib.stride_tricks import sliding_window_view

from quantcli import kernels

PERIOD = 20
RSI_PERIOD = 14
HORIZON = 5
Measure = Callable[..., Any]


def sma_cumsum(values: np.ndarray, period: int) -> np.ndarray:
    """The usual vectorised SMA: fast, but the cumulative sum drifts on long series."""
    totals = np.cumsum(np.concatenate([[0.0], values]))
    out = np.full(len(values), np.nan)
    out[period - 1 :] = (totals[period:] - totals[:-period]) / period
    return out


def ema_loop(values: np.ndarray, period: int) -> np.ndarray:
    """EMA has no vectorised numpy form: a loop over a Python list."""
    alpha = 2.0 / (period + 1)
    xs = values.tolist()
    level = sum(xs[:period]) / period
    out = [np.nan] * (period - 1) + [level]
    for x in xs[period:]:
        level += alpha * (x - level)
        out.append(level)
    return np.array(out)


def rsi_loop(close: np.ndarray, period: int) -> np.ndarray:
    """Vectorised gains and losses, then Wilder's smoothing as a loop."""
    changes = np.diff(close)
    gains = np.where(changes > 0, changes, 0.0).tolist()
    losses = np.where(changes < 0, -changes, 0.0).tolist()
    gain, loss = sum(gains[:period]) / period, sum(losses[:period]) / period
    out = [np.nan] * period + [100.0 * gain / (gain + loss) if gain + loss else 0.0]
    for g, lo in zip(gains[period:], losses[period:], strict=True):
        gain = (gain * (period - 1) + g) / period
        loss = (loss * (period - 1) + lo) / period
        out.append(100.0 * gain / (gain + loss) if gain + loss else 0.0)
    return np.array(out)


def std_sliding(values: np.ndarray, window: int, chunk: int = 1_000_000) -> np.ndarray:
    """np.std over sliding_window_view, in chunks so the temporaries stay ~160 MB."""
    windows = sliding_window_view(values, window)
    out = np.full(len(values), np.nan)
    for start in range(0, len(windows), chunk):
        stop = start + chunk
        out[window - 1 + start : window - 1 + stop] = np.std(windows[start:stop], axis=1, ddof=1)
    return out


def pct_return_numpy(values: np.ndarray, horizon: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    out[horizon:] = values[horizon:] / values[:-horizon] - 1.0
    return out


@pytest.mark.benchmark(group="sma")
def test_sma_kernel(measure: Measure, prices: np.ndarray) -> None:
    out = measure("kernel", kernels.sma, prices, PERIOD)
    np.testing.assert_allclose(out, talib.SMA(prices, PERIOD), rtol=1e-9)


@pytest.mark.benchmark(group="sma")
def test_sma_numpy_cumsum(measure: Measure, prices: np.ndarray) -> None:
    assert measure("numpy cumsum", sma_cumsum, prices, PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="sma")
def test_sma_talib(measure: Measure, prices: np.ndarray) -> None:
    assert measure("talib", talib.SMA, prices, PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="ema")
def test_ema_kernel(measure: Measure, prices: np.ndarray) -> None:
    out = measure("kernel", kernels.ema, prices, PERIOD)
    np.testing.assert_allclose(out, talib.EMA(prices, PERIOD), rtol=1e-9)


@pytest.mark.benchmark(group="ema")
def test_ema_python_loop(measure: Measure, prices: np.ndarray) -> None:
    assert measure("python loop", ema_loop, prices, PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="ema")
def test_ema_talib(measure: Measure, prices: np.ndarray) -> None:
    assert measure("talib", talib.EMA, prices, PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="rsi")
def test_rsi_kernel(measure: Measure, prices: np.ndarray) -> None:
    out = measure("kernel", kernels.rsi, prices, RSI_PERIOD)
    np.testing.assert_allclose(out, talib.RSI(prices, RSI_PERIOD), rtol=1e-9)


@pytest.mark.benchmark(group="rsi")
def test_rsi_numpy_and_loop(measure: Measure, prices: np.ndarray) -> None:
    assert measure("numpy + loop", rsi_loop, prices, RSI_PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="rsi")
def test_rsi_talib(measure: Measure, prices: np.ndarray) -> None:
    assert measure("talib", talib.RSI, prices, RSI_PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="rolling_std")
def test_rolling_std_kernel(measure: Measure, prices: np.ndarray) -> None:
    out = measure("kernel", kernels.rolling_std, prices, PERIOD)
    np.testing.assert_allclose(out[:100_000], std_sliding(prices[:100_000], PERIOD), rtol=1e-9)


@pytest.mark.benchmark(group="rolling_std")
def test_rolling_std_numpy_sliding_window(measure: Measure, prices: np.ndarray) -> None:
    assert measure("numpy sliding window", std_sliding, prices, PERIOD).shape == prices.shape


@pytest.mark.benchmark(group="pct_return")
def test_pct_return_kernel(measure: Measure, prices: np.ndarray) -> None:
    out = measure("kernel", kernels.pct_return, prices, HORIZON)
    np.testing.assert_allclose(out, pct_return_numpy(prices, HORIZON), rtol=1e-12)


@pytest.mark.benchmark(group="pct_return")
def test_pct_return_numpy(measure: Measure, prices: np.ndarray) -> None:
    assert measure("numpy", pct_return_numpy, prices, HORIZON).shape == prices.shape


@pytest.mark.benchmark(group="backtest")
def test_backtest_kernel(measure: Measure, panel: dict[str, Any]) -> None:
    result = measure("kernel", kernels.simulate_portfolio, **panel)
    assert len(result.fills.bar) > panel["open"].size // 2


@pytest.mark.benchmark(group="backtest")
def test_backtest_python_loop(
    measure: Measure, panel: dict[str, Any], kernel_reference: ModuleType
) -> None:
    equity = measure("python loop", kernel_reference.simulate_portfolio_weights, **panel).equity
    np.testing.assert_allclose(equity, kernels.simulate_portfolio(**panel).equity, rtol=1e-9)
