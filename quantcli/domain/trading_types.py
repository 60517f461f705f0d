"""Trading vocabulary as types: sides, order types, time in force, order status, exact money."""

from __future__ import annotations

import enum
from decimal import Decimal

from quantcli.domain.errors import ValidationError


class OrderSide(enum.Enum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the sign of the position change."""
        return 1 if self is OrderSide.BUY else -1

    @classmethod
    def for_quantity_change(cls, delta: Decimal) -> OrderSide:
        return cls.BUY if delta > 0 else cls.SELL


class OrderType(enum.Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(enum.Enum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"


class OrderStatus(enum.Enum):
    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return not self.is_terminal


_TERMINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})


def to_decimal(value: float | int | str | Decimal, what: str = "value") -> Decimal:
    """Exact decimal for a price, quantity or amount; floats go through their shortest repr."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError(f"{what}: expected a number, got a boolean")
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(value)
        except ArithmeticError as exc:
            raise ValidationError(f"{what}: {value!r} is not a number") from exc
    if not result.is_finite():
        raise ValidationError(f"{what}: {value!r} is not a finite number")
    return result
