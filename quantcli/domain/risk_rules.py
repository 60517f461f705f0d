"""Pre-trade risk rules: each a named, pure check giving a verdict; together they give a decision.

The rules themselves live in `exposure_rules` (position, sector, gross, net, buying power) and
`order_rules` (size, notional, price collar, rate, restricted list, short availability).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from quantcli.domain.errors import RiskError, ValidationError
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio

ZERO = Decimal(0)


@attrs.frozen
class RuleVerdict:
    """One rule's answer about one order: passed or not, and why, with the numbers."""

    rule: str
    passed: bool
    reason: str


@attrs.frozen
class RiskDecision:
    """Every rule's verdict on one order; approved only when all of them passed."""

    verdicts: tuple[RuleVerdict, ...]

    @property
    def approved(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts)

    @property
    def rejections(self) -> tuple[RuleVerdict, ...]:
        return tuple(verdict for verdict in self.verdicts if not verdict.passed)

    @property
    def rejection(self) -> RuleVerdict | None:
        """The first rule (in evaluation order) that rejected the order, if any."""
        return next(iter(self.rejections), None)

    @property
    def reject_reason(self) -> str | None:
        """'rule: reason' of the first rejection: what `Order.reject` records."""
        first = self.rejection
        return None if first is None else f"{first.rule}: {first.reason}"


def _utc(_instance: Any, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValidationError(f"{attribute.name}: {value.isoformat()} is not timezone-aware UTC")


def _utc_each(
    _instance: Any, attribute: attrs.Attribute[tuple[datetime, ...]], values: tuple[datetime, ...]
) -> None:
    for index, value in enumerate(values):
        if value.tzinfo is None or value.utcoffset() != timedelta(0):
            raise ValidationError(
                f"{attribute.name}[{index}]: {value.isoformat()} is not timezone-aware UTC"
            )


@attrs.frozen(eq=False)
class RiskContext:
    """What the rules see besides the order: holdings, last prices, the time and broker facts.

    `buying_power` is the broker's figure when it reports one; without it the buying-power rule
    derives it from equity. `locates` are shares located for short sales, by symbol.
    """

    portfolio: Portfolio
    marks: Mapping[str, Decimal]
    now: datetime = attrs.field(validator=_utc)
    recent_submissions: tuple[datetime, ...] = attrs.field(default=(), validator=_utc_each)
    buying_power: Decimal | None = None
    locates: Mapping[str, Decimal] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        for symbol, mark in self.marks.items():
            if not mark > 0:
                raise ValidationError(f"marks[{symbol}]: last price {mark} is not positive")
        missing = sorted(
            symbol
            for symbol, position in self.portfolio.positions.items()
            if not position.is_flat and symbol not in self.marks
        )
        if missing:
            raise ValidationError(
                f"marks: no last price for {', '.join(missing)}, which the portfolio holds"
            )
        for symbol, located in self.locates.items():
            if located < 0:
                raise ValidationError(f"locates[{symbol}]: {located} is negative")

    @property
    def equity(self) -> Decimal:
        return self.portfolio.equity(self.marks)


class RiskRule(Protocol):
    """A pre-trade check with a stable name (the key a rejection is recorded under)."""

    @property
    def name(self) -> str: ...

    def evaluate(self, order: Order, context: RiskContext) -> RuleVerdict: ...


def _distinct_names(
    _instance: Any, _attribute: attrs.Attribute[tuple[RiskRule, ...]], rules: tuple[RiskRule, ...]
) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise ValidationError(f"rules: {rule.name} appears twice")
        seen.add(rule.name)


def _as_rule_tuple(rules: Iterable[RiskRule]) -> tuple[RiskRule, ...]:
    return tuple(rules)


@attrs.frozen
class RiskRules:
    """The configured rules, evaluated in order; every rule runs so a UI can show them all."""

    rules: tuple[RiskRule, ...] = attrs.field(converter=_as_rule_tuple, validator=_distinct_names)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.rules)

    def evaluate(self, order: Order, context: RiskContext) -> RiskDecision:
        """Every rule's verdict; RiskError when the order's symbol has no last price."""
        last_price(order.symbol, context.marks)  # every rule may need it: fail once, up front
        return RiskDecision(tuple(rule.evaluate(order, context) for rule in self.rules))


# --- helpers the rules share ------------------------------------------------------------------


def describe(order: Order) -> str:
    """'order AAPL BUY 500': how every reason starts."""
    return f"order {order.symbol} {order.side.value} {order.quantity}"


def last_price(symbol: str, marks: Mapping[str, Decimal]) -> Decimal:
    try:
        return marks[symbol]
    except KeyError:
        raise RiskError(
            f"marks: no last price for {symbol}, so its order cannot be checked"
        ) from None


def execution_price(order: Order, marks: Mapping[str, Decimal]) -> Decimal:
    """The price an order is valued at: its limit price, else its stop price, else the last."""
    if order.limit_price is not None:
        return order.limit_price
    if order.stop_price is not None:
        return order.stop_price
    return last_price(order.symbol, marks)


def quantity_after(order: Order, portfolio: Portfolio) -> tuple[Decimal, Decimal]:
    """(held, held after the order fills) for the order's symbol, signed."""
    held = portfolio.quantity(order.symbol)
    return held, held + order.signed_quantity


def compare(value: Decimal, limit: Decimal, *, as_percent: bool) -> tuple[str, str, str]:
    """(value, '>' or '<=', limit) as text, with enough digits that unequal values read unequal."""
    operator = ">" if value > limit else "<="
    scale = Decimal(100) if as_percent else Decimal(1)
    suffix = "%" if as_percent else ""
    first = 1 if as_percent else 2
    for digits in range(first, first + 6):
        shown = f"{value * scale:.{digits}f}{suffix}", f"{limit * scale:.{digits}f}{suffix}"
        if shown[0] != shown[1] or value == limit:
            break
    return shown[0], operator, shown[1]


def positive_decimal(_instance: Any, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not value > 0:
        raise ValidationError(f"{attribute.name}: {value} is not positive")
