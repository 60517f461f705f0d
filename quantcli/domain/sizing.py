"""Sizing rules: from a target weight or an edge to a whole number of shares."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from quantcli.domain.errors import ValidationError


def shares_for_weight(target_weight: float, equity: Decimal, price: Decimal) -> Decimal:
    """Whole shares that hold `target_weight` of `equity` at `price`, rounded toward zero."""
    if price <= 0:
        raise ValidationError(f"price {price} is not positive")
    notional = Decimal(repr(target_weight)) * equity
    return (notional / price).to_integral_value(rounding=ROUND_DOWN)


def rebalance_quantity(
    target_weight: float, held: Decimal, equity: Decimal, price: Decimal, band: float
) -> Decimal:
    """Shares to trade towards `target_weight`, or 0 for a resize inside the no-trade band.

    A resize that keeps the position's side and is worth less than `band` × equity is skipped;
    opening, closing and flipping always trade. The backtest kernel applies the same rule.
    """
    target = shares_for_weight(target_weight, equity, price)
    delta = target - held
    keeps_side = held * target > 0
    if keeps_side and abs(delta * price) < Decimal(repr(band)) * equity:
        return Decimal(0)
    return delta


def volatility_target_weight(
    direction: int, annualized_volatility: float, target_volatility: float, max_weight: float
) -> float:
    """Weight giving a position `target_volatility`, capped at `max_weight` in absolute value."""
    if annualized_volatility <= 0 or not math.isfinite(annualized_volatility):
        return 0.0
    weight = target_volatility / annualized_volatility
    return float(direction) * min(weight, max_weight)


def fractional_kelly_weight(
    probability_up: float, payoff_ratio: float, kelly_fraction: float, max_weight: float
) -> float:
    """Kelly bet p - (1-p)/b scaled by `kelly_fraction`, capped; negative means short."""
    if not 0.0 <= probability_up <= 1.0:
        raise ValidationError(f"probability_up {probability_up} outside [0, 1]")
    if payoff_ratio <= 0:
        raise ValidationError(f"payoff_ratio {payoff_ratio} is not positive")
    full_kelly = probability_up - (1.0 - probability_up) / payoff_ratio
    weight = kelly_fraction * full_kelly
    return max(-max_weight, min(max_weight, weight))
