"""Bars per year from the bars' timestamps: daily equities, hourly FX, 24/7, weekly, irregular."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import backtesting.test
import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.annualization import (
    DEFAULT_PERIODS_PER_YEAR,
    Annualization,
    elapsed_years,
    infer_annualization,
)


def _utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index.tz_localize("UTC")


def test_daily_equity_bars_give_about_252_a_year() -> None:
    goog = _utc(backtesting.test.GOOG.index)  # 2004-08-19 .. 2013-03-01, NASDAQ sessions

    annualization = infer_annualization(goog)

    assert annualization.periods_per_year == pytest.approx(251.7, abs=0.1)
    assert annualization.bar_interval == timedelta(days=1)
    assert annualization.describe() == (
        "252 bars per year (daily bars, inferred from the timestamps)"
    )


def test_hourly_fx_bars_trading_24_hours_5_days_give_about_6200_a_year() -> None:
    eurusd = _utc(backtesting.test.EURUSD.index)
    years = (eurusd[-1] - eurusd[0]) / pd.Timedelta(days=365.25)

    annualization = infer_annualization(eurusd)

    assert annualization.periods_per_year == pytest.approx((len(eurusd) - 1) / years)
    assert 6_150 < annualization.periods_per_year < 6_250  # 24 × 5 × 52 = 6,240 less gaps
    assert annualization.interval_name == "hourly"
    assert annualization.inferred


def test_daily_bars_every_day_give_365_a_year() -> None:
    crypto = pd.date_range("2020-01-01", periods=3 * 365 + 2, freq="D", tz="UTC")

    annualization = infer_annualization(crypto)

    assert annualization.periods_per_year == pytest.approx(365.25, rel=1e-3)
    assert annualization.interval_name == "daily"


def test_weekly_bars_give_52_a_year() -> None:
    weekly = pd.date_range("2015-01-02", periods=521, freq="W-FRI", tz="UTC")

    annualization = infer_annualization(weekly)

    assert annualization.periods_per_year == pytest.approx(365.25 / 7)
    assert annualization.interval_name == "weekly"
    assert annualization.describe().startswith("52 bars per year (weekly bars")


def test_monthly_bars_give_12_a_year() -> None:
    monthly = pd.date_range("2010-01-31", periods=121, freq="ME", tz="UTC")

    annualization = infer_annualization(monthly)

    assert annualization.periods_per_year == pytest.approx(12.0, rel=1e-3)
    assert annualization.interval_name == "monthly"


def test_irregular_bars_use_their_density_and_name_the_median_spacing() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    gaps_hours = np.random.default_rng(7).choice([1, 2, 3, 3, 3, 5, 48], size=400)
    times = [start + timedelta(hours=int(h)) for h in np.cumsum(gaps_hours)]
    years = (times[-1] - times[0]) / timedelta(days=365.25)

    annualization = infer_annualization(reversed(times))  # any order

    assert annualization.periods_per_year == pytest.approx(399 / years)
    assert annualization.bar_interval == timedelta(hours=3)
    assert annualization.interval_name == "median spacing 3h"
    assert "(bars, median spacing 3h, inferred" in annualization.describe()


def test_repeated_timestamps_count_once() -> None:
    days = pd.date_range("2021-01-01", periods=366, freq="D", tz="UTC")
    two_symbols = days.append(days)  # a panel's index: every timestamp twice

    assert infer_annualization(two_symbols).periods_per_year == pytest.approx(365.25)


@pytest.mark.parametrize("times", [[], [datetime(2024, 1, 2, tzinfo=UTC)] * 3])
def test_under_two_distinct_timestamps_fall_back_to_252_not_inferred(
    times: list[datetime],
) -> None:
    annualization = infer_annualization(times)

    assert annualization == Annualization(DEFAULT_PERIODS_PER_YEAR)
    assert annualization.describe() == "252 bars per year (default: too few timestamps to infer)"


def test_elapsed_years_are_first_to_last_timestamp_in_years_of_365_25_days() -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)

    assert elapsed_years([start + timedelta(days=730.5), start]) == pytest.approx(2.0)
    assert elapsed_years([start]) == 0.0
