"""Which stored symbols a command works on: the ones asked for, each of which must have bars,
else every stored symbol. A missing symbol is named with what the store does hold."""

from __future__ import annotations

from collections.abc import Sequence

from quantcli.application.marketdata.ports import BarStore
from quantcli.domain.errors import DataError

EMPTY_STORE = "bar store is empty: generate or import data first"
# Up to this many stored symbols are listed by name; more are shown as first..last.
_LISTED = 4


def stored_symbols(bar_store: BarStore, symbols: Sequence[str] | None = None) -> list[str]:
    """`symbols` (duplicates dropped, order kept) when given, else every stored symbol.

    DataError when the store holds no bars, or names the symbols without bars and what is
    stored: ``no bars for NOPE (stored: SYN00..SYN19, 20 symbols)``.
    """
    stored = bar_store.symbols()
    if not stored:
        raise DataError(EMPTY_STORE)
    if not symbols:
        return list(stored)
    wanted = list(dict.fromkeys(symbols))
    known = set(stored)
    missing = [symbol for symbol in wanted if symbol not in known]
    if missing:
        raise DataError(f"no bars for {', '.join(missing)} (stored: {describe_symbols(stored)})")
    return wanted


def describe_symbols(symbols: Sequence[str]) -> str:
    """A few symbols by name ('AAPL, MSFT'), more as a sorted range: 'SYN00..SYN19, 20 symbols'."""
    ordered = sorted(symbols)
    if len(ordered) <= _LISTED:
        return ", ".join(ordered)
    return f"{ordered[0]}..{ordered[-1]}, {len(ordered)} symbols"
