"""Import OHLCV bars from a CSV or Parquet file, naming file, row and problem on bad input.

Rows are numbered as a person finds them: the line number in a CSV file (the header is line 1,
so the first bar is row 2) and the 1-based record number in a Parquet file. Quoted cells that
span several lines would shift CSV line numbers; bar files have none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import numpy as np
import pandas as pd

from quantcli.adapters.data.bar_selection import select_bars
from quantcli.adapters.data.bar_table import parse_bar_table
from quantcli.domain import DataError, ValidationError
from quantcli.domain.instrument import check_symbol

_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _check_symbol_argument(_instance: object, _attribute: object, symbol: str | None) -> None:
    if symbol is not None:
        check_symbol(symbol)


def _check_timezone(_instance: object, _attribute: object, timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(f"timezone {timezone!r} is not an IANA time zone name") from None


@attrs.frozen
class BarFileSource:
    """Bars of one CSV or Parquet file; the file is read on every fetch and never written.

    Without a symbol column the symbol is `symbol`, else the file name's stem upper-cased;
    naive timestamps are taken to be in `timezone` and converted to UTC.
    """

    path: Path = attrs.field(converter=Path)
    symbol: str | None = attrs.field(default=None, validator=_check_symbol_argument)
    timezone: str = attrs.field(default="UTC", validator=_check_timezone)

    @property
    def name(self) -> str:
        return f"file:{self.path.name}"

    def fetch_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """The file's bars for `symbols` (all when None) in [start, end]; DataError on bad input."""
        return select_bars(self._read_all(), self.path.name, symbols, start, end)

    def _read_all(self) -> pd.DataFrame:
        file = self.path.name
        lowered = file.lower()
        if lowered.endswith(_CSV_SUFFIXES):
            read = _read_csv
        elif lowered.endswith(_PARQUET_SUFFIXES):
            read = _read_parquet
        else:
            raise DataError(
                f"{file}: unsupported file type; expected "
                f"{', '.join((*_CSV_SUFFIXES, *_PARQUET_SUFFIXES))}"
            )
        if not self.path.is_file():
            raise DataError(f"{file}: no such file ({self.path})")
        if self.path.stat().st_size == 0:
            raise DataError(f"{file}: file is empty")
        stem = file[: -len(".csv.gz")] if lowered.endswith(".csv.gz") else self.path.stem
        cells, names = read(self.path)
        return parse_bar_table(
            cells,
            names,
            file,
            symbol=self.symbol,
            default_symbol=stem.upper(),
            timezone=self.timezone,
        )


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """All cells as strings, indexed by line number, so errors can quote the exact bad cell."""
    file = path.name
    try:
        raw = pd.read_csv(
            path,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,  # keeps positions equal to line numbers
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{file}: no header on line 1 (empty, or starts with a blank line)"
        ) from None
    except pd.errors.ParserError as error:
        match = _FIELD_COUNT.search(str(error))
        if match is None:
            raise DataError(f"{file}: not a readable CSV file ({error})") from None
        expected, line, saw = match.groups()
        raise DataError(f"{file} row {line}: {saw} fields, but the header has {expected}") from None
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataError(f"{file}: cannot read ({error})") from None
    raw.index = raw.index + 1
    names = [str(name) for name in raw.iloc[0]]
    data = raw.iloc[1:]
    blank = data.apply(lambda column: column.str.strip().eq("")).all(axis=1)
    return data.loc[~blank], names


def _read_parquet(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Cells as stored, indexed by 1-based record number."""
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path.name}: not a readable Parquet file ({error})") from None
    if not isinstance(table.index, pd.RangeIndex) or table.index.name is not None:
        # pandas restores a frame's index from Parquet metadata; an unnamed one is the
        # counterpart of the unnamed first column of a CSV written by pandas.
        names = ["" if name is None else str(name) for name in table.index.names]
        table = table.reset_index(names=[f"__index_{i}" for i in range(len(names))])
        names += [str(column) for column in table.columns[len(names) :]]
    else:
        names = [str(column) for column in table.columns]
    table.columns = pd.RangeIndex(len(names))
    table.index = pd.Index(np.arange(1, len(table) + 1))
    return table, names
