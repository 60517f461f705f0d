"""Loss limits over an equity history: day, ISO week and month boundaries, drawdown from a peak."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.loss_limits import EquityPoint, LossLimitBreach, LossLimits

DAILY = LossLimits(daily=Decimal("0.03"))
WEEKLY = LossLimits(weekly=Decimal("0.06"))
MONTHLY = LossLimits(monthly=Decimal("0.10"))
DRAWDOWN = LossLimits(max_drawdown=Decimal("0.20"))


def at(day: str, hour: int = 21) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def history(*points: tuple[datetime, int]) -> list[EquityPoint]:
    return [EquityPoint(stamp, Decimal(equity)) for stamp, equity in points]


def test_daily_loss_from_the_previous_close_breaches_over_the_limit() -> None:
    points = history((at("2024-01-05"), 100_000), (at("2024-01-08", 14), 96_900))

    assert DAILY.breaches(points) == (
        LossLimitBreach(
            "daily",
            Decimal("0.031"),
            Decimal("0.03"),
            "daily loss 3.10% of start-of-day equity 100000.00 (now 96900.00) > daily limit 3.00%",
        ),
    )


def test_daily_loss_at_the_limit_is_no_breach() -> None:
    points = history((at("2024-01-05"), 100_000), (at("2024-01-08", 14), 97_000))

    assert DAILY.breaches(points) == ()


def test_daily_loss_resets_at_the_utc_day_boundary() -> None:
    points = history(
        (at("2024-01-04"), 100_000),
        (at("2024-01-05", 15), 96_000),
        (at("2024-01-05", 23), 96_000),
        (at("2024-01-06", 0), 95_000),
    )

    # On the 5th the day lost 4%; at 00:00 on the 6th only 1 000 of 96 000 (1.04%).
    assert DAILY.first_breach(points[:2]) is not None
    assert DAILY.first_breach(points) is None


def test_a_history_starting_inside_the_day_measures_from_its_first_point() -> None:
    points = history((at("2024-01-08", 10), 100_000), (at("2024-01-08", 15), 96_000))

    breach = DAILY.first_breach(points)

    assert breach is not None
    assert breach.value == Decimal("0.04")


def test_a_session_calendar_decides_which_day_a_point_belongs_to() -> None:
    points = history(
        (at("2024-01-08", 1), 100_000),
        (at("2024-01-08", 21), 98_000),
        (at("2024-01-08", 23), 96_000),
    )

    def session_rolling_at_22_utc(stamp: datetime) -> date:
        return (stamp + timedelta(hours=2)).date()

    # By UTC day the 23:00 point lost 4% since 01:00; by session it opened the 9th, 2.04% down.
    assert DAILY.first_breach(points) is not None
    assert DAILY.first_breach(points, session_of=session_rolling_at_22_utc) is None


def test_weekly_loss_is_measured_from_the_previous_iso_week_close() -> None:
    points = history(
        (at("2024-01-01"), 110_000),
        (at("2024-01-05"), 100_000),  # Friday: week 1 closes 10 000 down, which week 2 ignores
        (at("2024-01-10"), 93_500),
    )

    assert WEEKLY.breaches(points) == (
        LossLimitBreach(
            "weekly",
            Decimal("0.065"),
            Decimal("0.06"),
            "weekly loss 6.50% of start-of-week equity 100000.00 (now 93500.00) > weekly limit "
            "6.00%",
        ),
    )
    # On the Friday itself, week 1 was 9.09% down from its first point.
    friday = WEEKLY.first_breach(points[:2])
    assert friday is not None
    assert friday.value == Decimal(10_000) / Decimal(110_000)


def test_iso_week_spans_the_new_year_while_the_month_resets() -> None:
    limits = LossLimits(weekly=Decimal("0.06"), monthly=Decimal("0.03"))
    points = history(
        (at("2024-12-27"), 100_000),  # Friday of ISO week 52
        (at("2024-12-30"), 97_000),  # Monday of ISO week 1 of 2025
        (at("2025-01-02"), 93_000),
    )

    breaches = limits.breaches(points)

    # Week: 7% since the 27th. Month: January from December's last point, 97 000 (4.12%).
    assert [(b.name, round(b.value, 4)) for b in breaches] == [
        ("weekly", Decimal("0.07")),
        ("monthly", Decimal("0.0412")),
    ]


def test_monthly_loss_on_both_sides_of_the_limit() -> None:
    start = (at("2024-01-31"), 100_000)

    assert MONTHLY.breaches(history(start, (at("2024-02-20"), 90_000))) == ()
    (breach,) = MONTHLY.breaches(history(start, (at("2024-02-20"), 89_000)))
    assert breach.reason == (
        "monthly loss 11.00% of start-of-month equity 100000.00 (now 89000.00) > monthly limit "
        "10.00%"
    )


def test_drawdown_is_measured_from_the_peak() -> None:
    points = history(
        (at("2024-01-02"), 100_000),
        (at("2024-01-10"), 120_000),
        (at("2024-03-01"), 110_000),
        (at("2024-06-03"), 95_000),
    )

    assert DRAWDOWN.breaches(points) == (
        LossLimitBreach(
            "max_drawdown",
            Decimal(25_000) / Decimal(120_000),
            Decimal("0.20"),
            "drawdown 20.83% from peak equity 120000.00 on 2024-01-10 (now 95000.00) > "
            "max_drawdown 20.00%",
        ),
    )


def test_drawdown_at_the_limit_is_no_breach() -> None:
    points = history((at("2024-01-10"), 120_000), (at("2024-06-03"), 96_000))

    assert DRAWDOWN.breaches(points) == ()


def test_every_breach_is_listed_daily_first() -> None:
    limits = LossLimits(Decimal("0.03"), Decimal("0.06"), Decimal("0.10"), Decimal("0.20"))
    points = history((at("2024-01-31"), 100_000), (at("2024-02-01", 15), 70_000))

    assert [b.name for b in limits.breaches(points)] == [
        "daily",
        "weekly",
        "monthly",
        "max_drawdown",
    ]
    assert limits.first_breach(points) == limits.breaches(points)[0]


def test_limits_that_are_off_and_an_empty_history_breach_nothing() -> None:
    points = history((at("2024-01-05"), 100_000), (at("2024-01-08"), 1))

    assert LossLimits().breaches(points) == ()
    assert DAILY.breaches([]) == ()


def test_history_may_be_plain_pairs() -> None:
    pairs = [(at("2024-01-05"), Decimal(100_000)), (at("2024-01-08"), Decimal(90_000))]

    assert DAILY.first_breach(pairs) is not None


def test_history_must_be_utc_and_increasing() -> None:
    with pytest.raises(ValidationError, match=r"equity_history\[0\]: .* not timezone-aware UTC"):
        DAILY.breaches([(datetime(2024, 1, 5), Decimal(1))])
    repeated = history((at("2024-01-05"), 1), (at("2024-01-05"), 2))
    with pytest.raises(ValidationError, match=r"equity_history\[1\]: timestamp .* is not after"):
        DAILY.breaches(repeated)


def test_start_of_period_equity_must_be_positive() -> None:
    points = history((at("2024-01-05"), 0), (at("2024-01-08"), 10))

    with pytest.raises(ValidationError, match="start-of-day equity 0 at 2024-01-05T21:00:00"):
        DAILY.breaches(points)


@pytest.mark.parametrize("value", ["0", "1.5", "-0.03"])
def test_limits_must_be_fractions(value: str) -> None:
    with pytest.raises(ValidationError, match=rf"weekly: {value} is not in \(0, 1\]"):
        LossLimits(weekly=Decimal(value))
