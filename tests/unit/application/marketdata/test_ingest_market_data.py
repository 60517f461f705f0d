"""ingest_market_data: fetch, check, store, summarize; bad or empty data never reaches the store."""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType

import pandas as pd
import pytest

from quantcli.application.marketdata.ingest_market_data import IngestSummary, ingest_market_data
from quantcli.application.marketdata.ports import empty_bar_frame
from quantcli.domain.errors import DataError


def two_symbol_frame(fakes: ModuleType) -> pd.DataFrame:
    # Deliberately unsorted, symbols out of order: the store must get the normalized frame.
    days = fakes.utc_days(3, "2024-03-04")
    zzz = fakes.bar_frame("ZZZ", days, [10.0, 11.0, 12.0], [10.5, 11.5, 12.5])
    aaa = fakes.bar_frame("AAA", days[1:], [50.0, 51.0], [50.5, 51.5])
    return pd.concat([zzz.iloc[::-1], aaa], ignore_index=True)


def test_ingest_stores_the_checked_frame_sorted_by_symbol_and_time(fakes: ModuleType) -> None:
    source = fakes.FakeMarketDataSource(two_symbol_frame(fakes))
    store = fakes.FakeBarStore()

    ingest_market_data(source, store)

    stored = store.frame
    assert stored["symbol"].tolist() == ["AAA", "AAA", "ZZZ", "ZZZ", "ZZZ"]
    assert stored["close"].tolist() == [50.5, 51.5, 10.5, 11.5, 12.5]
    assert str(stored["timestamp"].dt.tz) == "UTC"
    assert store.write_calls == [5]


def test_ingest_summary_values(fakes: ModuleType) -> None:
    source = fakes.FakeMarketDataSource(two_symbol_frame(fakes), name="vendor-x")

    summary = ingest_market_data(source, fakes.FakeBarStore())

    assert summary == IngestSummary(
        source="vendor-x",
        rows_written=5,
        symbols=("AAA", "ZZZ"),
        first_timestamp=datetime(2024, 3, 4, tzinfo=UTC),
        last_timestamp=datetime(2024, 3, 6, tzinfo=UTC),
    )
    assert type(summary.first_timestamp) is datetime
    assert summary.last_timestamp.utcoffset() is not None


def test_ingest_passes_symbols_and_dates_to_the_source(fakes: ModuleType) -> None:
    source = fakes.FakeMarketDataSource(two_symbol_frame(fakes))
    start, end = datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 5, tzinfo=UTC)

    ingest_market_data(source, fakes.FakeBarStore(), ["AAA"], start, end)

    assert source.requests == [(("AAA",), start, end)]


def test_ingest_reports_rows_the_store_wrote(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore()
    frame = two_symbol_frame(fakes)
    ingest_market_data(fakes.FakeMarketDataSource(frame), store)

    again = ingest_market_data(fakes.FakeMarketDataSource(frame), store)

    # Upserting the same bars again writes them again but does not duplicate them.
    assert again.rows_written == 5
    assert store.bar_count() == 5


def test_ingest_of_an_empty_source_raises_data_error_naming_the_source(
    fakes: ModuleType,
) -> None:
    store = fakes.FakeBarStore()
    source = fakes.FakeMarketDataSource(empty_bar_frame(), name="empty-vendor")

    with pytest.raises(DataError, match="empty-vendor: no bars"):
        ingest_market_data(source, store)
    assert store.write_calls == []


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("high", 1.0, "high < low"),
        ("close", -3.0, "price is not positive"),
        ("volume", -1.0, "volume is negative"),
        ("open", float("nan"), "open is missing"),
    ],
)
def test_a_bad_frame_never_reaches_the_store(
    fakes: ModuleType, column: str, value: float, problem: str
) -> None:
    frame = two_symbol_frame(fakes)
    frame.loc[3, column] = value
    store = fakes.FakeBarStore()

    with pytest.raises(DataError, match=rf"fake-vendor row 3: {problem}"):
        ingest_market_data(fakes.FakeMarketDataSource(frame), store)
    assert store.write_calls == []
    assert store.bar_count() == 0


def test_a_frame_with_naive_timestamps_never_reaches_the_store(fakes: ModuleType) -> None:
    frame = two_symbol_frame(fakes)
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(None)
    store = fakes.FakeBarStore()

    with pytest.raises(DataError, match="timezone-aware UTC"):
        ingest_market_data(fakes.FakeMarketDataSource(frame), store)
    assert store.write_calls == []


def test_a_frame_with_duplicated_bars_never_reaches_the_store(fakes: ModuleType) -> None:
    frame = two_symbol_frame(fakes)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    store = fakes.FakeBarStore()

    with pytest.raises(DataError, match="duplicated timestamp"):
        ingest_market_data(fakes.FakeMarketDataSource(frame), store)
    assert store.write_calls == []


# --- one series per symbol: replace, or update without splicing ---------------------------------


def _series(fakes: ModuleType, symbol: str, closes: list[float], start: str) -> pd.DataFrame:
    return fakes.bar_frame(symbol, fakes.utc_days(len(closes), start), closes, closes)


def test_replace_makes_the_source_the_whole_series_of_its_symbols(fakes: ModuleType) -> None:
    # The issue: a 2-year run then a 1-year run spliced the two at bar 252 (+353% overnight).
    longer = _series(fakes, "AAA", [10.0, 11.0, 12.0, 13.0, 14.0], "2024-01-01")
    other = _series(fakes, "ZZZ", [50.0, 51.0], "2024-01-01")
    store = fakes.FakeBarStore(pd.concat([longer, other], ignore_index=True))
    shorter = _series(fakes, "AAA", [40.0, 41.0], "2024-01-01")

    summary = ingest_market_data(fakes.FakeMarketDataSource(shorter), store, replace=True)

    stored = store.frame
    assert stored[stored["symbol"] == "AAA"]["close"].tolist() == [40.0, 41.0]
    assert stored[stored["symbol"] == "ZZZ"]["close"].tolist() == [50.0, 51.0]
    assert summary.bars_replaced == 5
    assert summary.rows_written == 2
    assert store.write_calls == []


def test_an_import_that_extends_the_series_is_upserted(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore(_series(fakes, "AAA", [10.0, 11.0, 12.0], "2024-01-01"))
    # Overlaps the last stored bar with a one-cent correction, then adds two new bars.
    update = _series(fakes, "AAA", [12.01, 12.5, 13.0], "2024-01-03")

    summary = ingest_market_data(fakes.FakeMarketDataSource(update), store)

    assert store.frame["close"].tolist() == [10.0, 11.0, 12.01, 12.5, 13.0]
    assert summary.bars_updated == 1
    assert summary.bars_replaced == 0


def test_an_import_of_a_different_series_is_refused_naming_bar_and_both_closes(
    fakes: ModuleType,
) -> None:
    stored = _series(fakes, "AAA", [10.0, 11.0, 12.0, 13.0], "2024-01-01")
    store = fakes.FakeBarStore(stored)
    different = _series(fakes, "AAA", [11.0, 45.0, 46.0, 47.0, 48.0], "2024-01-02")

    with pytest.raises(DataError) as raised:
        ingest_market_data(fakes.FakeMarketDataSource(different, name="other.csv"), store)

    message = str(raised.value)
    assert message.startswith("other.csv: AAA 2024-01-03 00:00 close 45.0 differs from ")
    assert "the stored close 12.0 by 275.0% (and 1 more of its bars)" in message
    assert "--replace" in message
    assert store.write_calls == []
    assert store.frame["close"].tolist() == [10.0, 11.0, 12.0, 13.0]


def test_a_refused_import_writes_none_of_its_other_symbols(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore(_series(fakes, "AAA", [10.0, 11.0], "2024-01-01"))
    incoming = pd.concat(
        [
            _series(fakes, "AAA", [10.0, 20.0], "2024-01-01"),
            _series(fakes, "BBB", [5.0, 6.0], "2024-01-01"),
        ],
        ignore_index=True,
    )

    with pytest.raises(DataError, match=r"AAA 2024-01-02 00:00 close 20\.0"):
        ingest_market_data(fakes.FakeMarketDataSource(incoming), store)
    assert store.symbols() == ["AAA"]


def test_the_close_tolerance_is_relative_and_a_parameter(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore(_series(fakes, "AAA", [100.0], "2024-01-01"))
    moved = _series(fakes, "AAA", [103.0], "2024-01-01")

    with pytest.raises(DataError, match=r"by 3\.0%"):
        ingest_market_data(fakes.FakeMarketDataSource(moved), store)
    summary = ingest_market_data(fakes.FakeMarketDataSource(moved), store, close_tolerance=0.05)

    assert summary.bars_updated == 1
    assert store.frame["close"].tolist() == [103.0]
