"""BarFileSource against real files: backtesting's sample data and files written to tmp_path."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import backtesting.test
import pandas as pd
import pytest

from quantcli.adapters.data import BarFileSource
from quantcli.application.marketdata.ports import BAR_COLUMNS
from quantcli.domain import DataError, ValidationError

SAMPLES = Path(backtesting.test.__file__).parent
HEADER = "Date,Open,High,Low,Close,Volume"


def good_rows(count: int = 20) -> list[list[str]]:
    """Consistent daily bars from 2020-01-01 on; row i of the list is line i + 2 of the file."""
    rows = []
    for i in range(count):
        day = (datetime(2020, 1, 1) + timedelta(days=i)).date().isoformat()
        base = 10.0 + i
        rows.append([day, f"{base}", f"{base + 1}", f"{base - 1}", f"{base + 0.5}", f"{1000 + i}"])
    return rows


def write_csv(path: Path, rows: list[list[str]], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *(",".join(row) for row in rows)]) + "\n")
    return path


def set_cell(rows: list[list[str]], line: int, column: str, value: str) -> list[list[str]]:
    """Copy of `rows` with the cell on file line `line` in `column` replaced."""
    changed = [list(row) for row in rows]
    changed[line - 2][HEADER.lower().split(",").index(column)] = value
    return changed


def test_goog_sample_imports_with_exactly_the_values_pandas_reads() -> None:
    expected = pd.read_csv(SAMPLES / "GOOG.csv", index_col=0, parse_dates=True)

    bars = BarFileSource(SAMPLES / "GOOG.csv").fetch_bars()

    assert list(bars.columns) == list(BAR_COLUMNS)
    assert set(bars["symbol"]) == {"GOOG"}
    assert len(bars) == len(expected) == 2148
    assert str(bars["timestamp"].dtype) == "datetime64[ns, UTC]"
    actual = bars.set_index("timestamp")[["open", "high", "low", "close", "volume"]]
    expected.index = pd.DatetimeIndex(expected.index).tz_localize("UTC").as_unit("ns")
    expected.index.name = "timestamp"
    expected.columns = expected.columns.str.lower()
    pd.testing.assert_frame_equal(actual, expected.astype("float64"), check_exact=True)
    first = bars.iloc[0]
    assert first["timestamp"] == pd.Timestamp("2004-08-19", tz="UTC")
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        100.0,
        104.06,
        95.96,
        100.34,
    )
    assert first["volume"] == 22351900.0


def test_eurusd_hourly_sample_imports_with_hourly_utc_timestamps() -> None:
    expected = pd.read_csv(SAMPLES / "EURUSD.csv", index_col=0, parse_dates=True)

    bars = BarFileSource(SAMPLES / "EURUSD.csv").fetch_bars()

    assert len(bars) == 5000
    assert set(bars["symbol"]) == {"EURUSD"}
    assert bars["timestamp"].iloc[0] == pd.Timestamp("2017-04-19 09:00", tz="UTC")
    assert bars["timestamp"].iloc[1] - bars["timestamp"].iloc[0] == pd.Timedelta(hours=1)
    assert bars["close"].tolist() == expected["Close"].tolist()


def test_name_names_the_file() -> None:
    assert BarFileSource(SAMPLES / "GOOG.csv").name == "file:GOOG.csv"


def test_columns_are_case_insensitive_trimmed_and_extra_ones_ignored(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_text(
        " DATE , open,HIGH ,Low,Close,Adj Close, Volume \n2020-01-02,10,11,9,10.5,10.4,1200\n"
    )

    bars = BarFileSource(path).fetch_bars()

    assert bars.to_dict("records") == [
        {
            "symbol": "ACME",
            "timestamp": pd.Timestamp("2020-01-02", tz="UTC"),
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.5,
            "volume": 1200.0,
        }
    ]


@pytest.mark.parametrize("timestamp_column", ["date", "Datetime", "TIMESTAMP", "time", ""])
def test_timestamp_column_may_have_any_accepted_name_or_none(
    tmp_path: Path, timestamp_column: str
) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(3), f"{timestamp_column},o,h,l,c,v")
    path.write_text(path.read_text().replace("o,h,l,c,v", "open,high,low,close,volume"))

    bars = BarFileSource(path).fetch_bars()

    assert bars["timestamp"].tolist() == list(pd.date_range("2020-01-01", periods=3, tz="UTC"))


def test_symbol_argument_names_bars_of_a_file_without_symbol_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", good_rows(2))

    bars = BarFileSource(path, symbol="MSFT").fetch_bars()

    assert bars["symbol"].tolist() == ["MSFT", "MSFT"]


def test_symbol_column_gives_each_row_its_symbol(tmp_path: Path) -> None:
    path = tmp_path / "universe.csv"
    path.write_text(
        "symbol,date,open,high,low,close,volume\n"
        "MSFT,2020-01-02,10,11,9,10,100\n"
        "AAPL,2020-01-02,20,21,19,20,200\n"
        "AAPL,2020-01-03,20,22,19,21,300\n"
    )

    bars = BarFileSource(path).fetch_bars()

    assert bars[["symbol", "close"]].values.tolist() == [
        ["AAPL", 20.0],
        ["AAPL", 21.0],
        ["MSFT", 10.0],
    ]


def test_gzipped_csv_imports_with_stem_before_both_suffixes(tmp_path: Path) -> None:
    text = "\n".join([HEADER, *(",".join(row) for row in good_rows(4))])
    path = tmp_path / "spy.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))

    bars = BarFileSource(path).fetch_bars()

    assert set(bars["symbol"]) == {"SPY"}
    assert bars["close"].tolist() == [10.5, 11.5, 12.5, 13.5]


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet_written_by_pandas_imports_the_same_values_as_the_csv(
    tmp_path: Path, suffix: str
) -> None:
    frame = pd.read_csv(SAMPLES / "GOOG.csv", index_col=0, parse_dates=True)
    path = tmp_path / f"GOOG{suffix}"
    frame.to_parquet(path)

    from_parquet = BarFileSource(path).fetch_bars()

    pd.testing.assert_frame_equal(
        from_parquet, BarFileSource(SAMPLES / "GOOG.csv").fetch_bars(), check_exact=True
    )


def test_parquet_with_symbol_column_and_aware_timestamps_converts_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "bars.parquet"
    pd.DataFrame(
        {
            "Symbol": ["ACME", "ACME"],
            "Timestamp": pd.to_datetime(["2020-01-02 09:30", "2020-07-01 09:30"]).tz_localize(
                "America/New_York"
            ),
            "Open": [10.0, 11.0],
            "High": [11.0, 12.0],
            "Low": [9.0, 10.0],
            "Close": [10.5, 11.5],
            "Volume": [100, 200],
        }
    ).to_parquet(path)

    bars = BarFileSource(path).fetch_bars()

    assert bars["timestamp"].tolist() == [
        pd.Timestamp("2020-01-02 14:30", tz="UTC"),
        pd.Timestamp("2020-07-01 13:30", tz="UTC"),
    ]


def test_naive_timestamps_are_read_in_the_given_timezone(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_text(
        "datetime,open,high,low,close,volume\n"
        "2020-01-02 09:30,10,11,9,10,1\n"
        "2020-07-01 09:30,10,11,9,10,1\n"
    )

    bars = BarFileSource(path, timezone="America/New_York").fetch_bars()

    assert bars["timestamp"].tolist() == [
        pd.Timestamp("2020-01-02 14:30", tz="UTC"),
        pd.Timestamp("2020-07-01 13:30", tz="UTC"),
    ]


def test_aware_timestamps_with_changing_offsets_convert_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2020-01-02T09:30:00-05:00,10,11,9,10,1\n"
        "2020-07-01T09:30:00-04:00,10,11,9,10,1\n"
    )

    bars = BarFileSource(path, timezone="Asia/Tokyo").fetch_bars()

    assert bars["timestamp"].tolist() == [
        pd.Timestamp("2020-01-02 14:30", tz="UTC"),
        pd.Timestamp("2020-07-01 13:30", tz="UTC"),
    ]


def test_excel_style_csv_with_byte_order_mark_and_crlf_imports(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_bytes(
        "\ufeffDate,Open,High,Low,Close,Volume\r\n2020-01-02,10,11,9,10,5\r\n".encode()
    )

    bars = BarFileSource(path).fetch_bars()

    assert bars[["timestamp", "close", "volume"]].values.tolist() == [
        [pd.Timestamp("2020-01-02", tz="UTC"), 10.0, 5.0]
    ]


def test_us_style_dates_are_read_month_first(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_text("date,open,high,low,close,volume\n01/02/2020,10,11,9,10,1\n")

    assert BarFileSource(path).fetch_bars()["timestamp"].tolist() == [
        pd.Timestamp("2020-01-02", tz="UTC")
    ]


def test_fetch_filters_by_symbols_and_inclusive_time_range(tmp_path: Path) -> None:
    path = tmp_path / "universe.csv"
    lines = ["symbol,date,open,high,low,close,volume"]
    for symbol in ("AAA", "BBB"):
        lines += [f"{symbol},2020-01-0{day},10,11,9,10,{day}" for day in range(1, 6)]
    path.write_text("\n".join(lines) + "\n")
    source = BarFileSource(path)

    bars = source.fetch_bars(
        symbols=["BBB"],
        start=datetime(2020, 1, 2, tzinfo=UTC),
        end=datetime(2020, 1, 4, tzinfo=UTC),
    )

    assert bars["symbol"].tolist() == ["BBB"] * 3
    assert bars["volume"].tolist() == [2.0, 3.0, 4.0]
    assert bars.index.tolist() == [0, 1, 2]


def test_fetch_converts_aware_bounds_in_other_zones_to_utc(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(5))
    plus_two = timezone(timedelta(hours=2))

    bars = BarFileSource(path).fetch_bars(start=datetime(2020, 1, 3, 2, tzinfo=plus_two))

    assert bars["timestamp"].iloc[0] == pd.Timestamp("2020-01-03", tz="UTC")
    assert len(bars) == 3


def test_fetch_of_unknown_symbol_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(2))

    with pytest.raises(DataError, match=r"^acme\.csv: unknown symbol\(s\) MSFT; it has ACME$"):
        BarFileSource(path).fetch_bars(symbols=["MSFT"])


def test_fetch_with_naive_bound_is_a_validation_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(2))

    with pytest.raises(ValidationError, match="start 2020-01-01T00:00:00 must be timezone-aware"):
        BarFileSource(path).fetch_bars(start=datetime(2020, 1, 1))


def test_fetch_with_start_after_end_is_a_validation_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(2))

    with pytest.raises(ValidationError, match="is after end"):
        BarFileSource(path).fetch_bars(
            start=datetime(2020, 2, 1, tzinfo=UTC), end=datetime(2020, 1, 1, tzinfo=UTC)
        )


def test_import_never_writes_to_the_directory(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acme.csv", good_rows(3))
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}

    BarFileSource(path).fetch_bars()

    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
