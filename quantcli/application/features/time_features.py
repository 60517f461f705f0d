"""Time features: calendar position of each bar and, for intraday bars, its place in the session."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.application.features.definition import (
    FeatureDefinition,
    FeatureFamily,
    SymbolBars,
    SymbolCompute,
)

CalendarField = Callable[[pd.DatetimeIndex], "pd.Index[int]"]

_CALENDAR: dict[str, CalendarField] = {
    "day_of_week": lambda local: local.day_of_week,  # Monday 0 .. Sunday 6
    "day_of_month": lambda local: local.day,
    "week_of_year": lambda local: pd.Index(local.isocalendar().week.to_numpy()),
    "month": lambda local: local.month,
    "quarter": lambda local: local.quarter,
}


def _calendar(bars: SymbolBars, field: str, time_zone: str) -> FloatArray:
    local = bars.timestamps.tz_convert(time_zone)
    return np.asarray(_CALENDAR[field](local), dtype=np.float64)


def _hour(bars: SymbolBars, time_zone: str) -> FloatArray:
    return np.asarray(bars.timestamps.tz_convert(time_zone).hour, dtype=np.float64)


def _minutes_since_open(bars: SymbolBars, time_zone: str, open_minute: int) -> FloatArray:
    local = bars.timestamps.tz_convert(time_zone)
    minute_of_day = np.asarray(local.hour * 60 + local.minute, dtype=np.float64)
    return minute_of_day - open_minute


def parse_session_open(session_open: str) -> int | None:
    """'09:30' → 570 minutes after midnight; None when it is not HH:MM."""
    hours, _, minutes = session_open.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    hour, minute = int(hours), int(minutes)
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def _definition(name: str, params: dict[str, str], compute: SymbolCompute) -> FeatureDefinition:
    return FeatureDefinition(
        name=name,
        version=1,
        family=FeatureFamily.TIME,
        inputs=("timestamp",),
        lookback=0,
        params=params,
        compute=compute,
    )


def time_features(
    calendar: tuple[str, ...],
    intraday: tuple[str, ...],
    time_zone: str,
    session_open: str,
) -> list[FeatureDefinition]:
    """Calendar and intraday features; names are checked by the registry before this runs."""
    definitions = [
        _definition(
            field, {"time_zone": time_zone}, partial(_calendar, field=field, time_zone=time_zone)
        )
        for field in calendar
    ]
    open_minute = parse_session_open(session_open) or 0
    for field in intraday:
        if field == "hour":
            definitions.append(
                _definition("hour", {"time_zone": time_zone}, partial(_hour, time_zone=time_zone))
            )
        else:
            definitions.append(
                _definition(
                    "minutes_since_open",
                    {"time_zone": time_zone, "session_open": session_open},
                    partial(_minutes_since_open, time_zone=time_zone, open_minute=open_minute),
                )
            )
    return definitions
