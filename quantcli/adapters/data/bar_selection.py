"""Select the symbols and time range a caller asked for from a checked bar frame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from quantcli.domain.errors import DataError, ValidationError


def select_bars(
    bars: pd.DataFrame,
    source: str,
    symbols: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Rows of `bars` for `symbols` (all when None) with start <= timestamp <= end.

    A symbol the source does not have is a DataError naming it, so a typo is not
    mistaken for "no data in that period".
    """
    start_utc = _as_utc(start, "start")
    end_utc = _as_utc(end, "end")
    if start_utc is not None and end_utc is not None and start_utc > end_utc:
        raise ValidationError(f"start {start_utc.isoformat()} is after end {end_utc.isoformat()}")
    keep = pd.Series(True, index=bars.index)
    if symbols is not None:
        # A bare string is a Sequence[str] of characters; the caller meant one symbol.
        wanted = [symbols] if isinstance(symbols, str) else list(symbols)
        available = set(bars["symbol"].unique())
        unknown = [symbol for symbol in wanted if symbol not in available]
        if unknown:
            raise DataError(
                f"{source}: unknown symbol(s) {', '.join(map(str, unknown))}; "
                f"it has {_summarize(sorted(available))}"
            )
        keep &= bars["symbol"].isin(wanted)
    if start_utc is not None:
        keep &= bars["timestamp"] >= start_utc
    if end_utc is not None:
        keep &= bars["timestamp"] <= end_utc
    return bars.loc[keep].reset_index(drop=True)


def _as_utc(moment: datetime | None, argument: str) -> pd.Timestamp | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        raise ValidationError(f"{argument} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        # Guessing a zone for a naive bound would silently shift the range by hours.
        raise ValidationError(f"{argument} {moment.isoformat()} must be timezone-aware")
    return pd.Timestamp(moment).tz_convert("UTC")


def _summarize(symbols: list[str], limit: int = 10) -> str:
    if not symbols:
        return "no symbols"
    if len(symbols) <= limit:
        return ", ".join(symbols)
    return f"{', '.join(symbols[:limit])} … ({len(symbols)} symbols)"
