"""The simulated broker's price rules in Decimal; `kernels/src/simulator/matching.rs` mirrors
them in float64."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.domain.bar import Bar
from quantcli.domain.trading_types import OrderSide, to_decimal


@attrs.frozen
class BarPrices:
    """A bar's prices and volume as exact decimals, converted once per bar."""

    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal

    @classmethod
    def of(cls, bar: Bar) -> BarPrices:
        what = f"bar {bar.symbol} {bar.timestamp.isoformat()}"
        return cls(
            timestamp=bar.timestamp,
            open=to_decimal(bar.open, f"{what} open"),
            high=to_decimal(bar.high, f"{what} high"),
            low=to_decimal(bar.low, f"{what} low"),
            volume=to_decimal(bar.volume, f"{what} volume"),
        )


def limit_fill_price(side: OrderSide, limit: Decimal, bar: BarPrices) -> Decimal | None:
    """Where a limit order fills on this bar: the open if it is at or better, else the limit."""
    if side is OrderSide.BUY:
        if bar.open <= limit:
            return bar.open
        return limit if bar.low <= limit else None
    if bar.open >= limit:
        return bar.open
    return limit if bar.high >= limit else None


def stop_trigger_price(side: OrderSide, stop: Decimal, bar: BarPrices) -> Decimal | None:
    """Where a stop triggers on this bar: the open if the bar gaps through it, else the stop."""
    if side is OrderSide.BUY:
        if bar.open >= stop:
            return bar.open
        return stop if bar.high >= stop else None
    if bar.open <= stop:
        return bar.open
    return stop if bar.low <= stop else None


def satisfies_limit(side: OrderSide, price: Decimal, limit: Decimal) -> bool:
    return price <= limit if side is OrderSide.BUY else price >= limit
