"""Tradable instruments."""

from __future__ import annotations

import re

import attrs

from quantcli.domain.errors import ValidationError

_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_/^=]{0,31}$")


def check_symbol(symbol: str) -> str:
    """Return the symbol if it is a well-formed ticker, else raise naming it."""
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
        raise ValidationError(f"symbol {symbol!r}: expected 1-32 letters, digits or . - _ / ^ =")
    return symbol


@attrs.frozen
class Instrument:
    """A tradable instrument: ticker, asset class, currency, exchange and sector."""

    symbol: str = attrs.field(validator=lambda _i, _a, v: check_symbol(v))
    asset_class: str = "equity"
    currency: str = "USD"
    exchange: str = "SMART"
    sector: str = "unknown"
