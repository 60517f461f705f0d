"""Portfolio simulator speed: a 10-year daily target-weight backtest, and the Python loop ratio.

100 symbols x 2 520 bars, or 500 x 2 520 with QUANTCLI_BENCH_FULL=1. Prints wall time and peak
memory (tracemalloc sees numpy buffers; ru_maxrss growth also covers the Rust-side vectors).
"""

from __future__ import annotations

import importlib.util
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from quantcli import kernels
from quantcli.kernels import CostModel, MarginRules

FULL = os.environ.get("QUANTCLI_BENCH_FULL") == "1"
N_BARS = 2_520
N_SYMBOLS = 500 if FULL else 100
COSTS = CostModel(
    commission_per_share=0.005,
    commission_minimum=1.0,
    commission_maximum_fraction=0.01,
    slippage_bps=1.0,
    spread_bps=2.0,
    square_root_impact=0.1,
    participation_rate=0.1,
    borrow_rate=0.03,
)


def make_panel(n_bars: int, n_symbols: int, seed: int = 11) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    shape = (n_bars, n_symbols)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, shape), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.003, shape))
    high = np.maximum(open_, close) * 1.005
    low = np.minimum(open_, close) * 0.995
    weights = rng.normal(0.0, 1.0, shape)
    weights = 1.5 * weights / np.abs(weights).sum(axis=1, keepdims=True)
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.uniform(1e5, 1e6, shape),
        "target_weights": weights,
        "initial_cash": 10_000_000.0,
        "costs": COSTS,
        "margin": MarginRules(max_leverage=2.0, maintenance_margin=0.25),
        "volatility": 0.015,
        "rebalance_band": 0.001,
    }


@pytest.fixture(scope="module")
def sim_reference() -> ModuleType:
    path = Path(__file__).parents[1] / "tests/unit/kernels/simulator/reference_simulator.py"
    spec = importlib.util.spec_from_file_location("quantcli_simulator_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ten_year_portfolio_backtest(measure: Callable[..., Any]) -> None:
    panel = make_panel(N_BARS, N_SYMBOLS)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    result = kernels.simulate_portfolio(**panel)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    print(
        f"\nsimulate_portfolio {N_SYMBOLS} symbols x {N_BARS} bars: {seconds * 1e3:.1f} ms, "
        f"{len(result.fills.bar):,} fills, tracemalloc peak {peak / 2**20:.1f} MiB, "
        f"ru_maxrss growth {rss_growth / 1024:.1f} MiB"
    )
    measure("kernel", kernels.simulate_portfolio, **panel)


@pytest.mark.benchmark(group="simulator-small")
def test_kernel_on_a_small_panel(measure: Callable[..., Any]) -> None:
    measure("kernel", kernels.simulate_portfolio, **make_panel(252, 10))


@pytest.mark.benchmark(group="simulator-small")
def test_python_loop_on_a_small_panel(
    measure: Callable[..., Any], sim_reference: ModuleType
) -> None:
    measure("python loop", sim_reference.simulate, **make_panel(252, 10))
