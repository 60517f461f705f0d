"""Compiled kernels (Rust, PyO3). Import `quantcli.kernels` instead: it checks the inputs."""

import numpy as np
from numpy.typing import NDArray

__version__: str

# --- indicators (kernels/src/python/indicators.rs) ---

def sma(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def ema(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def rsi(close: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def rolling_std(values: NDArray[np.float64], window: int, ddof: int) -> NDArray[np.float64]: ...
def pct_return(values: NDArray[np.float64], horizon: int) -> NDArray[np.float64]: ...

# --- backtest (kernels/src/python/backtest.rs) ---

def simulate_target_weights(
    open: NDArray[np.float64],
    close: NDArray[np.float64],
    target_weights: NDArray[np.float64],
    *,
    initial_cash: float,
    commission_per_share: float,
    commission_minimum: float,
    commission_bps: float,
    slippage_bps: float,
    rebalance_band: float = 0.0,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    int,
]: ...
