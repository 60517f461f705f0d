"""The history a live session continues from: current for daily bars, and grown by them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from quantcli.adapters.calendars import ExchangeTradingCalendar
from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase
from quantcli.application.marketdata.live_bars import SessionCloseSchedule
from quantcli.application.marketdata.live_history import recorded_bars, require_current_history
from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError

XNYS = ExchangeTradingCalendar("XNYS")


def history_ending(**last_days: date) -> pd.DataFrame:
    rows = [
        (symbol, pd.Timestamp(day, tz="UTC"), 10.0, 11.0, 9.0, 10.5, 1000.0)
        for symbol, day in last_days.items()
    ]
    return pd.DataFrame(
        rows, columns=["symbol", "timestamp", "open", "high", "low", "close", "volume"]
    )


def test_history_ending_the_session_before_the_first_live_bar_is_current() -> None:
    schedule = SessionCloseSchedule(XNYS, delay_seconds=60)
    # Tuesday 2026-11-24 at noon New York: the first live bar is Tuesday's; Monday is stored.
    now = datetime(2026, 11, 24, 17, tzinfo=UTC)

    require_current_history(schedule, history_ending(AAA=date(2026, 11, 23)), now)


def test_a_holiday_between_history_and_the_first_live_bar_is_no_gap() -> None:
    schedule = SessionCloseSchedule(XNYS)
    # Friday 2026-11-27 (early close): Thanksgiving Thursday had no session to store.
    now = datetime(2026, 11, 27, 15, tzinfo=UTC)

    require_current_history(schedule, history_ending(AAA=date(2026, 11, 25)), now)


def test_missing_sessions_before_the_first_live_bar_are_refused_by_symbol() -> None:
    schedule = SessionCloseSchedule(XNYS)
    now = datetime(2026, 11, 24, 17, tzinfo=UTC)
    history = history_ending(AAA=date(2026, 11, 23), BBB=date(2026, 11, 19))

    with pytest.raises(DataError) as raised:
        require_current_history(schedule, history, now)

    message = str(raised.value)
    assert "stored history is not current before the first live bar 2026-11-24" in message
    assert "BBB ends 2026-11-19 (2 session(s) missing)" in message
    assert "AAA" not in message
    assert "Ingest the missing XNYS sessions first" in message


def test_daily_bars_are_written_to_the_store_before_the_session_trades_them(
    tmp_path: Path,
) -> None:
    day = datetime(2026, 11, 24, tzinfo=UTC)
    slices = [
        (day, {"AAA": Bar("AAA", day, 10.0, 11.0, 9.5, 10.5, 1200.0)}),
        (
            datetime(2026, 11, 25, tzinfo=UTC),
            {
                "AAA": Bar(
                    "AAA", datetime(2026, 11, 25, tzinfo=UTC), 10.5, 10.9, 10.1, 10.2, 800.0
                ),
                "BBB": Bar("BBB", datetime(2026, 11, 25, tzinfo=UTC), 50.0, 51.0, 49.0, 50.5, 90.0),
            },
        ),
    ]
    with SqliteDatabase(tmp_path / "bars.db") as database:
        store = SqliteBarStore(database)
        seen = []
        for timestamp, bars in recorded_bars(iter(slices), store):
            # The slice is stored by the time the session receives it.
            stored = store.read_bars(None)
            assert set(stored["timestamp"]) >= {pd.Timestamp(timestamp)}
            seen.append((timestamp, bars))
        stored = store.read_bars(None)

    assert seen == slices
    assert stored[["symbol", "close", "volume"]].values.tolist() == [
        ["AAA", 10.5, 1200.0],
        ["AAA", 10.2, 800.0],
        ["BBB", 50.5, 90.0],
    ]
    assert list(stored["timestamp"]) == [
        pd.Timestamp("2026-11-24", tz="UTC"),
        pd.Timestamp("2026-11-25", tz="UTC"),
        pd.Timestamp("2026-11-25", tz="UTC"),
    ]
