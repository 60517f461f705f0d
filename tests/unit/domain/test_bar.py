"""OHLCV validation and the Bar value object."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from quantcli.domain.bar import Bar, ohlcv_problem
from quantcli.domain.errors import DataError, ValidationError

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def test_consistent_bar_has_no_problem() -> None:
    assert ohlcv_problem(10.0, 11.0, 9.5, 10.5, 1_000.0) is None


def test_flat_bar_with_zero_volume_has_no_problem() -> None:
    assert ohlcv_problem(10.0, 10.0, 10.0, 10.0, 0.0) is None


@pytest.mark.parametrize(
    ("prices", "problem"),
    [
        ((math.nan, 11.0, 9.5, 10.5, 1.0), "open is not a finite number (nan)"),
        ((10.0, math.inf, 9.5, 10.5, 1.0), "high is not a finite number (inf)"),
        ((10.0, 11.0, 9.5, 10.5, math.nan), "volume is not a finite number (nan)"),
        ((0.0, 11.0, 9.5, 10.5, 1.0), "open 0.0 is not positive"),
        ((10.0, 11.0, -1.0, 10.5, 1.0), "low -1.0 is not positive"),
        ((10.0, 11.0, 9.5, 0.0, 1.0), "close 0.0 is not positive"),
        ((10.0, 11.0, 9.5, 10.5, -1.0), "volume -1.0 is negative"),
        ((10.0, 9.0, 9.5, 9.2, 1.0), "high 9.0 < low 9.5"),
        ((11.5, 11.0, 9.5, 10.5, 1.0), "open 11.5 outside [low 9.5, high 11.0]"),
        ((9.0, 11.0, 9.5, 10.5, 1.0), "open 9.0 outside [low 9.5, high 11.0]"),
        ((10.0, 11.0, 9.5, 11.2, 1.0), "close 11.2 outside [low 9.5, high 11.0]"),
        ((10.0, 11.0, 9.5, 9.4, 1.0), "close 9.4 outside [low 9.5, high 11.0]"),
    ],
)
def test_each_inconsistency_is_described(
    prices: tuple[float, float, float, float, float], problem: str
) -> None:
    assert ohlcv_problem(*prices) == problem


def test_valid_bar_keeps_its_fields() -> None:
    bar = Bar("AAPL", T0, 10.0, 11.0, 9.5, 10.5, 1_000.0)
    assert (bar.symbol, bar.timestamp, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        "AAPL",
        T0,
        10.0,
        11.0,
        9.5,
        10.5,
        1_000.0,
    )


def test_bar_with_inconsistent_prices_names_symbol_time_and_problem() -> None:
    with pytest.raises(DataError, match=r"bar AAPL 2024-01-02T14:30:00\+00:00: high 9.0 < low 9.5"):
        Bar("AAPL", T0, 9.2, 9.0, 9.5, 9.2, 1.0)


def test_bar_with_naive_timestamp_is_rejected() -> None:
    with pytest.raises(DataError, match="bar AAPL: timestamp 2024-01-02T14:30:00 is not"):
        Bar("AAPL", datetime(2024, 1, 2, 14, 30), 10.0, 11.0, 9.5, 10.5, 1.0)


def test_bar_with_non_utc_offset_is_rejected() -> None:
    new_york = timezone(timedelta(hours=-5))
    with pytest.raises(DataError, match="not timezone-aware UTC"):
        Bar("AAPL", datetime(2024, 1, 2, 9, 30, tzinfo=new_york), 10.0, 11.0, 9.5, 10.5, 1.0)


def test_bar_with_malformed_symbol_is_rejected() -> None:
    with pytest.raises(ValidationError, match="symbol ''"):
        Bar("", T0, 10.0, 11.0, 9.5, 10.5, 1.0)


def test_bar_is_immutable() -> None:
    bar = Bar("AAPL", T0, 10.0, 11.0, 9.5, 10.5, 1.0)
    with pytest.raises(AttributeError):
        bar.close = 12.0  # type: ignore[misc]
