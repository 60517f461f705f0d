"""Benchmark fixtures, and a closing table of speed-ups (reference time / kernel time per group).

Series have 1e6 points, or 1e7 with QUANTCLI_BENCH_FULL=1.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import pytest

from quantcli.kernels import CostModel

KERNEL = "kernel"
FULL = os.environ.get("QUANTCLI_BENCH_FULL") == "1"
SERIES_LENGTH = 10_000_000 if FULL else 1_000_000


class Timing(NamedTuple):
    group: str
    role: str
    best_seconds: float


TIMINGS = pytest.StashKey[list[Timing]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[TIMINGS] = []


@pytest.fixture(scope="session")
def prices() -> np.ndarray:
    """A geometric random walk from 100 (0.1% steps), SERIES_LENGTH points."""
    steps = np.random.default_rng(20240601).normal(0.0, 0.001, SERIES_LENGTH)
    return 100.0 * np.exp(np.cumsum(steps))


@pytest.fixture(scope="session")
def panel() -> dict[str, Any]:
    """A small daily panel (2 000 bars x 10 symbols) with rebalancing weights and real costs,
    as keyword arguments of `simulate_portfolio` and the reference's weights loop."""
    rng = np.random.default_rng(7)
    shape = (2_000, 10)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, shape), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.003, shape))
    weights = rng.dirichlet(np.ones(shape[1]), shape[0]) * 0.95
    return {
        "open": open_,
        "high": np.maximum(open_, close),
        "low": np.minimum(open_, close),
        "close": close,
        "volume": np.full(shape, 1e6),
        "target_weights": weights,
        "initial_cash": 1_000_000.0,
        "costs": CostModel(
            commission_per_share=0.005, commission_minimum=1.0, commission_bps=0.5, slippage_bps=2.0
        ),
    }


@pytest.fixture(scope="session")
def kernel_reference() -> ModuleType:
    """The Python-loop references the unit tests hold the kernels to."""
    path = Path(__file__).parents[1] / "tests" / "unit" / "kernels" / "reference.py"
    spec = importlib.util.spec_from_file_location("quantcli_kernels_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def measure(benchmark: Any, request: pytest.FixtureRequest) -> Callable[..., Any]:
    """measure(role, function, *args): benchmark it and keep its best time for the ratio table."""

    def run(role: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        benchmark.extra_info["role"] = role
        result = benchmark(function, *args, **kwargs)
        if benchmark.stats is not None:  # None when benchmarks are disabled
            timing = Timing(benchmark.group, role, benchmark.stats.stats.min)
            request.config.stash[TIMINGS].append(timing)
        return result

    return run


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    timings = config.stash.get(TIMINGS, [])
    terminalreporter.section("kernel speed-up: reference min time / kernel min time")
    kernels = {t.group: t.best_seconds for t in timings if t.role == KERNEL}
    rows = [t for t in timings if t.role != KERNEL and kernels.get(t.group)]
    if not rows:
        terminalreporter.write_line("no timings (benchmarks disabled or skipped)")
        return
    terminalreporter.write_line(f"series length {SERIES_LENGTH:,}")
    for t in sorted(rows, key=lambda t: (t.group, t.role)):
        ratio = t.best_seconds / kernels[t.group]
        terminalreporter.write_line(f"{t.group:<16} {t.role:<24} {ratio:>9.2f}x")
