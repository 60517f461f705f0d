"""Round-trip trades rebuilt from a simulation's fills, first in first out per symbol."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from quantcli.kernels.simulator import Fills


class RoundTrip(NamedTuple):
    """One matched entry and exit; quantity is signed (negative for a short).

    pnl = quantity x (exit_price - entry_price) minus the commissions of both fills, each shared
    in proportion to the shares matched. Borrow fees are not in it (they accrue per bar).
    """

    symbol: int
    entry_bar: int
    entry_price: float
    exit_bar: int
    exit_price: float
    quantity: float
    pnl: float


class _Lot(NamedTuple):
    bar: int
    price: float
    quantity: float
    commission_per_share: float


def round_trips(fills: Fills) -> list[RoundTrip]:
    """Pairs each reducing fill with the oldest open lots of its symbol; a flip opens a new lot."""
    lots: dict[int, deque[_Lot]] = {}
    trips: list[RoundTrip] = []
    for bar, symbol, quantity, price, commission in zip(
        fills.bar.tolist(),
        fills.symbol.tolist(),
        fills.quantity.tolist(),
        fills.price.tolist(),
        fills.commission.tolist(),
        strict=True,
    ):
        fee_per_share = commission / abs(quantity)
        book = lots.setdefault(symbol, deque())
        remaining = quantity
        while remaining != 0 and book and (book[0].quantity > 0) != (remaining > 0):
            lot = book[0]
            matched = min(abs(lot.quantity), abs(remaining))
            signed = matched if lot.quantity > 0 else -matched
            fees = matched * (lot.commission_per_share + fee_per_share)
            trips.append(
                RoundTrip(
                    symbol=symbol,
                    entry_bar=lot.bar,
                    entry_price=lot.price,
                    exit_bar=bar,
                    exit_price=price,
                    quantity=signed,
                    pnl=signed * (price - lot.price) - fees,
                )
            )
            if matched == abs(lot.quantity):
                book.popleft()
            else:
                book[0] = lot._replace(quantity=lot.quantity - signed)
            remaining += signed
        if remaining != 0:
            book.append(_Lot(bar, price, remaining, fee_per_share))
    return trips
