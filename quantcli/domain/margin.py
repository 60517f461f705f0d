"""Leverage limit at order time and the maintenance-margin call, in Decimal.

The simulator (`kernels/src/simulator/margin.rs`) applies the same rules in float64.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import attrs

from quantcli.domain.costs import _non_negative
from quantcli.domain.errors import ValidationError


def _positive_or_none(
    _instance: object, attribute: attrs.Attribute[Decimal | None], value: Decimal | None
) -> None:
    if value is not None and value <= 0:
        raise ValidationError(f"{attribute.name} {value} must be > 0")


@attrs.frozen
class MarginRules:
    """max_leverage (None: none), initial and maintenance margin as fractions of gross exposure."""

    max_leverage: Decimal | None = attrs.field(default=None, validator=_positive_or_none)
    initial_margin: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    maintenance_margin: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    def leverage_limit(self) -> Decimal | None:
        """The tighter of max_leverage and 1 / initial_margin."""
        limits = [limit for limit in (self.max_leverage,) if limit is not None]
        if self.initial_margin > 0:
            limits.append(1 / self.initial_margin)
        return min(limits) if limits else None

    def allowed_quantity(
        self, held: Decimal, quantity: Decimal, mark: Decimal, equity: Decimal, gross: Decimal
    ) -> Decimal:
        """The part of an order that keeps gross <= limit x equity; 0 means rejected.

        Orders that do not grow the absolute position pass whole; others are cut to the largest
        whole-share position the headroom allows.
        """
        limit = self.leverage_limit()
        target = held + quantity
        if limit is None or abs(target) <= abs(held):
            return quantity
        headroom = limit * equity - (gross - abs(held) * mark)
        allowed = (headroom / mark).to_integral_value(ROUND_FLOOR) if headroom > 0 else Decimal(0)
        if abs(target) <= allowed:
            return quantity
        cut = min(max(target, -allowed), allowed) - held
        return Decimal(0) if cut * quantity <= 0 else cut

    def is_margin_call(self, equity: Decimal, gross: Decimal) -> bool:
        """Equity below maintenance_margin x gross exposure, with something held."""
        return gross > 0 and equity < self.maintenance_margin * gross
