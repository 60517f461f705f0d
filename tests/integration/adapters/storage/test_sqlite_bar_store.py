"""SqliteBarStore against a real SQLite file: exact round trips, upserts, atomicity, filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import backtesting.test  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase
from quantcli.application.marketdata.ports import BAR_COLUMNS, BarStore, empty_bar_frame
from quantcli.domain.errors import DataError, StorageError

MakeBars = Callable[..., pd.DataFrame]
RunPython = Callable[[str], str]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """What read_bars returns for `frame` per the contract: by symbol, then time; index 0..n-1."""
    return frame.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)


def _utc(text: str) -> datetime:
    return pd.Timestamp(text, tz="UTC").to_pydatetime()


def _goog_bars() -> pd.DataFrame:
    csv = Path(backtesting.test.__file__).parent / "GOOG.csv"
    goog = pd.read_csv(csv, index_col=0, parse_dates=True)
    frame = goog.rename(columns=str.lower).rename_axis("timestamp").reset_index()
    frame["timestamp"] = frame["timestamp"].dt.tz_localize("UTC").dt.as_unit("ns")
    frame["volume"] = frame["volume"].astype(np.float64)
    frame["symbol"] = pd.Series(["GOOG"] * len(frame), dtype=object)
    return frame.loc[:, list(BAR_COLUMNS)]


def test_sqlite_bar_store_satisfies_the_bar_store_port(bar_store: SqliteBarStore) -> None:
    store: BarStore = bar_store
    assert store.bar_count() == 0


def test_bars_round_trip_exactly_with_the_contract_dtypes(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("MSFT", "AAPL"), periods=30)
    assert bar_store.write_bars(bars) == 60
    stored = bar_store.read_bars()
    assert_frame_equal(stored, _sorted(bars), check_exact=True)
    assert list(stored.columns) == list(BAR_COLUMNS)
    assert str(stored["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert stored["symbol"].dtype == object
    assert all(stored[c].dtype == np.float64 for c in ("open", "high", "low", "close", "volume"))
    assert stored.index.equals(pd.RangeIndex(60))


def test_goog_daily_bars_from_backtesting_round_trip_exactly(bar_store: SqliteBarStore) -> None:
    goog = _goog_bars()
    assert bar_store.write_bars(goog) == len(goog) == 2148
    stored = bar_store.read_bars(["GOOG"])
    assert_frame_equal(stored, goog, check_exact=True)
    first = stored.iloc[0]
    assert first["timestamp"] == pd.Timestamp("2004-08-19", tz="UTC")
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        100.0,
        104.06,
        95.96,
        100.34,
    )
    assert first["volume"] == 22_351_900.0


def test_timestamps_keep_nanoseconds_and_any_float64_survives(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("AAPL",), periods=3)
    bars["timestamp"] = pd.to_datetime(
        [1, 1_700_000_000_123_456_789, 4_000_000_000_000_000_001], unit="ns", utc=True
    )
    bars.loc[0, ["open", "high", "low", "close"]] = [0.1 + 0.2, np.nextafter(0.3, 1), 0.1, 0.3]
    bars.loc[0, "volume"] = 5e-324  # the smallest subnormal
    bar_store.write_bars(bars)
    assert_frame_equal(bar_store.read_bars(), bars, check_exact=True)


def test_an_unsorted_frame_is_stored_and_read_back_sorted(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("B", "A"), periods=4)
    shuffled = bars.sample(frac=1.0, random_state=3)
    bar_store.write_bars(shuffled)
    assert_frame_equal(bar_store.read_bars(), _sorted(bars), check_exact=True)


def test_writing_the_same_frame_twice_leaves_the_same_rows(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(periods=10)
    assert bar_store.write_bars(bars) == 20
    assert bar_store.write_bars(bars) == 20
    assert bar_store.bar_count() == 20
    assert_frame_equal(bar_store.read_bars(), _sorted(bars), check_exact=True)


def test_rewriting_bars_overwrites_their_values_and_adds_new_ones(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("AAPL",), periods=5)
    bar_store.write_bars(bars)
    revised = make_bars(symbols=("AAPL",), periods=7, seed=99)  # same first 5 timestamps
    bar_store.write_bars(revised)
    assert bar_store.bar_count() == 7
    assert_frame_equal(bar_store.read_bars(), revised, check_exact=True)


def test_replacing_a_series_removes_its_other_bars_and_keeps_other_symbols(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("AAPL", "MSFT"), periods=10))
    msft = bar_store.read_bars(["MSFT"])
    shorter = make_bars(symbols=("AAPL",), periods=4, seed=99)

    assert bar_store.replace_bars(shorter) == 10

    assert_frame_equal(bar_store.read_bars(["AAPL"]), shorter, check_exact=True)
    assert_frame_equal(bar_store.read_bars(["MSFT"]), msft, check_exact=True)
    assert bar_store.replace_bars(shorter) == 4


def test_a_failed_replace_keeps_the_old_series(
    bar_store: SqliteBarStore, database: SqliteDatabase, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("AAPL", "ZZZ"), periods=5))
    before = bar_store.read_bars()
    database.execute(
        "CREATE TEMP TRIGGER fail_zzz BEFORE INSERT ON main.bars WHEN NEW.symbol = 'ZZZ' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
        what="create a failing trigger",
    )
    with pytest.raises(StorageError, match="disk on fire"):
        bar_store.replace_bars(make_bars(symbols=("AAPL", "ZZZ"), periods=3, seed=7))
    assert_frame_equal(bar_store.read_bars(), before, check_exact=True)


def test_an_invalid_last_row_raises_data_error_and_writes_nothing(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("AAPL",), periods=3))
    before = bar_store.read_bars()
    bad = make_bars(symbols=("MSFT", "NVDA"), periods=50, seed=5)
    bad.loc[bad.index[-1], "high"] = bad.loc[bad.index[-1], "low"] / 2
    with pytest.raises(DataError, match=rf"bars row {bad.index[-1]}: high < low"):
        bar_store.write_bars(bad)
    assert_frame_equal(bar_store.read_bars(), before, check_exact=True)
    assert bar_store.symbols() == ["AAPL"]


def test_a_database_failure_midway_rolls_back_the_whole_frame(
    bar_store: SqliteBarStore, database: SqliteDatabase, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("AAPL",), periods=3))
    before = bar_store.read_bars()
    # A temporary trigger makes SQLite itself fail on the last symbol, after the others went in.
    database.execute(
        "CREATE TEMP TRIGGER fail_zzz BEFORE INSERT ON main.bars WHEN NEW.symbol = 'ZZZ' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
        what="create a failing trigger",
    )
    frame = make_bars(symbols=("AAPL", "MSFT", "ZZZ"), periods=20, seed=11)
    with pytest.raises(StorageError, match="disk on fire"):
        bar_store.write_bars(frame)
    assert_frame_equal(bar_store.read_bars(), before, check_exact=True)


def test_bars_written_inside_a_failed_outer_transaction_are_rolled_back(
    bar_store: SqliteBarStore, database: SqliteDatabase, make_bars: MakeBars
) -> None:
    def write_then_fail() -> None:
        with database.transaction():
            bar_store.write_bars(make_bars())
            raise RuntimeError("the caller failed after writing")

    with pytest.raises(RuntimeError, match="the caller failed"):
        write_then_fail()
    assert bar_store.bar_count() == 0


def test_a_frame_missing_a_column_raises_data_error_naming_it(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    with pytest.raises(DataError, match=r"missing column.*volume"):
        bar_store.write_bars(make_bars().drop(columns="volume"))


def test_an_empty_frame_writes_nothing(bar_store: SqliteBarStore) -> None:
    assert bar_store.write_bars(empty_bar_frame()) == 0
    assert bar_store.bar_count() == 0


def test_an_empty_store_reads_the_empty_bar_frame(bar_store: SqliteBarStore) -> None:
    assert_frame_equal(bar_store.read_bars(), empty_bar_frame(), check_exact=True)
    assert bar_store.symbols() == []
    assert bar_store.bar_count() == 0


def test_symbols_and_bar_count_describe_the_contents(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("MSFT", "AAPL", "BRK.B"), periods=4))
    assert bar_store.symbols() == ["AAPL", "BRK.B", "MSFT"]
    assert bar_store.bar_count() == 12


def test_reading_filters_by_symbols(bar_store: SqliteBarStore, make_bars: MakeBars) -> None:
    bars = make_bars(symbols=("AAPL", "MSFT", "NVDA"), periods=4)
    bar_store.write_bars(bars)
    expected = _sorted(bars[bars["symbol"].isin(["NVDA", "AAPL"])])
    assert_frame_equal(bar_store.read_bars(["NVDA", "AAPL", "GONE"]), expected, check_exact=True)
    assert_frame_equal(bar_store.read_bars(["GONE"]), empty_bar_frame(), check_exact=True)
    assert_frame_equal(bar_store.read_bars([]), empty_bar_frame(), check_exact=True)


def test_reading_many_symbols_at_once_has_no_parameter_limit(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars(symbols=("AAPL",), periods=2))
    wanted = [f"S{i}" for i in range(40_000)] + ["AAPL"]
    assert bar_store.read_bars(wanted)["symbol"].tolist() == ["AAPL", "AAPL"]


def test_start_and_end_are_inclusive(bar_store: SqliteBarStore, make_bars: MakeBars) -> None:
    bars = make_bars(symbols=("AAPL", "MSFT"), periods=10, start="2024-01-01")
    bar_store.write_bars(bars)
    start, end = _utc("2024-01-03"), _utc("2024-01-06")
    in_range = (bars["timestamp"] >= start) & (bars["timestamp"] <= end)
    stored = bar_store.read_bars(start=start, end=end)
    assert_frame_equal(stored, _sorted(bars[in_range]), check_exact=True)
    assert stored["timestamp"].min() == start
    assert stored["timestamp"].max() == end
    assert len(bar_store.read_bars(["MSFT"], start=start)) == 8
    assert len(bar_store.read_bars(["MSFT"], end=end)) == 6


def test_start_in_another_time_zone_means_the_same_instant(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("AAPL",), periods=48, freq="h", start="2024-01-01")
    bar_store.write_bars(bars)
    new_york = timezone(timedelta(hours=-5))
    start = datetime(2024, 1, 1, 19, 0, tzinfo=new_york)  # midnight UTC on Jan 2
    stored = bar_store.read_bars(start=start)
    assert stored["timestamp"].iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert len(stored) == 24


def test_an_end_before_the_start_reads_nothing(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bar_store.write_bars(make_bars())
    stored = bar_store.read_bars(start=_utc("2024-02-01"), end=_utc("2024-01-01"))
    assert_frame_equal(stored, empty_bar_frame(), check_exact=True)


@pytest.mark.parametrize("argument", ["start", "end"])
def test_a_naive_start_or_end_is_refused_naming_the_argument(
    bar_store: SqliteBarStore, argument: str
) -> None:
    naive: dict[str, Any] = {argument: datetime(2024, 1, 1)}
    with pytest.raises(DataError, match=f"read_bars {argument}.*naive"):
        bar_store.read_bars(**naive)


def test_a_single_string_for_symbols_is_refused(bar_store: SqliteBarStore) -> None:
    with pytest.raises(DataError, match="expected a list of symbols"):
        bar_store.read_bars("AAPL")


def test_a_hundred_thousand_rows_are_written_upserted_and_read_back_exactly(
    bar_store: SqliteBarStore, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("AAPL", "MSFT", "NVDA", "SPY"), periods=25_000, freq="min")
    assert bar_store.write_bars(bars) == 100_000
    assert bar_store.write_bars(bars) == 100_000  # every row an update this time
    stored = bar_store.read_bars()
    assert bar_store.bar_count() == 100_000
    assert_frame_equal(stored, _sorted(bars), check_exact=True)


def test_a_fresh_process_reopening_the_file_sees_the_bars(
    database_path: Path, tmp_path: Path, make_bars: MakeBars, run_python: RunPython
) -> None:
    bars = make_bars(periods=6)
    with SqliteDatabase(database_path) as database:
        SqliteBarStore(database).write_bars(bars)
    seen_by_child = tmp_path / "seen_by_child.pkl"
    output = run_python(
        f"""
        from pathlib import Path
        from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase
        with SqliteDatabase(Path({str(database_path)!r})) as database:
            store = SqliteBarStore(database)
            store.read_bars().to_pickle({str(seen_by_child)!r})
            print(store.bar_count(), *store.symbols())
        """
    )
    assert output.split() == ["12", "AAPL", "MSFT"]
    assert_frame_equal(pd.read_pickle(seen_by_child), _sorted(bars), check_exact=True)


def _bar_rows() -> st.SearchStrategy[list[tuple[int, list[float], float]]]:
    price = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False, allow_nan=False)
    volume = st.floats(min_value=0.0, allow_infinity=False, allow_nan=False)
    timestamp = st.integers(min_value=-(2**62), max_value=2**62)
    return st.lists(
        st.tuples(timestamp, st.lists(price, min_size=4, max_size=4), volume),
        min_size=1,
        max_size=40,
        unique_by=lambda row: row[0],
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_bar_rows(), symbol=st.sampled_from(["AAPL", "BRK.B", "EUR/USD", "^GSPC"]))
def test_any_valid_float64_bars_round_trip_bit_for_bit(
    bar_store: SqliteBarStore,
    database: SqliteDatabase,
    rows: list[tuple[int, list[float], float]],
    symbol: str,
) -> None:
    database.execute("DELETE FROM bars", what="start each example empty")
    prices = [sorted(four) for _, four, _ in rows]  # low <= open <= close <= high
    bars = pd.DataFrame(
        {
            "symbol": pd.Series([symbol] * len(rows), dtype=object),
            "timestamp": pd.to_datetime([ts for ts, _, _ in rows], unit="ns", utc=True),
            "open": [p[1] for p in prices],
            "high": [p[3] for p in prices],
            "low": [p[0] for p in prices],
            "close": [p[2] for p in prices],
            "volume": [v for _, _, v in rows],
        }
    )
    bar_store.write_bars(bars)
    assert_frame_equal(bar_store.read_bars([symbol]), _sorted(bars), check_exact=True)


def test_timestamps_are_stored_as_integer_nanoseconds_in_utc(
    bar_store: SqliteBarStore, database: SqliteDatabase, make_bars: MakeBars
) -> None:
    bars = make_bars(symbols=("AAPL",), periods=1, start="2024-01-02")
    bar_store.write_bars(bars)
    row = database.fetch_one("SELECT ts, typeof(ts), typeof(close) FROM bars", what="raw read")
    expected_ns = int(datetime(2024, 1, 2, tzinfo=UTC).timestamp()) * 1_000_000_000
    assert row == (expected_ns, "integer", "real")
