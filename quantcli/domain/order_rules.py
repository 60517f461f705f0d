"""Pre-trade rules on the order itself: size, notional, price collar, rate, restricted, shorts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from quantcli.domain.errors import ValidationError
from quantcli.domain.orders import Order
from quantcli.domain.risk_rules import (
    ZERO,
    RiskContext,
    RuleVerdict,
    compare,
    describe,
    execution_price,
    last_price,
    positive_decimal,
    quantity_after,
)


@attrs.frozen
class OrderSizeRule:
    """An order's quantity <= max_order_quantity shares."""

    name: ClassVar[str] = "order_size"
    max_order_quantity: Decimal = attrs.field(validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        operator = ">" if order.quantity > self.max_order_quantity else "<="
        return RuleVerdict(
            self.name,
            operator == "<=",
            f"{describe(order)}: quantity {order.quantity} {operator} "
            f"max_order_quantity {self.max_order_quantity}",
        )


@attrs.frozen
class OrderNotionalRule:
    """An order's quantity × execution price <= max_order_notional."""

    name: ClassVar[str] = "order_notional"
    max_order_notional: Decimal = attrs.field(validator=positive_decimal)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        price = execution_price(order, context.marks)
        notional, operator, limit = compare(
            order.quantity * price, self.max_order_notional, as_percent=False
        )
        return RuleVerdict(
            self.name,
            operator == "<=",
            f"{describe(order)}: notional {notional} at {price} {operator} "
            f"max_order_notional {limit}",
        )


def _collar_fraction(_instance: Any, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not 0 < value <= 1:
        raise ValidationError(f"{attribute.name}: {value} is not in (0, 1]")


@attrs.frozen
class PriceCollarRule:
    """Limit and stop prices within price_collar (a fraction) of the last price, either side.

    Catches fat fingers: a limit 10× the market, or a stop on the wrong side by a decimal place.
    Market orders carry no price and pass.
    """

    name: ClassVar[str] = "price_collar"
    price_collar: Decimal = attrs.field(validator=_collar_fraction)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        last = last_price(order.symbol, context.marks)
        priced = [
            (label, price)
            for label, price in (
                ("limit_price", order.limit_price),
                ("stop_price", order.stop_price),
            )
            if price is not None
        ]
        if not priced:
            return RuleVerdict(self.name, True, f"{describe(order)}: no limit or stop price")
        # The price furthest from the last decides; on a tie the limit price is named.
        label, price = max(priced, key=lambda item: abs(item[1] - last))
        deviation, operator, collar = compare(
            abs(price - last) / last, self.price_collar, as_percent=True
        )
        return RuleVerdict(
            self.name,
            operator == "<=",
            f"{describe(order)}: {label} {price} is {deviation} from last price {last} "
            f"{operator} price_collar {collar}",
        )


def _positive_int(_instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if not value > 0:
        raise ValidationError(f"{attribute.name}: {value} is not positive")


def _positive_window(
    _instance: Any, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if not value > timedelta(0):
        raise ValidationError(f"{attribute.name}: {value} is not positive")


@attrs.frozen
class OrderRateRule:
    """At most max_orders submissions in any `window` (default one minute), this order included.

    A submission counts while it is less than `window` old: one made exactly `window` before
    `now` has left the window. Submissions stamped after `now` (clock skew) count.
    """

    name: ClassVar[str] = "order_rate"
    max_orders: int = attrs.field(validator=_positive_int)
    window: timedelta = attrs.field(default=timedelta(minutes=1), validator=_positive_window)

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        start = context.now - self.window
        recent = sum(1 for at in context.recent_submissions if at > start)
        seconds = f"{self.window.total_seconds():g}s"
        operator = ">" if recent + 1 > self.max_orders else "<="
        return RuleVerdict(
            self.name,
            operator == "<=",
            f"{describe(order)} would be order {recent + 1} in the last {seconds} {operator} "
            f"max {self.max_orders} per {seconds}",
        )


@attrs.frozen
class RestrictedRule:
    """No orders, in either direction, in a symbol on the restricted list."""

    name: ClassVar[str] = "restricted"
    restricted_symbols: frozenset[str] = frozenset()

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        if order.symbol in self.restricted_symbols:
            return RuleVerdict(self.name, False, f"{order.symbol} is on the restricted list")
        return RuleVerdict(self.name, True, f"{order.symbol} is not on the restricted list")


@attrs.frozen
class ShortAvailabilityRule:
    """Shares an order newly sells short must be borrowable, and located where a locate is needed.

    `shortable` None means every symbol may be shorted, else only those listed. A locate is
    needed for every short when `require_locate`, else only for `hard_to_borrow` symbols; the
    located quantity (from the context) must cover the new short shares.
    """

    name: ClassVar[str] = "short_availability"
    require_locate: bool = False
    shortable: frozenset[str] | None = None
    hard_to_borrow: frozenset[str] = frozenset()

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict:
        held, after = quantity_after(order, context.portfolio)
        new_short = max(ZERO, -after) - max(ZERO, -held)
        if new_short <= 0:
            return RuleVerdict(self.name, True, f"{describe(order)} sells nothing new short")
        shorting = f"{describe(order)} would short {new_short} shares"
        if self.shortable is not None and order.symbol not in self.shortable:
            return RuleVerdict(
                self.name, False, f"{shorting}; {order.symbol} is not on the shortable list"
            )
        hard_to_borrow = order.symbol in self.hard_to_borrow
        if not (self.require_locate or hard_to_borrow):
            return RuleVerdict(self.name, True, f"{shorting}; no locate required")
        located = context.locates.get(order.symbol, ZERO)
        why = "hard to borrow" if hard_to_borrow else "locate required"
        if new_short > located:
            return RuleVerdict(
                self.name, False, f"{shorting} but only {located} are located ({why})"
            )
        return RuleVerdict(self.name, True, f"{shorting}, {located} located ({why})")
