"""Sizing: a signal's target weight, by fixed fraction, volatility target or fractional Kelly,
capped per symbol, turned into the whole shares an order must trade."""

from __future__ import annotations

import enum
import itertools
import math
from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from quantcli.domain.bar import Bar
from quantcli.domain.errors import ValidationError
from quantcli.domain.signals import Signal
from quantcli.domain.sizing import (
    fractional_kelly_weight,
    rebalance_quantity,
    volatility_target_weight,
)


class SizingMethod(enum.Enum):
    FIXED_FRACTION = "fixed_fraction"
    VOLATILITY_TARGET = "volatility_target"
    FRACTIONAL_KELLY = "fractional_kelly"


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0 or not math.isfinite(value):
        raise ValidationError(f"sizing {attribute.name}: {value} is not a positive number")


def _band(_instance: object, _attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < 1:
        raise ValidationError(f"sizing rebalance_band: {value} is not in [0, 1)")


@attrs.frozen
class SizingPolicy:
    """How signals are sized; every method is capped at `max_weight` of equity per symbol.

    fixed_fraction: the signal's own target weight. volatility_target: direction ×
    target_volatility / realized volatility (annualized std of the last `volatility_window`
    close-to-close returns; no position until two returns are known). fractional_kelly:
    kelly_fraction × (p - (1 - p) / payoff_ratio) from the signal's probability of an up move,
    only on the side the signal points to.
    """

    method: SizingMethod = SizingMethod.FIXED_FRACTION
    max_weight: float = attrs.field(default=1.0, validator=_positive)
    rebalance_band: float = attrs.field(default=0.0, validator=_band)
    target_volatility: float = attrs.field(default=0.10, validator=_positive)
    volatility_window: int = attrs.field(default=20, validator=_positive)
    bars_per_year: float = attrs.field(default=252.0, validator=_positive)
    kelly_fraction: float = attrs.field(default=0.25, validator=_positive)
    payoff_ratio: float = attrs.field(default=1.0, validator=_positive)


def annualized_volatility(returns: Sequence[float], bars_per_year: float) -> float | None:
    """Std (ddof 1) of `returns` × sqrt(bars_per_year); None for fewer than two returns."""
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return math.sqrt(variance * bars_per_year)


@attrs.define
class SignalSizer:
    """Applies a SizingPolicy; `observe` every bar so volatility targeting has its history."""

    policy: SizingPolicy = attrs.Factory(SizingPolicy)
    _closes: dict[str, deque[float]] = attrs.field(factory=dict, init=False)

    def observe(self, bars: Mapping[str, Bar]) -> None:
        if self.policy.method is not SizingMethod.VOLATILITY_TARGET:
            return
        for symbol, bar in bars.items():
            window = self._closes.setdefault(
                symbol, deque(maxlen=self.policy.volatility_window + 1)
            )
            window.append(bar.close)

    def annualized_volatility(self, symbol: str) -> float | None:
        """Std (ddof 1) of the last returns × sqrt(bars_per_year); None before two returns."""
        closes = list(self._closes.get(symbol, ()))
        returns = [later / earlier - 1.0 for earlier, later in itertools.pairwise(closes)]
        return annualized_volatility(returns, self.policy.bars_per_year)

    def target_weight(self, signal: Signal) -> float:
        """The capped weight this policy gives the signal."""
        policy = self.policy
        cap = policy.max_weight
        if policy.method is SizingMethod.FIXED_FRACTION:
            return max(-cap, min(cap, signal.target_weight))
        if signal.direction == 0:
            return 0.0
        if policy.method is SizingMethod.VOLATILITY_TARGET:
            volatility = self.annualized_volatility(signal.symbol)
            if volatility is None:
                return 0.0
            return volatility_target_weight(
                signal.direction, volatility, policy.target_volatility, cap
            )
        weight = fractional_kelly_weight(
            signal.probability_up, policy.payoff_ratio, policy.kelly_fraction, cap
        )
        # Kelly only sizes the side the strategy chose; an edge against it means no position.
        return weight if weight * signal.direction > 0 else 0.0

    def order_quantity(
        self, signal: Signal, held: Decimal, equity: Decimal, price: Decimal
    ) -> Decimal:
        """Signed shares to trade towards the signal's sized weight (0 inside the band)."""
        return rebalance_quantity(
            self.target_weight(signal), held, equity, price, self.policy.rebalance_band
        )
