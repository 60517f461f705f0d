"""ExchangeTradingCalendar on exchange_calendars: sessions, closures by name, gaps, bad codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from quantcli.adapters.calendars import ExchangeTradingCalendar, calendar_names
from quantcli.domain.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def xnys() -> ExchangeTradingCalendar:
    return ExchangeTradingCalendar("XNYS")


def test_sessions_come_from_the_exchange_calendar(xnys: ExchangeTradingCalendar) -> None:
    assert xnys.name == "XNYS"
    assert xnys.is_session(date(2023, 7, 3))
    assert not xnys.is_session(date(2023, 7, 4))
    assert not xnys.is_session(date(2023, 7, 8))


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2023, 7, 4), "holiday July 4th"),
        (date(2023, 11, 23), "holiday Thanksgiving"),
        (date(2018, 12, 5), "ad hoc closure"),  # President Bush's funeral
        (date(2023, 7, 8), "Saturday"),
    ],
)
def test_a_closed_day_is_named(xnys: ExchangeTradingCalendar, day: date, reason: str) -> None:
    assert xnys.closed_reason(day) == reason


def test_daily_bars_at_midnight_utc_are_labelled_by_their_date_intraday_by_local_date(
    xnys: ExchangeTradingCalendar,
) -> None:
    assert xnys.session_of(datetime(2023, 7, 5, tzinfo=UTC)) == date(2023, 7, 5)
    # 01:00 UTC on the 5th is 21:00 on the 4th in New York.
    assert xnys.session_of(datetime(2023, 7, 5, 1, tzinfo=UTC)) == date(2023, 7, 4)
    assert xnys.session_of(datetime(2023, 7, 5, 14, 30, tzinfo=UTC)) == date(2023, 7, 5)


def test_sessions_between_counts_only_sessions_strictly_inside(
    xnys: ExchangeTradingCalendar,
) -> None:
    assert xnys.sessions_between(date(2023, 7, 3), date(2023, 7, 5)) == 0  # the 4th is closed
    assert xnys.sessions_between(date(2023, 7, 3), date(2023, 7, 10)) == 3
    assert xnys.sessions_between(date(2023, 7, 7), date(2023, 7, 10)) == 0


def test_an_unknown_code_is_a_config_error_and_an_out_of_range_day_a_data_error(
    xnys: ExchangeTradingCalendar,
) -> None:
    with pytest.raises(ConfigError, match="calendar 'NOPE'"):
        ExchangeTradingCalendar("NOPE")
    with pytest.raises(DataError, match="outside the XNYS calendar's range"):
        xnys.is_session(date(1980, 1, 2))


def test_a_session_closes_at_the_exchange_close_in_utc(xnys: ExchangeTradingCalendar) -> None:
    assert xnys.session_close(date(2026, 11, 24)) == datetime(2026, 11, 24, 21, tzinfo=UTC)
    # The day after Thanksgiving closes early, at 13:00 New York time.
    assert xnys.session_close(date(2026, 11, 27)) == datetime(2026, 11, 27, 18, tzinfo=UTC)


def test_a_closed_day_has_no_close(xnys: ExchangeTradingCalendar) -> None:
    with pytest.raises(DataError, match=r"2026-11-26 is not a XNYS session \(holiday"):
        xnys.session_close(date(2026, 11, 26))


def test_a_session_opens_at_the_exchange_open_in_utc(xnys: ExchangeTradingCalendar) -> None:
    assert xnys.session_open(date(2026, 11, 24)) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    # Summer time: 09:30 New York is 13:30 UTC.
    assert xnys.session_open(date(2026, 7, 6)) == datetime(2026, 7, 6, 13, 30, tzinfo=UTC)
    with pytest.raises(DataError, match="has no open"):
        xnys.session_open(date(2026, 11, 26))


def test_calendar_names_hold_codes_and_aliases_the_settings_accept() -> None:
    names = calendar_names()

    assert {"XNYS", "XLON", "XTKS", "NYSE", "24/7"} <= names
    assert "NOPE" not in names
    assert "xnys" not in names  # exchange_calendars is case-sensitive
