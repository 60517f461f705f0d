"""Pre-trade rules on what the book would hold: position, sector, gross, net, buying power.

Exposures are fractions of equity at the last prices, with the order's symbol valued at the
order's execution price (limit, else stop, else last). An order that does not grow the quantity
a rule measures always passes that rule: reducing risk is never blocked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import ClassVar

import attrs

from quantcli.domain.orders import Order
from quantcli.domain.risk_rules import (
    ZERO,
    RiskContext,
    RuleVerdict,
    compare,
    describe,
    execution_price,
    positive_decimal,
    quantity_after,
)


def _others(
    context: RiskContext, symbol: str, include: Callable[[str], bool] = lambda _s: True
) -> tuple[Decimal, Decimal]:
    """(gross, net) market value of the positions other than `symbol`'s that `include` keeps."""
    gross = net = ZERO
    for held, position in context.portfolio.positions.items():
        if held == symbol or position.is_flat or not include(held):
            continue
        value = position.market_value(context.marks[held])
        gross += abs(value)
        net += value
    return gross, net


def _exposure_verdict(
    name: str,
    limit_name: str,
    limit: Decimal,
    order: Order,
    context: RiskContext,
    *,
    what: str,
    before: Decimal,
    after: Decimal,
) -> RuleVerdict:
    """The verdict on an exposure (an absolute amount) that the order moves from before to after."""
    if after <= before:
        return RuleVerdict(name, True, f"{describe(order)} does not increase {what}")
    equity = context.equity
    if equity <= 0:
        return RuleVerdict(name, False, f"{describe(order)}: equity {equity:.2f} is not positive")
    value, operator, shown_limit = compare(after / equity, limit, as_percent=True)
    return RuleVerdict(
        name,
        operator == "<=",
        f"{describe(order)} would make {what} {value} of equity {operator} "
        f"{limit_name} {shown_limit}",
    )


@attrs.frozen
class MaxPositionRule:
    """|position after the order| × price <= max_position_weight × equity."""

    name: ClassVar[str] = "max_position"
    max_position_weight: Decimal = attrs.field(validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        price = execution_price(order, context.marks)
        held, after = quantity_after(order, context.portfolio)
        return _exposure_verdict(
            self.name,
            "max_position_weight",
            self.max_position_weight,
            order,
            context,
            what="position",
            before=abs(held) * price,
            after=abs(after) * price,
        )


@attrs.frozen
class SectorExposureRule:
    """Gross exposure (long plus short) of the order's sector <= max_sector_exposure × equity.

    Symbols missing from `sectors` belong to no sector, and this rule passes their orders.
    """

    name: ClassVar[str] = "sector_exposure"
    max_sector_exposure: Decimal = attrs.field(validator=positive_decimal)
    sectors: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        sector = self.sectors.get(order.symbol)
        if sector is None:
            return RuleVerdict(self.name, True, f"{order.symbol} has no sector in the sector map")
        price = execution_price(order, context.marks)
        held, after = quantity_after(order, context.portfolio)
        others, _ = _others(context, order.symbol, lambda s: self.sectors.get(s) == sector)
        return _exposure_verdict(
            self.name,
            "max_sector_exposure",
            self.max_sector_exposure,
            order,
            context,
            what=f"sector {sector} gross exposure",
            before=others + abs(held) * price,
            after=others + abs(after) * price,
        )


@attrs.frozen
class GrossExposureRule:
    """Σ |market value| after the order <= max_gross_exposure × equity."""

    name: ClassVar[str] = "gross_exposure"
    max_gross_exposure: Decimal = attrs.field(validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        price = execution_price(order, context.marks)
        held, after = quantity_after(order, context.portfolio)
        others, _ = _others(context, order.symbol)
        return _exposure_verdict(
            self.name,
            "max_gross_exposure",
            self.max_gross_exposure,
            order,
            context,
            what="gross exposure",
            before=others + abs(held) * price,
            after=others + abs(after) * price,
        )


@attrs.frozen
class NetExposureRule:
    """|Σ market value| after the order <= max_net_exposure × equity, long or short."""

    name: ClassVar[str] = "net_exposure"
    max_net_exposure: Decimal = attrs.field(validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        price = execution_price(order, context.marks)
        held, after = quantity_after(order, context.portfolio)
        _, others = _others(context, order.symbol)
        net_after = others + after * price
        return _exposure_verdict(
            self.name,
            "max_net_exposure",
            self.max_net_exposure,
            order,
            context,
            what="net short exposure" if net_after < 0 else "net exposure",
            before=abs(others + held * price),
            after=abs(net_after),
        )


@attrs.frozen
class BuyingPowerRule:
    """The gross exposure an order adds <= buying power.

    Buying power is the broker's figure when the context carries one, else
    equity × buying_power_multiplier − gross exposure (1: cash account, 2: Reg T margin, 4:
    intraday). Short-sale proceeds raise cash but not equity, so they add no buying power.
    """

    name: ClassVar[str] = "buying_power"
    buying_power_multiplier: Decimal = attrs.field(default=Decimal(1), validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        price = execution_price(order, context.marks)
        held, after = quantity_after(order, context.portfolio)
        needed = (abs(after) - abs(held)) * price
        if needed <= 0:
            return RuleVerdict(self.name, True, f"{describe(order)} does not add gross exposure")
        if context.buying_power is not None:
            available = context.buying_power
            source = "reported by the broker"
        else:
            equity = context.equity
            gross = context.portfolio.gross_exposure(context.marks)
            available = equity * self.buying_power_multiplier - gross
            source = (
                f"equity {equity:.2f} × buying_power_multiplier {self.buying_power_multiplier}"
                f" − gross exposure {gross:.2f}"
            )
        value, operator, shown_available = compare(needed, available, as_percent=False)
        return RuleVerdict(
            self.name,
            operator == "<=",
            f"{describe(order)} needs buying power {value} {operator} "
            f"available {shown_available} ({source})",
        )
