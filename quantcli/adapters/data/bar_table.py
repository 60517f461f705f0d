"""Turn a raw table read from a bar file into a checked bar frame, naming the bad cell on error.

The table's index holds the row numbers to report (file line numbers for CSV, 1-based record
numbers for Parquet); cells are strings for CSV and whatever the file stored for Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from quantcli.application.marketdata.ports import PRICE_COLUMNS, check_bar_frame
from quantcli.domain import DataError, ValidationError, ohlcv_problem
from quantcli.domain.instrument import check_symbol

TIMESTAMP_NAMES: tuple[str, ...] = ("date", "datetime", "timestamp", "time")
VALUE_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
# Written by pandas for an unnamed index column that went through a CSV round trip twice.
_UNNAMED_FIRST = ("", "unnamed: 0")
_UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def parse_bar_table(
    cells: pd.DataFrame,
    names: Sequence[str],
    file: str,
    *,
    symbol: str | None,
    default_symbol: str,
    timezone: str,
) -> pd.DataFrame:
    """A checked bar frame from `cells` (positional columns called `names`); DataError otherwise.

    Without a symbol column every bar gets `symbol`, else `default_symbol`; with one, a given
    `symbol` must match it. Naive timestamps are read in `timezone`.
    """
    if cells.empty:
        raise DataError(f"{file}: no data rows")
    rows = cells.index
    positions = _locate_columns([name.strip().lower() for name in names], file)
    timestamp_position = positions.pop("timestamp")
    header = names[timestamp_position].strip().lower()
    label = "timestamp" if header in _UNNAMED_FIRST else header
    frame = pd.DataFrame(index=rows)
    frame["symbol"] = _parse_symbols(
        cells, positions.pop("symbol", None), symbol, default_symbol, file
    )
    frame["timestamp"] = _parse_timestamps(cells.iloc[:, timestamp_position], label, timezone, file)
    for column in VALUE_COLUMNS:
        frame[column] = _parse_numbers(cells.iloc[:, positions[column]], column, file)
    _check_prices(frame, file)
    _check_duplicates(frame, file)
    return check_bar_frame(frame, source=file)


def _locate_columns(names: list[str], file: str) -> dict[str, int]:
    """Position of each needed column; extra columns (e.g. 'adj close') are ignored."""
    wanted = [*VALUE_COLUMNS, "symbol"]
    for name in wanted:
        if names.count(name) > 1:
            raise DataError(f"{file}: column {name} appears {names.count(name)} times")
    positions = {name: names.index(name) for name in wanted if name in names}
    candidates = [name for name in names if name in TIMESTAMP_NAMES]
    if len(candidates) > 1:
        raise DataError(f"{file}: several timestamp columns ({', '.join(candidates)}); keep one")
    if candidates:
        positions["timestamp"] = names.index(candidates[0])
    elif names and names[0] in _UNNAMED_FIRST:
        positions["timestamp"] = 0
    missing = [name for name in VALUE_COLUMNS if name not in positions]
    if "timestamp" not in positions:
        missing.insert(0, "timestamp (date, datetime, timestamp or time)")
    if missing:
        found = ", ".join(repr(name) for name in names)
        raise DataError(f"{file}: missing column(s) {', '.join(missing)}; found {found}")
    return positions


def _is_missing(cells: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(cells) or cells.dtype == object:
        return cells.isna() | (cells.astype(str).str.strip() == "")
    return cells.isna()


def _first_bad(mask: pd.Series | np.ndarray) -> int | None:
    """Position of the first True in `mask`, or None."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(positions[0]) if positions.size else None


def _first_true(mask: pd.Series) -> int:
    """Position of the first True in a mask known to have one."""
    return int(np.flatnonzero(mask.to_numpy(dtype=bool))[0])


def _raise_if_missing(cells: pd.Series, column: str, file: str) -> None:
    position = _first_bad(_is_missing(cells))
    if position is not None:
        raise DataError(f"{file} row {cells.index[position]}: {column} is missing")


def _parse_numbers(cells: pd.Series, column: str, file: str) -> np.ndarray:
    _raise_if_missing(cells, column, file)
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        values = cells.to_numpy(dtype="float64")
        text = cells.astype(str)
    else:
        text = cells.astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    position = _first_bad(np.isnan(values))
    if position is not None:
        raise DataError(
            f"{file} row {cells.index[position]}: {column} {text.iloc[position]!r} is not a number"
        )
    position = _first_bad(~np.isfinite(values))
    if position is not None:
        raise DataError(
            f"{file} row {cells.index[position]}: {column} {text.iloc[position]!r} "
            "is not a finite number"
        )
    return values


def _parse_symbols(
    cells: pd.DataFrame, position: int | None, symbol: str | None, default_symbol: str, file: str
) -> pd.Series:
    if position is None:
        chosen = default_symbol if symbol is None else symbol
        try:
            check_symbol(chosen)
        except ValidationError as error:
            raise DataError(f"{file}: no symbol column, so pass symbol=; {error}") from None
        return pd.Series(chosen, index=cells.index, dtype=object)
    column = cells.iloc[:, position]
    _raise_if_missing(column, "symbol", file)
    symbols = column.astype(str).str.strip().astype(object)
    for value in symbols.unique():
        try:
            check_symbol(value)
        except ValidationError as error:
            problem = str(error)
        else:
            if symbol is None or value == symbol:
                continue
            problem = f"symbol {value!r} but symbol={symbol!r} given"
        # unique() keeps first-appearance order, so this is the earliest bad row.
        raise DataError(f"{file} row {symbols.index[_first_true(symbols == value)]}: {problem}")
    return symbols


def _parse_timestamps(cells: pd.Series, label: str, timezone: str, file: str) -> pd.Series:
    """UTC timestamps: naive values are read in `timezone`, aware ones converted."""
    if isinstance(cells.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(cells):
        parsed, text = cells, cells.astype(str)
        _raise_if_missing(cells, label, file)
    else:
        _raise_if_missing(cells, label, file)
        text = cells.astype(str).str.strip()
        parsed = _parse_timestamp_text(text, label, file)
        position = _first_bad(parsed.isna())
        if position is not None:
            raise DataError(
                f"{file} row {cells.index[position]}: {label} {text.iloc[position]!r} "
                "is not a date/time"
            )
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # Clock changes make some local times ambiguous or nonexistent; refuse to guess.
        parsed = parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        position = _first_bad(parsed.isna())
        if position is not None:
            raise DataError(
                f"{file} row {cells.index[position]}: {label} {text.iloc[position]!r} "
                f"is ambiguous or does not exist in time zone {timezone}"
            )
    try:
        utc: pd.Series = parsed.dt.tz_convert("UTC").dt.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as error:
        raise DataError(f"{file}: {label} out of the supported range ({error})") from None
    return utc


def _parse_timestamp_text(text: pd.Series, label: str, file: str) -> pd.Series:
    """ISO 8601 first, else the format pandas guesses from the first value (e.g. %m/%d/%Y)."""
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:
        # pandas refuses a column mixing UTC offsets (DST) or mixing naive and aware values.
        naive = ~text.str.contains(_UTC_OFFSET, regex=True)
        position = _first_bad(naive)
        if position is not None:
            raise DataError(
                f"{file} row {text.index[position]}: {label} {text.iloc[position]!r} has no UTC "
                "offset but other rows have one"
            ) from None
        return pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if pd.isna(parsed.iloc[0]):
        guessed = guess_datetime_format(text.iloc[0])
        if guessed is not None:
            parsed = pd.to_datetime(text, format=guessed, errors="coerce")
    return parsed


def _check_prices(frame: pd.DataFrame, file: str) -> None:
    """Name the first row whose OHLCV is inconsistent, e.g. 'row 17: high 10.2 < low 10.5'."""
    open_, high, low, close, volume = (frame[c].to_numpy() for c in VALUE_COLUMNS)
    bad = (
        (np.minimum.reduce([open_, high, low, close]) <= 0)
        | (volume < 0)
        | (high < low)
        | (open_ < low)
        | (open_ > high)
        | (close < low)
        | (close > high)
    )
    position = _first_bad(bad)
    if position is not None:
        # Python floats, so the message reads "high 10.2" rather than "np.float64(10.2)".
        problem = ohlcv_problem(
            *(float(values[position]) for values in (open_, high, low, close, volume))
        )
        raise DataError(f"{file} row {frame.index[position]}: {problem}")


def _check_duplicates(frame: pd.DataFrame, file: str) -> None:
    duplicated = frame.duplicated(subset=["symbol", "timestamp"], keep="first")
    position = _first_bad(duplicated)
    if position is None:
        return
    symbol, timestamp = frame["symbol"].iloc[position], frame["timestamp"].iloc[position]
    same = (frame["symbol"] == symbol) & (frame["timestamp"] == timestamp)
    first_row = frame.index[_first_true(same)]
    raise DataError(
        f"{file} row {frame.index[position]}: duplicated timestamp {timestamp.isoformat()} "
        f"for {symbol} (first at row {first_row})"
    )
