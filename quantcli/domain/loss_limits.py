"""Loss limits: daily, weekly and monthly loss and drawdown from the peak, over an equity history.

Periods are the calendar day, ISO week and month of each point's session date: its UTC date
unless a `session_of` function (an exchange calendar's) maps a timestamp to its session. A
period's start-of-period equity is the last equity before the period began (the previous close),
or the period's first point when the history starts inside it. Every limit is judged at the
latest point: a halt reflects the book now; call it on every equity update.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from quantcli.domain.errors import ValidationError

SessionOf = Callable[[datetime], date]


def utc_date(timestamp: datetime) -> date:
    """The default session of a timestamp: its UTC calendar date."""
    return timestamp.date()


@attrs.frozen
class EquityPoint:
    """Account equity at one moment (timezone-aware UTC)."""

    timestamp: datetime
    equity: Decimal


@attrs.frozen
class LossLimitBreach:
    """A loss limit the history breaches: its name, the loss as a fraction, and the limit."""

    name: str
    value: Decimal
    limit: Decimal
    reason: str


def _optional_fraction(
    _instance: Any, attribute: attrs.Attribute[Decimal | None], value: Decimal | None
) -> None:
    if value is not None and not 0 < value <= 1:
        raise ValidationError(f"{attribute.name}: {value} is not in (0, 1]")


def _day(session: date) -> Hashable:
    return session


def _iso_week(session: date) -> Hashable:
    year, week, _ = session.isocalendar()
    return (year, week)


def _month(session: date) -> Hashable:
    return (session.year, session.month)


_PERIODS: tuple[tuple[str, str, Callable[[date], Hashable]], ...] = (
    ("daily", "day", _day),
    ("weekly", "week", _iso_week),
    ("monthly", "month", _month),
)


@attrs.frozen
class LossLimits:
    """Loss limits as fractions of start-of-period equity, and of the peak for max_drawdown.

    None switches a limit off. A loss breaches its limit when strictly greater.
    """

    daily: Decimal | None = attrs.field(default=None, validator=_optional_fraction)
    weekly: Decimal | None = attrs.field(default=None, validator=_optional_fraction)
    monthly: Decimal | None = attrs.field(default=None, validator=_optional_fraction)
    max_drawdown: Decimal | None = attrs.field(default=None, validator=_optional_fraction)

    def breaches(
        self,
        history: Iterable[EquityPoint | tuple[datetime, Decimal]],
        session_of: SessionOf | None = None,
    ) -> tuple[LossLimitBreach, ...]:
        """Every limit the latest point breaches, in the order daily, weekly, monthly, drawdown."""
        points = _checked(history)
        if not points:
            return ()
        session = session_of or utc_date
        sessions = [session(point.timestamp) for point in points]
        latest = points[-1]
        found: list[LossLimitBreach] = []
        for name, period, key in _PERIODS:
            limit: Decimal | None = getattr(self, name)
            if limit is None:
                continue
            start = _start_of_period(points, [key(s) for s in sessions])
            if start.equity <= 0:
                raise ValidationError(
                    f"equity_history: start-of-{period} equity {start.equity} at "
                    f"{start.timestamp.isoformat()} is not positive"
                )
            loss = (start.equity - latest.equity) / start.equity
            if loss > limit:
                found.append(
                    LossLimitBreach(
                        name,
                        loss,
                        limit,
                        f"{name} loss {_percent(loss)} of start-of-{period} equity "
                        f"{start.equity:.2f} (now {latest.equity:.2f}) > {name} limit "
                        f"{_percent(limit)}",
                    )
                )
        if self.max_drawdown is not None:
            peak = max(points, key=lambda point: point.equity)
            if peak.equity <= 0:
                raise ValidationError(f"equity_history: peak equity {peak.equity} is not positive")
            drawdown = (peak.equity - latest.equity) / peak.equity
            if drawdown > self.max_drawdown:
                found.append(
                    LossLimitBreach(
                        "max_drawdown",
                        drawdown,
                        self.max_drawdown,
                        f"drawdown {_percent(drawdown)} from peak equity {peak.equity:.2f} on "
                        f"{peak.timestamp:%Y-%m-%d} (now {latest.equity:.2f}) > max_drawdown "
                        f"{_percent(self.max_drawdown)}",
                    )
                )
        return tuple(found)

    def first_breach(
        self,
        history: Iterable[EquityPoint | tuple[datetime, Decimal]],
        session_of: SessionOf | None = None,
    ) -> LossLimitBreach | None:
        return next(iter(self.breaches(history, session_of)), None)


def _checked(history: Iterable[EquityPoint | tuple[datetime, Decimal]]) -> list[EquityPoint]:
    points = [p if isinstance(p, EquityPoint) else EquityPoint(p[0], p[1]) for p in history]
    for index, point in enumerate(points):
        stamp = point.timestamp
        if stamp.tzinfo is None or stamp.utcoffset() != timedelta(0):
            raise ValidationError(
                f"equity_history[{index}]: timestamp {stamp.isoformat()} is not timezone-aware UTC"
            )
        if index and not stamp > points[index - 1].timestamp:
            raise ValidationError(
                f"equity_history[{index}]: timestamp {stamp.isoformat()} is not after "
                f"{points[index - 1].timestamp.isoformat()}"
            )
        if not point.equity.is_finite():
            raise ValidationError(f"equity_history[{index}]: equity {point.equity} is not finite")
    return points


def _start_of_period(points: Sequence[EquityPoint], keys: Sequence[Hashable]) -> EquityPoint:
    """The last point before the latest point's period began, else that period's first point."""
    current = keys[-1]
    index = len(points) - 1
    while index > 0 and keys[index - 1] == current:
        index -= 1
    return points[index - 1] if index > 0 else points[0]


def _percent(fraction: Decimal) -> str:
    return f"{fraction * 100:.2f}%"
