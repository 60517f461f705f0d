"""The TradingCalendar port on `exchange_calendars`: sessions, holidays by name, gaps.

A bar stamped at 00:00 UTC is a daily bar labelled by its date; any other time is an intraday
bar whose session is its date in the exchange's time zone.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timedelta
from functools import cached_property

import exchange_calendars
import pandas as pd
from exchange_calendars.errors import InvalidCalendarName

from quantcli.domain.errors import ConfigError, DataError

_EARLIEST = "1990-01-01"


def calendar_names() -> frozenset[str]:
    """Every calendar code and alias exchange_calendars knows (XNYS, NYSE, 24/7, ...)."""
    return frozenset(exchange_calendars.get_calendar_names(include_aliases=True))


class ExchangeTradingCalendar:
    """Sessions of one exchange (an ISO MIC such as XNYS), from 1990 to two years ahead."""

    def __init__(self, code: str = "XNYS") -> None:
        end = (pd.Timestamp.now(tz="UTC") + pd.DateOffset(years=2)).strftime("%Y-%m-%d")
        try:
            with warnings.catch_warnings():
                # exchange_calendars' own use of a pandas API pandas is deprecating.
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                self._calendar = exchange_calendars.get_calendar(code, start=_EARLIEST, end=end)
        except InvalidCalendarName:
            raise ConfigError(
                f"calendar {code!r}: not an exchange_calendars code (e.g. XNYS, XLON, XTKS)"
            ) from None
        self._code = code

    @property
    def name(self) -> str:
        return self._code

    @cached_property
    def _sessions(self) -> frozenset[date]:
        return frozenset(day.date() for day in self._calendar.sessions)

    def session_of(self, timestamp: datetime) -> date:
        moment = pd.Timestamp(timestamp)
        if moment.tzinfo is None:
            raise DataError(f"bar at {timestamp.isoformat()}: timestamp is not timezone-aware")
        utc = moment.tz_convert("UTC")
        if utc.time() == time(0):
            return utc.date()
        local: date = utc.tz_convert(self._calendar.tz).date()
        return local

    def is_session(self, day: date) -> bool:
        self._check_range(day)
        return day in self._sessions

    def closed_reason(self, day: date) -> str:
        if day.weekday() >= 5:
            return day.strftime("%A")
        stamp = pd.Timestamp(day)
        for rule in getattr(self._calendar.regular_holidays, "rules", []) or []:
            if stamp in rule.dates(stamp, stamp):
                return f"holiday {rule.name}"
        if stamp in set(self._calendar.adhoc_holidays):
            return "ad hoc closure"
        return "no session"

    def sessions_between(self, first: date, last: date) -> int:
        if last <= first + timedelta(days=1):
            return 0
        self._check_range(first)
        self._check_range(last)
        inside = self._calendar.sessions_in_range(
            pd.Timestamp(first + timedelta(days=1)), pd.Timestamp(last - timedelta(days=1))
        )
        return len(inside)

    def session_open(self, day: date) -> datetime:
        self._require_session(day, "open")
        opened: datetime = self._calendar.session_open(pd.Timestamp(day)).to_pydatetime()
        return opened

    def session_close(self, day: date) -> datetime:
        self._require_session(day, "close")
        close: datetime = self._calendar.session_close(pd.Timestamp(day)).to_pydatetime()
        return close

    def _require_session(self, day: date, what: str) -> None:
        if not self.is_session(day):
            raise DataError(
                f"{day} is not a {self._code} session ({self.closed_reason(day)}): it has no {what}"
            )

    def _check_range(self, day: date) -> None:
        first = self._calendar.first_session.date()
        last = self._calendar.last_session.date()
        if not first <= day <= last:
            raise DataError(f"{day}: outside the {self._code} calendar's range {first} to {last}")
