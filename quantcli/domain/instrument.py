"""Tradable instruments."""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

from quantcli.domain.errors import ExecutionError, ValidationError

_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_/^=]{0,31}$")


def check_symbol(symbol: str) -> str:
    """Return the symbol if it is a well-formed ticker, else raise naming it."""
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
        raise ValidationError(f"symbol {symbol!r}: expected 1-32 letters, digits or . - _ / ^ =")
    return symbol


@attrs.frozen
class Instrument:
    """A tradable instrument: ticker, asset class, currency, exchange and sector.

    `fractional` says whether an order may ask for part of a unit (a crypto coin, a broker's
    fractional-share program); the default, an equity, trades whole shares only.
    """

    symbol: str = attrs.field(validator=lambda _i, _a, v: check_symbol(v))
    asset_class: str = "equity"
    currency: str = "USD"
    exchange: str = "SMART"
    sector: str = "unknown"
    fractional: bool = False

    def check_quantity(self, quantity: Decimal, what: str) -> Decimal:
        """The quantity if this instrument trades it, else ExecutionError naming `what`."""
        if not self.fractional and quantity != quantity.to_integral_value():
            raise ExecutionError(
                f"{what}: quantity {quantity:f} is not a whole number of shares; "
                f"{self.symbol} trades whole shares only"
            )
        return quantity
