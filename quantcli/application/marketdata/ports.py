"""Market data ports: sources, the bar store, the bar frame's columns and checks, replay."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd

from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
BAR_COLUMNS: tuple[str, ...] = ("symbol", "timestamp", *PRICE_COLUMNS, "volume")


def empty_bar_frame() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype="float64") for column in BAR_COLUMNS})
    frame["symbol"] = frame["symbol"].astype(object)
    frame["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame


def check_bar_frame(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate a bar frame and return it normalized (sorted by symbol, timestamp; fresh index).

    Errors name `source` and the offending row by the frame's index label, so a file reader
    that indexes rows by their line number gets messages like "prices.csv row 17: high < low".
    """
    missing = [column for column in BAR_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}")
    timestamps = frame["timestamp"]
    if not isinstance(timestamps.dtype, pd.DatetimeTZDtype) or str(timestamps.dt.tz) != "UTC":
        raise DataError(
            f"{source}: timestamp column must be timezone-aware UTC, got {timestamps.dtype}"
        )
    if timestamps.isna().any():
        raise DataError(
            f"{source} row {timestamps[timestamps.isna()].index[0]}: timestamp is missing"
        )
    symbols = frame["symbol"]
    bad_symbol = symbols.isna() | (symbols.astype(str).str.len() == 0)
    if bad_symbol.any():
        raise DataError(f"{source} row {symbols[bad_symbol].index[0]}: symbol is missing")
    values = {}
    for column in (*PRICE_COLUMNS, "volume"):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataError(f"{source}: column {column} is not numeric ({frame[column].dtype})")
        values[column] = frame[column].to_numpy(dtype="float64")
    _check_ohlcv(frame.index, values, source)
    duplicated = frame.duplicated(subset=["symbol", "timestamp"], keep="first")
    if duplicated.any():
        label = duplicated[duplicated].index[0]
        row = frame.loc[label]
        raise DataError(
            f"{source} row {label}: duplicated timestamp {row['timestamp'].isoformat()} "
            f"for {row['symbol']}"
        )
    normalized = frame.loc[:, list(BAR_COLUMNS)].copy()
    normalized["symbol"] = normalized["symbol"].astype(str).astype(object)
    for column in (*PRICE_COLUMNS, "volume"):
        normalized[column] = values[column]
    normalized["timestamp"] = normalized["timestamp"].astype("datetime64[ns, UTC]")
    return normalized.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)


def _check_ohlcv(index: pd.Index, values: dict[str, np.ndarray], source: str) -> None:
    open_, high, low, close, volume = (
        values[c] for c in ("open", "high", "low", "close", "volume")
    )
    checks: list[tuple[np.ndarray, str]] = [
        (~np.isfinite(open_), "open is missing or not a number"),
        (~np.isfinite(high), "high is missing or not a number"),
        (~np.isfinite(low), "low is missing or not a number"),
        (~np.isfinite(close), "close is missing or not a number"),
        (~np.isfinite(volume), "volume is missing or not a number"),
        ((open_ <= 0) | (high <= 0) | (low <= 0) | (close <= 0), "price is not positive"),
        (volume < 0, "volume is negative"),
        (high < low, "high < low"),
        ((open_ < low) | (open_ > high), "open outside [low, high]"),
        ((close < low) | (close > high), "close outside [low, high]"),
    ]
    first_bad: tuple[int, str] | None = None
    with np.errstate(invalid="ignore"):
        for mask, problem in checks:
            positions = np.flatnonzero(mask)
            if positions.size and (first_bad is None or positions[0] < first_bad[0]):
                first_bad = (int(positions[0]), problem)
    if first_bad is not None:
        position, problem = first_bad
        detail = ", ".join(f"{c} {float(values[c][position])!r}" for c in PRICE_COLUMNS)
        raise DataError(f"{source} row {index[position]}: {problem} ({detail})")


class MarketDataSource(Protocol):
    """Anything that yields bars: a vendor, a file, a synthetic generator."""

    @property
    def name(self) -> str: ...

    def fetch_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """A bar frame (see BAR_COLUMNS) for `symbols` (all it has when None) in [start, end]."""
        ...


class BarStore(Protocol):
    """Durable storage of bars, keyed by (symbol, timestamp)."""

    def write_bars(self, bars: pd.DataFrame) -> int:
        """Upsert a checked bar frame all-or-nothing; returns the number of rows written."""
        ...

    def replace_bars(self, bars: pd.DataFrame) -> int:
        """Make `bars` the whole stored series of each of its symbols, all-or-nothing: every
        stored bar of those symbols goes, then the frame goes in, in one transaction. Other
        symbols are untouched. Returns the number of stored bars removed."""
        ...

    def read_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """A bar frame sorted by (symbol, timestamp); empty with the columns if none match."""
        ...

    def symbols(self) -> list[str]: ...

    def bar_count(self) -> int: ...


class BarReplay(Protocol):
    """A feed of bars in time order, one slice (all symbols at one timestamp) at a time."""

    def __iter__(self) -> Iterator[tuple[datetime, Mapping[str, Bar]]]: ...
