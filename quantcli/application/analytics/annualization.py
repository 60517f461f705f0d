"""How many bars make a year: the annualization factor of every annualized statistic.

The rule (`infer_annualization`): bars per year is the sample's own density,

    periods_per_year = (distinct timestamps - 1) / elapsed years,
    elapsed years   = (last timestamp - first timestamp) / 365.25 days.

It needs no calendar and no assumed trading hours, so it holds for any data: daily equities give
≈252 (weekends and holidays are simply absent), hourly FX trading 24 hours 5 days a week
≈6,200, daily crypto trading every day 365.25, weekly bars 52.18, monthly 12. It is also the
consistent factor for irregular data: a return over a gap carries the variance of the whole
gap, so std per bar × sqrt(bars per year) still estimates the annual volatility, and with it
(bars - 1) / bars per year is exactly the elapsed time, so a CAGR over bar count agrees with one
over elapsed time. The configured exchange calendar is not used: it says where orders go, not how
imported data was sampled (an FX or crypto file does not follow XNYS sessions).

Over a short sample the edges bias the density (two weeks of weekday bars cut a weekend at
neither end: 9 spacings over 11 days read as 299 a year); annualized figures of a few weeks of
data are rough whatever the factor. Under two distinct timestamps nothing can be inferred and
the factor falls back to DEFAULT_PERIODS_PER_YEAR (252, daily equities), marked not inferred.

The bar interval (the median spacing) only names the bars in the description.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs
import pandas as pd

DAYS_PER_YEAR = 365.25
DEFAULT_PERIODS_PER_YEAR = 252.0  # daily equity sessions; only when nothing can be inferred
_YEAR = pd.Timedelta(days=DAYS_PER_YEAR)
# Median spacings with a name; monthly and longer bars vary in length, so those match a range.
_NAMED_SPACINGS: tuple[tuple[timedelta, timedelta, str], ...] = (
    (timedelta(minutes=1), timedelta(minutes=1), "1-minute"),
    (timedelta(minutes=5), timedelta(minutes=5), "5-minute"),
    (timedelta(minutes=15), timedelta(minutes=15), "15-minute"),
    (timedelta(minutes=30), timedelta(minutes=30), "30-minute"),
    (timedelta(hours=1), timedelta(hours=1), "hourly"),
    (timedelta(hours=4), timedelta(hours=4), "4-hour"),
    (timedelta(days=1), timedelta(days=1), "daily"),
    (timedelta(days=7), timedelta(days=7), "weekly"),
    (timedelta(days=28), timedelta(days=31), "monthly"),
    (timedelta(days=89), timedelta(days=92), "quarterly"),
    (timedelta(days=365), timedelta(days=366), "yearly"),
)


@attrs.frozen
class Annualization:
    """Bars per year, the median bar spacing, and whether both came from the timestamps."""

    periods_per_year: float
    bar_interval: timedelta | None = None  # the median spacing; None when not inferred
    inferred: bool = False

    @property
    def interval_name(self) -> str:
        """ "hourly", "daily", "weekly"... or "bars every 3h20m" when the spacing has no name."""
        if self.bar_interval is None:
            return "unknown interval"
        for shortest, longest, name in _NAMED_SPACINGS:
            if shortest <= self.bar_interval <= longest:
                return name
        return f"median spacing {_spacing(self.bar_interval)}"

    def describe(self) -> str:
        """E.g. "6,170 bars per year (hourly bars, inferred from the timestamps)"."""
        count = f"{self.periods_per_year:,.0f} bars per year"
        if not self.inferred:
            return f"{count} (default: too few timestamps to infer)"
        name = self.interval_name
        bars = f"{name} bars" if not name.startswith("median") else f"bars, {name}"
        return f"{count} ({bars}, inferred from the timestamps)"


def infer_annualization(timestamps: Iterable[datetime] | pd.DatetimeIndex) -> Annualization:
    """Bars per year and bar interval of `timestamps` (any order, repeats counted once).

    See the module docstring for the rule; under two distinct timestamps the default.
    """
    times = _distinct(timestamps)
    if len(times) < 2:
        return Annualization(DEFAULT_PERIODS_PER_YEAR)
    elapsed = times[-1] - times[0]
    spacing = pd.Timedelta(pd.Series(times).diff().median()).to_pytimedelta()
    return Annualization(
        periods_per_year=(len(times) - 1) / (elapsed / _YEAR),
        bar_interval=spacing,
        inferred=True,
    )


def elapsed_years(timestamps: Iterable[datetime] | pd.DatetimeIndex) -> float:
    """Years of 365.25 days from the first to the last timestamp; 0.0 under two of them."""
    times = _distinct(timestamps)
    if len(times) < 2:
        return 0.0
    return float((times[-1] - times[0]) / _YEAR)


def _distinct(timestamps: Iterable[datetime] | pd.DatetimeIndex) -> pd.DatetimeIndex:
    index = (
        timestamps
        if isinstance(timestamps, pd.DatetimeIndex)
        else pd.DatetimeIndex(list(timestamps))
    )
    return index.dropna().unique().sort_values()


def _spacing(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value) or "0s"
