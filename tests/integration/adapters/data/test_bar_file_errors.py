"""Bad bar files: every problem is a DataError naming the file, the row and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from quantcli.adapters.data import BarFileSource
from quantcli.domain import DataError, ValidationError

HEADER = "Date,Open,High,Low,Close,Volume"
COLUMNS = HEADER.lower().split(",")


def good_rows(count: int = 20) -> list[list[str]]:
    """Consistent daily bars; element i is on line i + 2 of the file."""
    days = pd.date_range("2020-01-01", periods=count, freq="D")
    return [
        [day.date().isoformat(), f"{10 + i}", f"{11 + i}", f"{9 + i}", f"{10.5 + i}", f"{1000 + i}"]
        for i, day in enumerate(days)
    ]


def write_csv(path: Path, rows: list[list[str]], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *(",".join(row) for row in rows)]) + "\n")
    return path


def with_cells(rows: list[list[str]], changes: dict[tuple[int, str], str]) -> list[list[str]]:
    """Copy of `rows` with the cells at (file line, column) replaced."""
    changed = [list(row) for row in rows]
    for (line, column), value in changes.items():
        changed[line - 2][COLUMNS.index(column)] = value
    return changed


BAD_CELLS = [
    pytest.param(
        {(17, "close"): "abc"}, "prices.csv row 17: close 'abc' is not a number", id="close"
    ),
    pytest.param({(5, "open"): "1O.5"}, "prices.csv row 5: open '1O.5' is not a number", id="open"),
    pytest.param(
        {(9, "volume"): "12k"}, "prices.csv row 9: volume '12k' is not a number", id="volume"
    ),
    pytest.param({(6, "high"): "nan"}, "prices.csv row 6: high 'nan' is not a number", id="nan"),
    pytest.param(
        {(6, "low"): "inf"}, "prices.csv row 6: low 'inf' is not a finite number", id="inf"
    ),
    pytest.param({(4, "close"): ""}, "prices.csv row 4: close is missing", id="empty-cell"),
    pytest.param({(3, "volume"): " "}, "prices.csv row 3: volume is missing", id="blank-cell"),
    pytest.param(
        {(5, "date"): "2020-13-45"},
        "prices.csv row 5: date '2020-13-45' is not a date/time",
        id="date",
    ),
    pytest.param({(7, "date"): ""}, "prices.csv row 7: date is missing", id="missing-date"),
    pytest.param(
        {(17, "high"): "10.2", (17, "low"): "10.5"},
        "prices.csv row 17: high 10.2 < low 10.5",
        id="high-below-low",
    ),
    pytest.param(
        {(4, "date"): "2020-01-02"},
        "prices.csv row 4: duplicated timestamp 2020-01-02T00:00:00+00:00 for PRICES "
        "(first at row 3)",
        id="duplicate",
    ),
    pytest.param({(8, "open"): "-1"}, "prices.csv row 8: open -1.0 is not positive", id="negative"),
    pytest.param({(8, "close"): "0"}, "prices.csv row 8: close 0.0 is not positive", id="zero"),
    pytest.param({(3, "volume"): "-5"}, "prices.csv row 3: volume -5.0 is negative", id="volume<0"),
    pytest.param(
        {(10, "close"): "99"},
        "prices.csv row 10: close 99.0 outside [low 17.0, high 19.0]",
        id="close-outside",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_CELLS)
def test_bad_cell_is_a_data_error_naming_file_row_and_problem(
    tmp_path: Path, changes: dict[tuple[int, str], str], message: str
) -> None:
    path = write_csv(tmp_path / "prices.csv", with_cells(good_rows(), changes))

    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        BarFileSource(path).fetch_bars()


@pytest.mark.parametrize(("changes", "message"), BAD_CELLS)
def test_same_file_imports_once_the_bad_cell_is_fixed(
    tmp_path: Path, changes: dict[tuple[int, str], str], message: str
) -> None:
    path = write_csv(tmp_path / "prices.csv", with_cells(good_rows(), changes))
    with pytest.raises(DataError):
        BarFileSource(path).fetch_bars()

    write_csv(path, good_rows())

    assert len(BarFileSource(path).fetch_bars()) == 20


def test_first_bad_row_is_reported_when_several_are_bad(tmp_path: Path) -> None:
    changes = {(12, "close"): "x", (6, "close"): "y"}
    path = write_csv(tmp_path / "prices.csv", with_cells(good_rows(), changes))

    with pytest.raises(DataError, match=r"^prices\.csv row 6: close 'y' is not a number$"):
        BarFileSource(path).fetch_bars()


def test_blank_lines_are_skipped_without_shifting_row_numbers(tmp_path: Path) -> None:
    rows = [",".join(row) for row in with_cells(good_rows(4), {(5, "close"): "bad"})]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([HEADER, rows[0], "", rows[1], rows[2], "", rows[3]]) + "\n")

    with pytest.raises(DataError, match=r"^prices\.csv row 7: close 'bad' is not a number$"):
        BarFileSource(path).fetch_bars()


def test_same_timestamp_for_different_symbols_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "symbol,date,open,high,low,close,volume\nA,2020-01-02,1,1,1,1,0\nB,2020-01-02,1,1,1,1,0\n"
    )

    assert BarFileSource(path).fetch_bars()["symbol"].tolist() == ["A", "B"]


def test_duplicate_timestamp_per_symbol_names_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "symbol,date,open,high,low,close,volume\n"
        "A,2020-01-02,1,1,1,1,0\nB,2020-01-02,1,1,1,1,0\nA,2020-01-02,1,1,1,1,0\n"
    )

    with pytest.raises(
        DataError,
        match=r"^prices\.csv row 4: duplicated timestamp 2020-01-02T00:00:00\+00:00 for A "
        r"\(first at row 2\)$",
    ):
        BarFileSource(path).fetch_bars()


def test_missing_file_is_a_data_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^prices\.csv: no such file \(.*prices\.csv\)$"):
        BarFileSource(tmp_path / "prices.csv").fetch_bars()


def test_unsupported_suffix_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.txt"
    path.write_text(HEADER + "\n")

    with pytest.raises(DataError, match=r"^prices\.txt: unsupported file type; expected \.csv"):
        BarFileSource(path).fetch_bars()


def test_empty_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("")

    with pytest.raises(DataError, match=r"^prices\.csv: file is empty$"):
        BarFileSource(path).fetch_bars()


def test_header_without_rows_is_a_data_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", [])

    with pytest.raises(DataError, match=r"^prices\.csv: no data rows$"):
        BarFileSource(path).fetch_bars()


def test_file_starting_with_blank_line_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("\n" + HEADER + "\n2020-01-02,1,1,1,1,1\n")

    with pytest.raises(DataError, match=r"^prices\.csv: no header on line 1"):
        BarFileSource(path).fetch_bars()


def test_missing_volume_column_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("Date,Open,High,Low,Close\n2020-01-02,1,1,1,1\n")

    with pytest.raises(
        DataError,
        match=r"^prices\.csv: missing column\(s\) volume; "
        r"found 'date', 'open', 'high', 'low', 'close'$",
    ):
        BarFileSource(path).fetch_bars()


def test_missing_timestamp_and_close_columns_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("when,open,high,low,volume\n2020-01-02,1,1,1,1\n")

    with pytest.raises(
        DataError,
        match=r"^prices\.csv: missing column\(s\) timestamp \(date, datetime, timestamp or time\), "
        r"close;",
    ):
        BarFileSource(path).fetch_bars()


def test_two_timestamp_columns_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("date,time,open,high,low,close,volume\n2020-01-02,09:30,1,1,1,1,1\n")

    with pytest.raises(DataError, match=r"^prices\.csv: several timestamp columns \(date, time\)"):
        BarFileSource(path).fetch_bars()


def test_column_given_twice_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("date,open,high,low,close,Close,volume\n2020-01-02,1,1,1,1,1,1\n")

    with pytest.raises(DataError, match=r"^prices\.csv: column close appears 2 times$"):
        BarFileSource(path).fetch_bars()


def test_row_with_too_many_fields_is_a_data_error_naming_its_line(tmp_path: Path) -> None:
    rows = good_rows(5)
    rows[2].append("7")
    path = write_csv(tmp_path / "prices.csv", rows)

    with pytest.raises(DataError, match=r"^prices\.csv row 4: 7 fields, but the header has 6$"):
        BarFileSource(path).fetch_bars()


def test_row_with_too_few_fields_reports_the_missing_cell(tmp_path: Path) -> None:
    rows = good_rows(5)
    rows[3] = rows[3][:5]
    path = write_csv(tmp_path / "prices.csv", rows)

    with pytest.raises(DataError, match=r"^prices\.csv row 5: volume is missing$"):
        BarFileSource(path).fetch_bars()


def test_mixing_naive_and_aware_timestamps_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2020-01-02T09:30:00+01:00,1,1,1,1,1\n2020-01-03T09:30:00,1,1,1,1,1\n"
    )

    with pytest.raises(
        DataError,
        match=r"^prices\.csv row 3: timestamp '2020-01-03T09:30:00' has no UTC offset but other",
    ):
        BarFileSource(path).fetch_bars()


def test_local_time_skipped_by_a_clock_change_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("datetime,open,high,low,close,volume\n2020-03-08 02:30,1,1,1,1,1\n")

    with pytest.raises(
        DataError,
        match=r"^prices\.csv row 2: datetime '2020-03-08 02:30' is ambiguous or does not exist "
        r"in time zone America/New_York$",
    ):
        BarFileSource(path, timezone="America/New_York").fetch_bars()


def test_invalid_symbol_in_symbol_column_is_a_data_error_naming_row(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "symbol,date,open,high,low,close,volume\n"
        "A,2020-01-02,1,1,1,1,0\nBAD TICKER,2020-01-02,1,1,1,1,0\n"
    )

    with pytest.raises(DataError, match=r"^prices\.csv row 3: symbol 'BAD TICKER': expected"):
        BarFileSource(path).fetch_bars()


def test_symbol_column_disagreeing_with_symbol_argument_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("symbol,date,open,high,low,close,volume\nAAPL,2020-01-02,1,1,1,1,0\n")

    with pytest.raises(
        DataError, match=r"^prices\.csv row 2: symbol 'AAPL' but symbol='MSFT' given$"
    ):
        BarFileSource(path, symbol="MSFT").fetch_bars()


def test_file_name_that_is_no_ticker_needs_a_symbol_argument(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "my prices.csv", good_rows(2))

    with pytest.raises(DataError, match=r"^my prices\.csv: no symbol column, so pass symbol=;"):
        BarFileSource(path).fetch_bars()
    assert set(BarFileSource(path, symbol="ACME").fetch_bars()["symbol"]) == {"ACME"}


def test_parquet_rows_are_numbered_by_record_from_one(tmp_path: Path) -> None:
    path = tmp_path / "prices.parquet"
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=4),
            "open": [1.0, 1.0, 1.0, 1.0],
            "high": [2.0, 2.0, 0.5, 2.0],
            "low": [0.5, 0.5, 0.9, 0.5],
            "close": [1.0, 1.0, 1.0, 1.0],
            "volume": [1, 2, 3, 4],
        }
    )
    frame.to_parquet(path, index=False)

    with pytest.raises(DataError, match=r"^prices\.parquet row 3: high 0.5 < low 0.9$"):
        BarFileSource(path).fetch_bars()


def test_parquet_missing_value_and_text_cells_are_named(tmp_path: Path) -> None:
    path = tmp_path / "prices.parquet"
    base = {"date": ["2020-01-01", "2020-01-02"], "open": [1.0, 1.0], "high": [1.0, 1.0]}
    pd.DataFrame({**base, "low": [1.0, None], "close": [1.0, 1.0], "volume": [1, 1]}).to_parquet(
        path
    )
    with pytest.raises(DataError, match=r"^prices\.parquet row 2: low is missing$"):
        BarFileSource(path).fetch_bars()

    pd.DataFrame({**base, "low": [1.0, 1.0], "close": ["1", "x"], "volume": [1, 1]}).to_parquet(
        path
    )
    with pytest.raises(DataError, match=r"^prices\.parquet row 2: close 'x' is not a number$"):
        BarFileSource(path).fetch_bars()


def test_corrupt_parquet_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.parquet"
    path.write_bytes(b"PAR1 not really parquet")

    with pytest.raises(DataError, match=r"^prices\.parquet: not a readable Parquet file"):
        BarFileSource(path).fetch_bars()


def test_invalid_constructor_arguments_are_validation_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="timezone 'Mars/Olympus' is not an IANA"):
        BarFileSource(tmp_path / "prices.csv", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="symbol 'A B'"):
        BarFileSource(tmp_path / "prices.csv", symbol="A B")


def test_bad_date_in_unnamed_first_column_is_called_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "GOOG.csv"
    path.write_text(",Open,High,Low,Close,Volume\n2004-08-19,1,1,1,1,1\n19 Aug 2004?,1,1,1,1,1\n")

    with pytest.raises(
        DataError, match=r"^GOOG\.csv row 3: timestamp '19 Aug 2004\?' is not a date/time$"
    ):
        BarFileSource(path).fetch_bars()
