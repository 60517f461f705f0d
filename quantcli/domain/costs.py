"""Trading costs shared by the backtest kernel and the simulated broker, so both charge the same."""

from __future__ import annotations

from decimal import Decimal

import attrs

from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderSide

BPS = Decimal(10_000)


def _non_negative(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0:
        raise ValidationError(f"{attribute.name} {value} is negative")


@attrs.frozen
class CommissionSchedule:
    """max(per_share × shares, minimum) + bps × notional / 10 000 on every non-empty fill."""

    per_share: Decimal = attrs.field(default=Decimal("0.005"), validator=_non_negative)
    minimum: Decimal = attrs.field(default=Decimal("1.00"), validator=_non_negative)
    bps: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    def commission(self, quantity: Decimal, price: Decimal) -> Decimal:
        shares = abs(quantity)
        if shares == 0:
            return Decimal(0)
        return max(self.per_share * shares, self.minimum) + self.bps * shares * price / BPS


@attrs.frozen
class SlippageModel:
    """A fixed cost in basis points against the trader: buys fill higher, sells lower."""

    bps: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    def fill_price(self, reference_price: Decimal, side: OrderSide) -> Decimal:
        return reference_price * (1 + side.sign * self.bps / BPS)
