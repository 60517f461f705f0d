"""Risk limits and the pure rules that check an order against them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio


@attrs.frozen
class RiskLimits:
    """Pre-trade limits; exposures are fractions of equity, sizes absolute."""

    max_position_weight: float = 0.25
    max_gross_exposure: float = 1.5
    max_net_exposure: float = 1.0
    max_order_quantity: Decimal = Decimal(1_000_000)
    max_order_notional: Decimal = Decimal(1_000_000)
    restricted_symbols: frozenset[str] = frozenset()


@attrs.frozen
class RiskViolation:
    """Which rule rejected an order, and why."""

    rule: str
    reason: str


def check_order(
    order: Order,
    price: Decimal,
    portfolio: Portfolio,
    marks: Mapping[str, Decimal],
    limits: RiskLimits,
) -> list[RiskViolation]:
    """Every limit the order would break if filled at `price`; empty when it passes."""
    violations: list[RiskViolation] = []
    notional = order.quantity * price
    if order.symbol in limits.restricted_symbols:
        violations.append(RiskViolation("restricted_list", f"{order.symbol} is restricted"))
    if order.quantity > limits.max_order_quantity:
        violations.append(
            RiskViolation(
                "max_order_quantity",
                f"quantity {order.quantity} > limit {limits.max_order_quantity}",
            )
        )
    if notional > limits.max_order_notional:
        violations.append(
            RiskViolation(
                "max_order_notional", f"notional {notional:.2f} > limit {limits.max_order_notional}"
            )
        )
    equity = portfolio.equity(marks)
    if equity <= 0:
        violations.append(RiskViolation("equity", f"equity {equity:.2f} is not positive"))
        return violations
    after = portfolio.quantity(order.symbol) + order.signed_quantity
    position_weight = abs(after * price) / equity
    if position_weight > Decimal(repr(limits.max_position_weight)):
        violations.append(
            RiskViolation(
                "max_position_weight",
                f"{order.symbol} would be {position_weight:.3f} of equity "
                f"> limit {limits.max_position_weight}",
            )
        )
    marks_after = {**marks, order.symbol: price}
    current = portfolio.quantity(order.symbol) * price
    gross = portfolio.gross_exposure(marks_after) - abs(current) + abs(after * price)
    net = portfolio.net_exposure(marks_after) - current + after * price
    if gross / equity > Decimal(repr(limits.max_gross_exposure)):
        violations.append(
            RiskViolation(
                "max_gross_exposure",
                f"gross exposure would be {gross / equity:.3f} of equity "
                f"> limit {limits.max_gross_exposure}",
            )
        )
    if abs(net) / equity > Decimal(repr(limits.max_net_exposure)):
        violations.append(
            RiskViolation(
                "max_net_exposure",
                f"net exposure would be {net / equity:.3f} of equity "
                f"> limit {limits.max_net_exposure}",
            )
        )
    return violations
