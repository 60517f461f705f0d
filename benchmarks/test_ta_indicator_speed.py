"""The TA-Lib-exact indicators against TA-Lib on the same bars; SMA and EMA against a memcpy.

Group names carry the indicator; conftest.py prints talib time / kernel time (above 1 means the
kernel is faster) and, for SMA and EMA, copy time / kernel time (the target is >= 0.67, i.e.
the kernel within 1.5x of copying its input): once returning a new array against np.copy, once
writing into a caller's buffer (`out=`) against np.copyto into a touched buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import talib

from quantcli import kernels

Measure = Callable[..., Any]
# Short runs: 44 groups x 2 roles must stay well inside the ~60 s budget of the whole suite.
pytestmark = pytest.mark.benchmark(max_time=0.2, min_rounds=3)


@pytest.fixture(scope="session")
def bars(prices: np.ndarray) -> dict[str, np.ndarray]:
    """OHLCV bars around the shared `prices` random walk."""
    rng = np.random.default_rng(20240602)
    size = len(prices)
    close = prices
    high = close * np.exp(np.abs(rng.normal(0.0, 0.0005, size)))
    low = close * np.exp(-np.abs(rng.normal(0.0, 0.0005, size)))
    volume = rng.uniform(1e3, 1e5, size).round()
    return {"high": high, "low": low, "close": close, "volume": volume}


def h_l_c(b: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    return b["high"], b["low"], b["close"]


# The channel references return the same three lines as the kernels, not just the two TA-Lib
# series they are built from: the third 8 MB output is a real part of the cost at 1e6 points.
def donchian_talib(b: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    upper, lower = talib.MAX(b["high"], 20), talib.MIN(b["low"], 20)
    return upper, (upper + lower) / 2.0, lower


def keltner_talib(b: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    middle, width = talib.EMA(b["close"], 20), 2.0 * talib.ATR(*h_l_c(b), 10)
    return middle + width, middle, middle - width


# group -> (ours(bars), talib(bars))
PAIRS: dict[
    str, tuple[Callable[[dict[str, np.ndarray]], Any], Callable[[dict[str, np.ndarray]], Any]]
] = {
    "wma": (lambda b: kernels.wma(b["close"], 30), lambda b: talib.WMA(b["close"], 30)),
    "dema": (lambda b: kernels.dema(b["close"], 30), lambda b: talib.DEMA(b["close"], 30)),
    "tema": (lambda b: kernels.tema(b["close"], 30), lambda b: talib.TEMA(b["close"], 30)),
    "macd": (lambda b: kernels.macd(b["close"]), lambda b: talib.MACD(b["close"])),
    "stoch": (lambda b: kernels.stoch(*h_l_c(b)), lambda b: talib.STOCH(*h_l_c(b))),
    "willr": (lambda b: kernels.willr(*h_l_c(b)), lambda b: talib.WILLR(*h_l_c(b))),
    "roc": (lambda b: kernels.roc(b["close"]), lambda b: talib.ROC(b["close"])),
    "mom": (lambda b: kernels.mom(b["close"]), lambda b: talib.MOM(b["close"])),
    "cci": (lambda b: kernels.cci(*h_l_c(b)), lambda b: talib.CCI(*h_l_c(b))),
    "adx+di": (
        lambda b: kernels.adx(*h_l_c(b)),
        lambda b: (talib.ADX(*h_l_c(b)), talib.PLUS_DI(*h_l_c(b)), talib.MINUS_DI(*h_l_c(b))),
    ),
    "bbands": (lambda b: kernels.bbands(b["close"], 20), lambda b: talib.BBANDS(b["close"], 20)),
    "atr": (lambda b: kernels.atr(*h_l_c(b)), lambda b: talib.ATR(*h_l_c(b))),
    "natr": (lambda b: kernels.natr(*h_l_c(b)), lambda b: talib.NATR(*h_l_c(b))),
    "obv": (
        lambda b: kernels.obv(b["close"], b["volume"]),
        lambda b: talib.OBV(b["close"], b["volume"]),
    ),
    "ad": (
        lambda b: kernels.ad(*h_l_c(b), b["volume"]),
        lambda b: talib.AD(*h_l_c(b), b["volume"]),
    ),
    "mfi": (
        lambda b: kernels.mfi(*h_l_c(b), b["volume"]),
        lambda b: talib.MFI(*h_l_c(b), b["volume"]),
    ),
    "rolling_max": (
        lambda b: kernels.rolling_max(b["close"], 20),
        lambda b: talib.MAX(b["close"], 20),
    ),
    "rolling_min": (
        lambda b: kernels.rolling_min(b["close"], 20),
        lambda b: talib.MIN(b["close"], 20),
    ),
    "rolling_corr": (
        lambda b: kernels.rolling_corr(b["close"], b["high"], 20),
        lambda b: talib.CORREL(b["close"], b["high"], 20),
    ),
    "donchian": (
        lambda b: kernels.donchian(b["high"], b["low"], 20),
        donchian_talib,
    ),
    "keltner": (
        lambda b: kernels.keltner(*h_l_c(b)),
        keltner_talib,
    ),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_ta_kernel(
    benchmark: Any, measure: Measure, bars: dict[str, np.ndarray], name: str
) -> None:
    benchmark.group = f"ta:{name}"
    ours, _ = PAIRS[name]
    measure("kernel", ours, bars)


@pytest.mark.parametrize("name", list(PAIRS))
def test_ta_talib(benchmark: Any, measure: Measure, bars: dict[str, np.ndarray], name: str) -> None:
    benchmark.group = f"ta:{name}"
    _, theirs = PAIRS[name]
    measure("talib", theirs, bars)


@pytest.mark.parametrize("name", ["sma", "ema"])
def test_memory_copy_baseline(
    benchmark: Any, measure: Measure, bars: dict[str, np.ndarray], name: str
) -> None:
    """np.copy of the input: a plain copy into a new array, as every kernel returns one."""
    benchmark.group = name
    measure("memory copy", np.copy, bars["close"])


# The same two indicators writing into a caller's buffer (`out=`), as a loop that recomputes
# them would: no fresh pages on either side, so the ratio is the kernel against memory traffic.
INTO_BUFFER = {"sma": kernels.sma, "ema": kernels.ema}


@pytest.mark.parametrize("name", list(INTO_BUFFER))
def test_kernel_into_buffer(
    benchmark: Any, measure: Measure, bars: dict[str, np.ndarray], name: str
) -> None:
    benchmark.group = f"{name} into buffer"
    destination = np.zeros_like(bars["close"])
    out = measure("kernel", INTO_BUFFER[name], bars["close"], 20, out=destination)
    assert out is destination
    np.testing.assert_allclose(out, getattr(talib, name.upper())(bars["close"], 20), rtol=1e-9)


@pytest.mark.parametrize("name", list(INTO_BUFFER))
def test_memory_copy_into_buffer(
    benchmark: Any, measure: Measure, bars: dict[str, np.ndarray], name: str
) -> None:
    """np.copyto into an already-touched buffer: the floor for any 1-in-1-out pass."""
    benchmark.group = f"{name} into buffer"
    destination = np.zeros_like(bars["close"])
    measure("memory copy", np.copyto, destination, bars["close"])
