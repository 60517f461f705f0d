"""SMA-crossover sweep on GOOG: every 2-combination of windows 5..200 step 5 (780 backtests),
indicators and the Sharpe of each included, against vectorbt's warm (already JIT-compiled) run."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt
from backtesting.test import GOOG

from quantcli import kernels

Measure = Callable[..., Any]
WINDOWS = np.arange(5, 205, 5)
FEES = 0.002
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


def pairs() -> tuple[np.ndarray, np.ndarray]:
    fast, slow = np.triu_indices(WINDOWS.size, k=1)
    return WINDOWS[fast], WINDOWS[slow]


def quantcli_sweep() -> kernels.SweepResult:
    fast, slow = pairs()
    return kernels.sma_cross_sweep(
        GOOG.Open.to_numpy(float),
        GOOG.Close.to_numpy(float),
        fast,
        slow,
        initial_cash=10_000.0,
        rules=kernels.VECTORBT.with_commission(FEES),
    )


def vectorbt_sweep() -> pd.Series:
    fast, slow = vbt.MA.run_combs(GOOG.Close, window=WINDOWS, r=2, short_names=["fast", "slow"])
    entries, exits = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
    portfolio = vbt.Portfolio.from_signals(
        GOOG.Close, entries, exits, init_cash=10_000.0, fees=FEES, freq="1D"
    )
    return portfolio.sharpe_ratio()


@pytest.fixture(scope="module", autouse=True)
def warm_vectorbt() -> None:
    """Compile vectorbt's numba functions before timing: its warm run is the fair comparison."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vectorbt_sweep()


@pytest.mark.benchmark(group="sma sweep")
def test_sweep_kernel(measure: Measure) -> None:
    result = measure("kernel", quantcli_sweep)
    assert result.final_equity.size == 780
    assert np.isfinite(result.sharpe).all()


@pytest.mark.benchmark(group="sma sweep")
def test_sweep_vectorbt(measure: Measure) -> None:
    assert measure("vectorbt (warm)", vectorbt_sweep).size == 780
