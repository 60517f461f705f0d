"""Ports every context may use: the clock, the trading calendar, the float array type."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class TradingCalendar(Protocol):
    """An exchange's sessions."""

    @property
    def name(self) -> str: ...

    def session_of(self, timestamp: datetime) -> date:
        """The date a bar belongs to (a daily bar at 00:00 UTC is labelled by its date)."""
        ...

    def is_session(self, day: date) -> bool: ...

    def closed_reason(self, day: date) -> str:
        """Why `day` is not a session, e.g. "Saturday" or "holiday July 4th"."""
        ...

    def sessions_between(self, first: date, last: date) -> int:
        """Sessions strictly after `first` and strictly before `last`."""
        ...

    def session_open(self, day: date) -> datetime:
        """When the session of `day` opens (UTC); `day` must be a session."""
        ...

    def session_close(self, day: date) -> datetime:
        """When the session of `day` closes (UTC); `day` must be a session."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...
