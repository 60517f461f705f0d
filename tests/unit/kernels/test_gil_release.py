"""The kernels release the GIL: Python threads keep running while a kernel computes."""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from quantcli import kernels


def backtest(series: np.ndarray) -> object:
    panel = series[:2_400_000].reshape(-1, 8)
    # The band keeps the fill log to a few rows: the timing is the bar loop, not the allocations.
    return kernels.simulate_portfolio(
        panel,
        panel,
        panel,
        panel,
        panel,
        target_weights=panel / 1e4,
        initial_cash=1e6,
        rebalance_band=0.05,
    )


def bars(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """High, low and close around the series."""
    return series + 0.5, series - 0.5, series


def panel_of(series: np.ndarray) -> np.ndarray:
    return series.reshape(8, -1)


# Each takes 5-50 ms on 8e6 values (a 300 000 x 8 panel): long enough to be caught holding on.
# Streams are left out: their O(1) updates keep the GIL, which costs less than releasing it.
KERNEL_CALLS: dict[str, Callable[[np.ndarray], object]] = {
    "sma": lambda series: kernels.sma(series, 20),
    "ema": lambda series: kernels.ema(series, 20),
    "rsi": lambda series: kernels.rsi(series, 14),
    "rolling_std": lambda series: kernels.rolling_std(series, 20),
    "pct_return": lambda series: kernels.pct_return(series, 1),
    "stoch": lambda series: kernels.stoch(*bars(series)),
    "adx": lambda series: kernels.adx(*bars(series)),
    "bbands": lambda series: kernels.bbands(series, 20),
    "rolling_max": lambda series: kernels.rolling_max(series, 20),
    "backtest": backtest,
    "cpcv_splits": lambda series: kernels.CpcvPlan(series.size, 8, 1).split_indices([0, 1]),
}


def panel_call(name: str) -> Callable[[np.ndarray], object]:
    """Calls the panel form `name` on 8-row panels cut from the series; default parameters."""
    function = getattr(kernels, name)
    required = [
        n for n, p in inspect.signature(function).parameters.items() if p.default is p.empty
    ]

    def call(series: np.ndarray) -> object:
        high, low, close = (panel_of(s) for s in bars(series))
        sessions = np.arange(close.shape[1]) // 390
        columns: dict[str, object] = {"high": high, "low": low, "y": high, "benchmark": high}
        columns |= {"session": sessions, "period": 20, "window": 20, "horizon": 1}
        return function(**{n: columns.get(n, close) for n in required})

    return call


# Every panel form, each a separate case: rows run on rayon's threads, the caller waits detached.
KERNEL_CALLS |= {name: panel_call(name) for name in kernels.__all__ if name.endswith("_panel")}


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    return np.random.default_rng(11).normal(100.0, 1.0, 8_000_000)


@pytest.fixture
def long_switch_interval() -> Iterator[None]:
    """Threads only trade the GIL when its holder lets go, not on CPython's 5 ms timer."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("long_switch_interval")
@pytest.mark.parametrize("kernel", list(KERNEL_CALLS))
def test_python_threads_run_while_a_kernel_computes(kernel: str, series: np.ndarray) -> None:
    started = threading.Event()
    outcome: list[object] = []

    def compute() -> None:
        started.set()
        try:
            outcome.append(KERNEL_CALLS[kernel](series))
        except Exception as error:  # a call that fails early would spin the loop below too
            outcome.append(error)

    worker = threading.Thread(target=compute)
    worker.start()
    started.wait()
    # This thread gets the GIL back only when the worker lets it go. A kernel that kept it would
    # finish first and leave this loop nothing to count (a GIL-holding re.search scores 0);
    # one that releases it lets the loop spin many thousands of times meanwhile.
    spins = 0
    while worker.is_alive():
        spins += 1
    worker.join()
    assert not isinstance(outcome[0], Exception), outcome[0]
    assert spins > 100
