"""Sizing over whole panels: the backtest's form of `SignalSizer.target_weight`.

`sized_weights` gives every (bar, symbol) cell the weight a SignalSizer with the same policy
gives that bar's signal after observing every bar up to and including it, so a backtest sizes
signals as a paper or live session does. Property tests hold the two together.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from quantcli import kernels
from quantcli.application.common.ports import FloatArray
from quantcli.application.strategy.order_sizing import (
    SizingMethod,
    SizingPolicy,
    annualized_volatility,
)
from quantcli.domain.errors import ValidationError


def sized_weights(
    target_weights: npt.ArrayLike,
    probabilities: npt.ArrayLike,
    closes: npt.ArrayLike,
    policy: SizingPolicy,
) -> FloatArray:
    """The weight `policy` gives each cell of (bars × symbols) panels, capped at max_weight.

    `target_weights` are the strategy's (NaN, "hold", stays NaN) and give the direction;
    `probabilities` are the model's P(up), read by fractional_kelly only where the direction
    is not flat; `closes` are NaN where a symbol has no bar, and a symbol's volatility window
    then stays as of its last bar, as a SignalSizer's does.
    """
    target = _panel("target_weights", target_weights, None)
    cap = policy.max_weight
    if policy.method is SizingMethod.FIXED_FRACTION:
        return np.clip(target, -cap, cap)
    direction = np.sign(target)
    if policy.method is SizingMethod.VOLATILITY_TARGET:
        volatility = rolling_annualized_volatility(
            _panel("closes", closes, target.shape),
            policy.volatility_window,
            policy.bars_per_year,
        )
        with np.errstate(divide="ignore"):
            weight = direction * np.minimum(policy.target_volatility / volatility, cap)
        # NaN (fewer than two returns) and 0 (flat prices) volatility give no position.
        sized = np.where((volatility > 0) & (direction != 0), weight, 0.0)
    else:
        probability = _panel("probabilities", probabilities, target.shape)
        weight = _fractional_kelly(probability, direction, policy)
        # Kelly only sizes the side the strategy chose; an edge against it means no position.
        sized = np.where(weight * direction > 0, weight, 0.0)
    return np.where(np.isnan(target), np.nan, sized)


def rolling_annualized_volatility(
    closes: FloatArray, window: int, bars_per_year: float
) -> FloatArray:
    """Per (bar, symbol): std (ddof 1) × sqrt(bars_per_year) of the symbol's last `window`
    close-to-close returns up to and including the bar; NaN before its second return.

    Returns run between a symbol's consecutive bars: a bar it lacks (NaN close) is skipped,
    and that cell keeps the value of the symbol's last bar.
    """
    # Symbols × bars inside: each row one symbol's history, contiguous, as the kernels take it.
    series = np.ascontiguousarray(closes.T)
    present = ~np.isnan(series)
    if present.all():
        return np.ascontiguousarray(_packed_volatility(series, window, bars_per_year).T)
    # Each symbol's closes moved left, in order, so column k holds its (k+1)-th bar.
    order = np.argsort(~present, axis=1, kind="stable")
    packed = np.take_along_axis(series, order, axis=1)
    by_bar_count = _packed_volatility(packed, window, bars_per_year)
    # The column in `packed` of each cell's latest bar of its symbol (-1: none yet).
    latest = np.cumsum(present, axis=1, dtype=np.intp) - 1
    volatility = np.take_along_axis(by_bar_count, np.maximum(latest, 0), axis=1)
    volatility[latest < 0] = np.nan
    return np.ascontiguousarray(volatility.T)


def sizing_description(policy: SizingPolicy) -> str:
    """One line naming the method and its parameters, for reports and the CLI."""
    cap = f"capped at {policy.max_weight:.2%} per symbol"
    if policy.method is SizingMethod.FIXED_FRACTION:
        return f"fixed_fraction (the strategy's target weights), {cap}"
    if policy.method is SizingMethod.VOLATILITY_TARGET:
        return (
            f"volatility_target (target {policy.target_volatility * 100:g}% annualized, "
            f"{policy.volatility_window}-bar window), {cap}"
        )
    return (
        f"fractional_kelly ({policy.kelly_fraction:g} × Kelly at payoff ratio "
        f"{policy.payoff_ratio:g}), {cap}"
    )


def _panel(name: str, values: npt.ArrayLike, shape: tuple[int, ...] | None) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValidationError(f"{name}: expected a (bars × symbols) panel, got {array.ndim}-D")
    if shape is not None and array.shape != shape:
        raise ValidationError(f"{name} has shape {array.shape}, target_weights {shape}")
    return array


def _packed_volatility(closes: FloatArray, window: int, bars_per_year: float) -> FloatArray:
    """(symbols × bars) → column k: the volatility after a symbol's (k+1)-th bar, from its
    last min(k, window) returns (columns past a symbol's last close are NaN or meaningless;
    nobody reads them)."""
    n_bars = closes.shape[1]
    std = np.full(closes.shape, np.nan)
    if n_bars < 3 or window < 2:  # never two returns in a window
        return std
    # Windows whose returns are all equal: SignalSizer's two-pass std of them is 0 or rounding
    # noise, depending on the value; they are looked up from it exactly below.
    all_equal = np.zeros(closes.shape, dtype=bool)
    returns = closes[:, 1:] / closes[:, :-1] - 1.0  # returns[:, i]: from bar i to bar i + 1
    # Fewer than `window` returns so far: the std of all of them (at most window - 2 bars).
    for bar in range(2, min(window, n_bars)):
        std[:, bar] = np.std(returns[:, :bar], axis=1, ddof=1)
        all_equal[:, bar] = (returns[:, :bar] == returns[:, :1]).all(axis=1)
    if n_bars > window:
        # The kernel's Welford moments give exactly 0 for equal values and only for them.
        rolling = kernels.rolling_std_panel(returns, window, ddof=1)
        std[:, window:] = rolling[:, window - 1 :]
        all_equal[:, window:] = std[:, window:] == 0
    volatility = std * math.sqrt(bars_per_year)
    if all_equal.any():
        symbols, bars = np.nonzero(all_equal)
        repeated = returns[symbols, bars - 1]  # every return of the window equals the latest
        counts = np.minimum(bars, window)
        keys, inverse = np.unique(np.column_stack([repeated, counts]), axis=0, return_inverse=True)
        exact = [
            annualized_volatility([value] * int(count), bars_per_year)
            for value, count in keys.tolist()
        ]
        volatility[symbols, bars] = np.asarray(exact, dtype=np.float64)[inverse.ravel()]
    return volatility


def _fractional_kelly(
    probability: FloatArray, direction: FloatArray, policy: SizingPolicy
) -> FloatArray:
    """domain.sizing.fractional_kelly_weight, cell by cell, with the same arithmetic."""
    needed = (direction != 0) & ~np.isnan(direction)
    with np.errstate(invalid="ignore"):
        bad = needed & ~((probability >= 0.0) & (probability <= 1.0))
    if bad.any():
        bar, symbol = (int(i) for i in np.argwhere(bad)[0])
        value = float(probability[bar, symbol])
        raise ValidationError(
            f"probabilities: bar {bar}, symbol {symbol}: {value!r} is not a probability in "
            "[0, 1] (fractional_kelly needs one wherever a weight is not 0)"
        )
    full_kelly = probability - (1.0 - probability) / policy.payoff_ratio
    weight = policy.kelly_fraction * full_kelly
    cap = policy.max_weight
    return np.maximum(-cap, np.minimum(cap, weight))
