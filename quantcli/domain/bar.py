"""OHLCV bars."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

from quantcli.domain.errors import DataError
from quantcli.domain.instrument import check_symbol


def ohlcv_problem(open_: float, high: float, low: float, close: float, volume: float) -> str | None:
    """Describe what is wrong with one bar's prices and volume, or None if nothing is."""
    values = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    for name, value in values.items():
        if not math.isfinite(value):
            return f"{name} is not a finite number ({value!r})"
    for name in ("open", "high", "low", "close"):
        if values[name] <= 0:
            return f"{name} {values[name]!r} is not positive"
    if volume < 0:
        return f"volume {volume!r} is negative"
    if high < low:
        return f"high {high!r} < low {low!r}"
    if not low <= open_ <= high:
        return f"open {open_!r} outside [low {low!r}, high {high!r}]"
    if not low <= close <= high:
        return f"close {close!r} outside [low {low!r}, high {high!r}]"
    return None


def require_utc(timestamp: datetime, what: str) -> datetime:
    """Inside QuantCLI every timestamp is timezone-aware UTC."""
    if timestamp.tzinfo is None or timestamp.utcoffset() != timedelta(0):
        raise DataError(f"{what}: timestamp {timestamp.isoformat()} is not timezone-aware UTC")
    return timestamp


@attrs.frozen
class Bar:
    """One OHLCV bar of one symbol; `timestamp` is the bar's start in UTC."""

    symbol: str
    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __attrs_post_init__(self) -> None:
        check_symbol(self.symbol)
        require_utc(self.timestamp, f"bar {self.symbol}")
        problem = ohlcv_problem(self.open, self.high, self.low, self.close, self.volume)
        if problem is not None:
            raise DataError(f"bar {self.symbol} {self.timestamp.isoformat()}: {problem}")
