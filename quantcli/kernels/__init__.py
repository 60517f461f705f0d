"""Typed, checked entry points to the Rust kernels; the only package that imports `_kernels`.

Every function takes array-likes of real numbers, computes in float64 with the GIL released and
returns float64 arrays. Bad input raises `ValidationError` naming the argument.
"""

from quantcli.kernels._inputs import FloatArray
from quantcli.kernels.backtest import SimulationResult, simulate_target_weights
from quantcli.kernels.indicators import ema, pct_return, rolling_std, rsi, sma

__all__ = [
    "FloatArray",
    "SimulationResult",
    "ema",
    "pct_return",
    "rolling_std",
    "rsi",
    "simulate_target_weights",
    "sma",
]
