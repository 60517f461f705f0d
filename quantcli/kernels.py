"""Typed, checked entry points to the Rust kernels; the only module that imports `_kernels`.

Every function takes array-likes of real numbers, computes in float64 with the GIL released and
returns float64 arrays as long as its input. Bad input raises `ValidationError` naming the argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError

FloatArray: TypeAlias = npt.NDArray[np.float64]

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


class SimulationResult(NamedTuple):
    """Per-bar account history of `simulate_target_weights`.

    equity: cash plus holdings marked at each bar's close, shape (n_bars,).
    cash: cash after each bar's trades, shape (n_bars,).
    positions: whole shares held after each bar's opening trades, shape (n_bars, n_symbols).
    traded_notional: sum of |shares| x fill price traded at each bar's open, shape (n_bars,).
    commission: commission paid at each bar's open, shape (n_bars,).
    trade_count: fills over the whole run.
    """

    equity: FloatArray
    cash: FloatArray
    positions: FloatArray
    traded_notional: FloatArray
    commission: FloatArray
    trade_count: int


def sma(values: npt.ArrayLike, period: int) -> FloatArray:
    """Simple moving average; NaN for the first period-1 values and for windows holding a NaN."""
    series = _series("values", values)
    period = _length("period", period, len(series))
    with _kernel_errors():
        return _kernels.sma(series, period)


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """TA-Lib's EMA: alpha 2/(period+1), seeded with the mean of the first `period` values.

    Leading NaNs are skipped as TA-Lib does; any later NaN turns that output and all after it NaN.
    """
    series = _series("values", values)
    period = _length("period", period, len(series))
    with _kernel_errors():
        return _kernels.ema(series, period)


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Wilder's RSI exactly as TA-Lib computes it; the first value is at index `period`.

    When average gain and loss are both zero the RSI is 0, as in TA-Lib. Leading NaNs are skipped
    as TA-Lib does. Unlike TA-Lib, which prints 0 (a false "oversold") from the first later NaN or
    infinity onward, the output there is NaN.
    """
    series = _series("close", close)
    period = _length("period", period, len(series))
    with _kernel_errors():
        return _kernels.rsi(series, period)


def rolling_std(values: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """Rolling standard deviation (ddof=1: sample); NaN for the first window-1 values and NaNs."""
    series = _series("values", values)
    window = _length("window", window, len(series))
    if not _is_int(ddof) or not 0 <= ddof < window:
        raise ValidationError(f"ddof must be an int in [0, window={window}), got {ddof!r}")
    with _kernel_errors():
        return _kernels.rolling_std(series, window, int(ddof))


def pct_return(values: npt.ArrayLike, horizon: int) -> FloatArray:
    """values[t] / values[t - horizon] - 1; NaN for the first `horizon` values and around NaNs."""
    series = _series("values", values)
    horizon = _length("horizon", horizon, len(series))
    with _kernel_errors():
        return _kernels.pct_return(series, horizon)


def simulate_target_weights(
    open: npt.ArrayLike,
    close: npt.ArrayLike,
    target_weights: npt.ArrayLike,
    *,
    initial_cash: float,
    commission_per_share: float,
    commission_minimum: float,
    commission_bps: float,
    slippage_bps: float,
    rebalance_band: float = 0.0,
) -> SimulationResult:
    """Backtest target weights over (n_bars, n_symbols) panels, trading whole shares.

    Weights set at bar t's close trade at bar t+1's open; NaN weight means hold. At each open,
    target shares = trunc(w x equity_at_open / open), filled at open x (1 ± slippage_bps / 1e4)
    and charged max(per_share x shares, minimum) + bps / 1e4 x shares x fill price. Equity marks
    holdings at the close. A NaN open or close counts as the symbol's last finite close (0 before
    its first); a NaN open also skips that symbol's trade. A resize that keeps a position's side
    and is worth less than `rebalance_band` x equity_at_open is skipped (opening, closing and
    flipping always trade). Prices must be positive or NaN, weights finite or NaN, costs and the
    band finite and >= 0.
    """
    open_prices = _panel("open", open)
    close_prices = _panel("close", close)
    weights = _panel("target_weights", target_weights)
    for name, panel in (("close", close_prices), ("target_weights", weights)):
        if panel.shape != open_prices.shape:
            raise ValidationError(
                f"{name} has shape {panel.shape}, but open has shape {open_prices.shape}"
            )
    initial_cash = _real("initial_cash", initial_cash)
    commission_per_share = _real("commission_per_share", commission_per_share)
    commission_minimum = _real("commission_minimum", commission_minimum)
    commission_bps = _real("commission_bps", commission_bps)
    slippage_bps = _real("slippage_bps", slippage_bps)
    rebalance_band = _real("rebalance_band", rebalance_band)
    with _kernel_errors():
        equity, cash, positions, notional, commission, trades = _kernels.simulate_target_weights(
            open_prices,
            close_prices,
            weights,
            initial_cash=initial_cash,
            commission_per_share=commission_per_share,
            commission_minimum=commission_minimum,
            commission_bps=commission_bps,
            slippage_bps=slippage_bps,
            rebalance_band=rebalance_band,
        )
    return SimulationResult(equity, cash, positions, notional, commission, trades)


def _series(name: str, values: npt.ArrayLike) -> FloatArray:
    return _float_array(name, values, ndim=1)


def _panel(name: str, values: npt.ArrayLike) -> FloatArray:
    return _float_array(name, values, ndim=2)


def _float_array(name: str, values: npt.ArrayLike, ndim: int) -> FloatArray:
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{name} is not an array of numbers: {error}") from error
    # Only ints and floats: bools, complex, strings, dates and objects would convert silently
    # into something that is not a price.
    if array.dtype.kind not in "iuf":
        raise ValidationError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float64)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _length(name: str, value: int, series_length: int) -> int:
    if not _is_int(value):
        raise ValidationError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValidationError(f"{name} must be >= 1, got {value}")
    if value > series_length:
        raise ValidationError(f"{name} {value} is longer than the series ({series_length} values)")
    return int(value)


def _real(name: str, value: float) -> float:
    # Decimal is allowed because the domain keeps costs and cash in Decimal.
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValidationError(f"{name} must be a real number, got {value!r}")
    return float(value)


@contextmanager
def _kernel_errors() -> Iterator[None]:
    """Re-raise the kernels' ValueError (bad values found in Rust) as our ValidationError."""
    try:
        yield
    except ValueError as error:
        raise ValidationError(str(error)) from error
