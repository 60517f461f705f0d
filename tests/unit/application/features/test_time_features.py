"""Time features on daily and intraday bars: calendar fields and the place in the session."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantcli.application.features import FeatureParameters, SymbolBars, build_registry

CALENDAR = ("day_of_week", "day_of_month", "week_of_year", "month", "quarter")


def bars_at(timestamps: pd.DatetimeIndex) -> SymbolBars:
    n = len(timestamps)
    prices = np.full(n, 10.0)
    return SymbolBars(timestamps, prices, prices, prices, prices, np.full(n, 100.0))


def time_columns(bars: SymbolBars, **params: object) -> dict[str, list[float]]:
    parameters = FeatureParameters(ranks=(), families=("time",), **params)  # type: ignore[arg-type]
    return {d.name: d.values(bars).tolist() for d in build_registry(parameters)}


def test_calendar_fields_of_daily_bars() -> None:
    # Fri 2023-12-29, Mon 2024-01-01, Tue 2024-04-02, Sun 2024-09-29.
    days = pd.DatetimeIndex(["2023-12-29", "2024-01-01", "2024-04-02", "2024-09-29"], tz="UTC")

    columns = time_columns(bars_at(days), calendar=CALENDAR)

    assert columns == {
        "day_of_week": [4.0, 0.0, 1.0, 6.0],
        "day_of_month": [29.0, 1.0, 2.0, 29.0],
        "week_of_year": [52.0, 1.0, 14.0, 39.0],
        "month": [12.0, 1.0, 4.0, 9.0],
        "quarter": [4.0, 1.0, 2.0, 3.0],
    }


def test_every_time_feature_is_defined_from_the_first_bar() -> None:
    days = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    definitions = build_registry(
        FeatureParameters(
            calendar=CALENDAR, intraday=("hour", "minutes_since_open"), ranks=(), families=("time",)
        )
    )
    assert {d.lookback for d in definitions} == {0}
    assert {d.inputs for d in definitions} == {("timestamp",)}
    assert all(np.isfinite(d.values(bars_at(days))).all() for d in definitions)


def test_intraday_hour_and_minutes_since_the_session_open_in_the_exchange_zone() -> None:
    # 14:30 UTC is 09:30 in New York in January (EST), 10:30 in July (EDT).
    stamps = pd.DatetimeIndex(
        ["2024-01-05 14:30", "2024-01-05 15:15", "2024-01-05 20:55", "2024-07-05 14:30"],
        tz="UTC",
    )

    columns = time_columns(
        bars_at(stamps),
        calendar=("day_of_week",),
        intraday=("hour", "minutes_since_open"),
        time_zone="America/New_York",
        session_open="09:30",
    )

    assert columns == {
        "day_of_week": [4.0, 4.0, 4.0, 4.0],
        "hour": [9.0, 10.0, 15.0, 10.0],
        "minutes_since_open": [0.0, 45.0, 385.0, 60.0],
    }


def test_calendar_fields_follow_the_time_zone_across_midnight() -> None:
    # 02:00 UTC on Saturday is still Friday evening in New York.
    stamps = pd.DatetimeIndex(["2024-03-02 02:00"], tz="UTC")

    assert time_columns(bars_at(stamps), calendar=("day_of_week",))["day_of_week"] == [5.0]
    in_new_york = time_columns(
        bars_at(stamps), calendar=("day_of_week",), time_zone="America/New_York"
    )
    assert in_new_york["day_of_week"] == [4.0]


def test_daily_bars_at_midnight_utc_have_hour_zero_and_a_fixed_offset_to_the_open() -> None:
    days = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")

    columns = time_columns(bars_at(days), calendar=(), intraday=("hour", "minutes_since_open"))

    assert columns == {"hour": [0.0] * 3, "minutes_since_open": [-570.0] * 3}
