"""Use case: pull bars from a market data source into the bar store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from quantcli.application.ports import BarStore, MarketDataSource, check_bar_frame
from quantcli.domain.errors import DataError


@attrs.frozen
class IngestSummary:
    source: str
    rows_written: int
    symbols: tuple[str, ...]
    first_timestamp: datetime
    last_timestamp: datetime


def ingest_market_data(
    source: MarketDataSource,
    store: BarStore,
    symbols: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> IngestSummary:
    """Fetch, check and store bars; the store is written all-or-nothing."""
    bars = check_bar_frame(source.fetch_bars(symbols, start, end), source=source.name)
    if bars.empty:
        raise DataError(f"{source.name}: no bars for the requested symbols and dates")
    written = store.write_bars(bars)
    return IngestSummary(
        source=source.name,
        rows_written=written,
        symbols=tuple(sorted(bars["symbol"].unique())),
        first_timestamp=bars["timestamp"].min().to_pydatetime(),
        last_timestamp=bars["timestamp"].max().to_pydatetime(),
    )
