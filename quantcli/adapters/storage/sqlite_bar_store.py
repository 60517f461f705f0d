"""The BarStore port on SQLite: bars keyed by (symbol, timestamp), upserted or replaced per
symbol, all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from quantcli.adapters.storage.sqlite_codecs import datetime_to_ns
from quantcli.adapters.storage.sqlite_database import SqliteDatabase
from quantcli.application.marketdata.ports import (
    BAR_COLUMNS,
    PRICE_COLUMNS,
    check_bar_frame,
    empty_bar_frame,
)
from quantcli.domain.errors import DataError

_VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
_UPSERT_BARS = (
    f"INSERT INTO bars (symbol, ts, {', '.join(_VALUE_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT (symbol, ts) DO UPDATE SET "
    f"{', '.join(f'{c} = excluded.{c}' for c in _VALUE_COLUMNS)}"
)


class SqliteBarStore:
    """OHLCV bars in the shared SQLite database; timestamps as UTC nanoseconds, prices as REAL."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def write_bars(self, bars: pd.DataFrame) -> int:
        """Upsert a bar frame in one transaction (all rows or none); returns the rows written."""
        frame = check_bar_frame(bars, source="bars")
        if frame.empty:
            return 0
        with self._db.transaction():
            self._upsert(frame)
        return len(frame)

    def replace_bars(self, bars: pd.DataFrame) -> int:
        """Delete every stored bar of the frame's symbols and insert the frame, in one
        transaction (a failure leaves the old series); returns the stored bars removed."""
        frame = check_bar_frame(bars, source="bars")
        if frame.empty:
            return 0
        symbols = json.dumps(sorted(frame["symbol"].unique().tolist()))
        with self._db.transaction():
            removed = self._db.execute(
                "DELETE FROM bars WHERE symbol IN (SELECT value FROM json_each(?))",
                [symbols],
                what="remove the replaced bars",
            ).rowcount
            self._upsert(frame)
        return int(removed)

    def _upsert(self, frame: pd.DataFrame) -> None:
        # Plain Python scalars via tolist(): far faster for executemany than per-row pandas access.
        timestamps = frame["timestamp"].dt.as_unit("ns").array.asi8
        columns: list[list[Any]] = [
            frame["symbol"].tolist(),
            timestamps.tolist(),
            *(frame[c].to_numpy(dtype=np.float64).tolist() for c in _VALUE_COLUMNS),
        ]
        self._db.executemany(
            _UPSERT_BARS, zip(*columns, strict=True), what=f"write {len(frame)} bars"
        )

    def read_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Bars of `symbols` (all when None) with start <= timestamp <= end, by symbol then time."""
        conditions: list[str] = []
        parameters: list[Any] = []
        if symbols is not None:
            if isinstance(symbols, str):
                raise DataError(f"read_bars symbols: expected a list of symbols, got {symbols!r}")
            # One JSON parameter instead of one per symbol: no limit on how many are asked for.
            conditions.append("symbol IN (SELECT value FROM json_each(?))")
            parameters.append(json.dumps([str(s) for s in symbols]))
        if start is not None:
            conditions.append("ts >= ?")
            parameters.append(datetime_to_ns(start, "read_bars start"))
        if end is not None:
            conditions.append("ts <= ?")
            parameters.append(datetime_to_ns(end, "read_bars end"))
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._db.fetch_all(
            f"SELECT symbol, ts, {', '.join(_VALUE_COLUMNS)} FROM bars{where} ORDER BY symbol, ts",
            parameters,
            what="read bars",
        )
        if not rows:
            return empty_bar_frame()
        symbol, ts, *values = zip(*rows, strict=True)
        data: dict[str, Any] = {
            # dtype=object explicitly: pandas 3 would otherwise infer its own string dtype.
            "symbol": pd.Series(np.array(symbol, dtype=object), dtype=object),
            "timestamp": pd.Series(
                pd.DatetimeIndex(np.array(ts, dtype=np.int64).view("datetime64[ns]"))
            ).dt.tz_localize("UTC"),
        }
        for column, column_values in zip(_VALUE_COLUMNS, values, strict=True):
            data[column] = np.array(column_values, dtype=np.float64)
        return pd.DataFrame(data, columns=list(BAR_COLUMNS))

    def symbols(self) -> list[str]:
        """Every symbol with at least one bar, sorted."""
        rows = self._db.fetch_all(
            "SELECT DISTINCT symbol FROM bars ORDER BY symbol", what="list symbols"
        )
        return [str(row[0]) for row in rows]

    def bar_count(self) -> int:
        row = self._db.fetch_one("SELECT COUNT(*) FROM bars", what="count bars")
        return int(row[0]) if row is not None else 0
