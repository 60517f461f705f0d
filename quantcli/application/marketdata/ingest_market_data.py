"""Use case: pull bars from a market data source into the bar store, never splicing two series.

Two ways in, both all-or-nothing:

- update (the default, `data import`): bars are upserted by (symbol, timestamp), so a file that
  extends a stored series (a daily update) or corrects a few of its bars goes in. But an import
  whose bars overlap stored ones and whose close differs from the stored close by more than
  `close_tolerance` (1% by default) on any of them is a different series, not a vendor
  correction: it is refused whole, naming the symbol, the timestamp and both closes, and the
  store is left as it was.
- replace (`data generate`, the synthetic quickstart, `data import --replace`): the source's
  bars become the whole stored series of each symbol they cover; every older bar of those
  symbols goes, in the same transaction. Other symbols are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs
import numpy as np
import pandas as pd

from quantcli.application.marketdata.ports import BarStore, MarketDataSource, check_bar_frame
from quantcli.domain.errors import DataError

# A vendor correction moves a close by cents; a different series (another run, another
# adjustment basis, another instrument) by far more.
CLOSE_TOLERANCE = 0.01


@attrs.frozen
class IngestSummary:
    source: str
    rows_written: int
    symbols: tuple[str, ...]
    first_timestamp: datetime
    last_timestamp: datetime
    bars_replaced: int = 0  # stored bars of `symbols` removed because their series was replaced
    bars_updated: int = 0  # incoming bars that were already stored (within the tolerance)


def ingest_market_data(
    source: MarketDataSource,
    store: BarStore,
    symbols: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    replace: bool = False,
    close_tolerance: float = CLOSE_TOLERANCE,
) -> IngestSummary:
    """Fetch, check and store bars; the store is written all-or-nothing.

    `replace` makes the fetched bars the whole series of their symbols; otherwise they are
    upserted after `check_same_series` (a DataError leaves the store unchanged).
    """
    bars = check_bar_frame(source.fetch_bars(symbols, start, end), source=source.name)
    if bars.empty:
        raise DataError(f"{source.name}: no bars for the requested symbols and dates")
    replaced = updated = 0
    if replace:
        replaced = store.replace_bars(bars)
        written = len(bars)
    else:
        updated = check_same_series(bars, store, source.name, close_tolerance)
        written = store.write_bars(bars)
    return IngestSummary(
        source=source.name,
        rows_written=written,
        symbols=tuple(sorted(bars["symbol"].unique())),
        first_timestamp=bars["timestamp"].min().to_pydatetime(),
        last_timestamp=bars["timestamp"].max().to_pydatetime(),
        bars_replaced=replaced,
        bars_updated=updated,
    )


def check_same_series(
    bars: pd.DataFrame, store: BarStore, source: str, close_tolerance: float = CLOSE_TOLERANCE
) -> int:
    """The number of `bars` already stored; DataError if any of their closes differs from the
    stored close by more than `close_tolerance` (relative), naming the first such bar."""
    stored = store.read_bars(
        sorted(bars["symbol"].unique()),
        bars["timestamp"].min().to_pydatetime(),
        bars["timestamp"].max().to_pydatetime(),
    )
    if stored.empty:
        return 0
    overlap = bars.merge(
        stored.loc[:, ["symbol", "timestamp", "close"]],
        on=["symbol", "timestamp"],
        suffixes=("", "_stored"),
    )
    new, old = overlap["close"].to_numpy(), overlap["close_stored"].to_numpy()
    difference = np.abs(new - old) / old
    bad = np.flatnonzero(difference > close_tolerance)
    if bad.size:
        first = overlap.iloc[bad[0]]
        symbol = first["symbol"]
        same_symbol = int((overlap["symbol"].iloc[bad] == symbol).sum())
        more = f" (and {same_symbol - 1} more of its bars)" if same_symbol > 1 else ""
        raise DataError(
            f"{source}: {symbol} {first['timestamp']:%Y-%m-%d %H:%M} close "
            f"{float(first['close'])!r} differs from the stored close "
            f"{float(first['close_stored'])!r} by {difference[bad[0]]:.1%}{more}, more than "
            f"the {close_tolerance:.0%} a correction may move it: a different series, not an "
            f"update of {symbol}. Nothing was imported; to replace the stored series of "
            f"{symbol}, import with `quantcli data import --replace`"
        )
    return len(overlap)
