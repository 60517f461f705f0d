"""A seeded synthetic stock market with a weak but real, learnable signal.

Model (details and constants in synthetic_model):

- Regimes: a Markov chain over calm_bull (drift +0.06%/day, low vol), volatile_bear (-0.10%/day,
  high vol) and choppy (no drift, medium vol); regimes last weeks to months.
- Returns: daily log return = beta * market factor + sector factor + idiosyncratic noise
  + signal_strength * mu. Daily volatility is about 1.4% in calm_bull, 3% in volatile_bear.
- Signal: mu = -0.15 * R5 / sqrt(5) + 0.09 * R(20..5) / sqrt(15), where R5 is the symbol's own
  log return over the last 5 closes (short-term reversal) and R(20..5) its return from 20 to
  5 closes ago (slow momentum). It depends on past closes only, so features such as 5- and
  20-day returns find it. At signal_strength 1 the sign of mu calls the sign of the next
  close-to-close return right ~55% of the time; at 0 prices are a pure random walk with the
  same volatility structure. signal_strength is capped at 5, where the recursion stays stable.
- Bars: close from cumulated returns; open = previous close times a small gap; high and low add
  half-normal wicks beyond max/min(open, close), so OHLC is consistent and prices stay positive;
  volume is lognormal around a per-symbol median and higher on big-move days.

Business days from `start` at 00:00 UTC, 252 per year. Same seed, same frame (PCG64).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from numbers import Integral, Real

import attrs
import numpy as np
import pandas as pd

from quantcli.adapters.data.bar_selection import select_bars
from quantcli.adapters.data.synthetic_model import (
    MAX_SIGNAL_STRENGTH,
    REGIMES,
    draw_traits,
    simulate_paths,
)
from quantcli.application.marketdata.ports import check_bar_frame
from quantcli.domain import ValidationError

SECTORS: tuple[str, ...] = ("technology", "financials", "healthcare", "energy", "consumer")
TRADING_DAYS_PER_YEAR = 252
# Bounds a person can mean: 100 years of 252 bars for 500 symbols is 12.6 million bars already,
# and every timestamp must stay before pandas' last one (2262-04-11).
MAX_SYMBOLS = 500
MAX_YEARS = 100.0
# Parameters cannot change after construction, so the generated bars stay theirs.
_FROZEN = attrs.setters.frozen


def _check_n_symbols(_instance: object, _attribute: object, n_symbols: int) -> None:
    if (
        isinstance(n_symbols, bool)
        or not isinstance(n_symbols, Integral)
        or not 1 <= n_symbols <= MAX_SYMBOLS
    ):
        raise ValidationError(
            f"n_symbols must be an integer from 1 to {MAX_SYMBOLS}, got {n_symbols!r}"
        )


def _check_years(_instance: object, _attribute: object, years: float) -> None:
    if not isinstance(years, Real) or not math.isfinite(years) or not 0 < years <= MAX_YEARS:
        raise ValidationError(f"years must be a number > 0 and <= {MAX_YEARS:g}, got {years!r}")


def _check_seed(_instance: object, _attribute: object, seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValidationError(f"seed must be an integer >= 0, got {seed!r}")


def _check_start(_instance: object, _attribute: object, start: date) -> None:
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ValidationError(f"start must be a date, got {start!r}")


def _check_signal_strength(_instance: object, _attribute: object, strength: float) -> None:
    if not isinstance(strength, Real) or not 0 <= strength <= MAX_SIGNAL_STRENGTH:
        raise ValidationError(
            f"signal_strength must be within [0, {MAX_SIGNAL_STRENGTH}], got {strength!r}"
        )


@attrs.define
class SyntheticMarket:
    """Deterministic daily bars for `n_symbols` made-up stocks over `years` (MarketDataSource)."""

    n_symbols: int = attrs.field(default=20, validator=_check_n_symbols, on_setattr=_FROZEN)
    years: float = attrs.field(default=8.0, validator=_check_years, on_setattr=_FROZEN)
    seed: int = attrs.field(default=42, validator=_check_seed, on_setattr=_FROZEN)
    start: date = attrs.field(default=date(2016, 1, 4), validator=_check_start, on_setattr=_FROZEN)
    signal_strength: float = attrs.field(
        default=1.0, validator=_check_signal_strength, on_setattr=_FROZEN
    )
    _bars: pd.DataFrame | None = attrs.field(default=None, init=False, repr=False, eq=False)
    _regimes: pd.Series | None = attrs.field(default=None, init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        last = np.busday_offset(np.datetime64(self.start, "D"), self._n_days - 1, roll="forward")
        latest = pd.Timestamp.max.floor("D").to_datetime64().astype("datetime64[D]")
        if last > latest:
            raise ValidationError(
                f"{self.years:g} years of bars from {self.start} end on {last}, after the last "
                f"date a timestamp can hold ({latest}): start earlier or ask for fewer years"
            )

    @property
    def _n_days(self) -> int:
        return max(1, round(self.years * TRADING_DAYS_PER_YEAR))

    @property
    def name(self) -> str:
        return "synthetic"

    @property
    def symbols(self) -> list[str]:
        """Tickers SYN00, SYN01, … (wider when there are more than 100)."""
        width = max(2, len(str(self.n_symbols - 1)))
        return [f"SYN{i:0{width}d}" for i in range(self.n_symbols)]

    @property
    def sectors(self) -> dict[str, str]:
        """The sector of each symbol; its returns share that sector's factor."""
        n_sectors = min(len(SECTORS), self.n_symbols)
        return {symbol: SECTORS[i % n_sectors] for i, symbol in enumerate(self.symbols)}

    @property
    def regimes(self) -> pd.Series:
        """The market regime of each day, indexed by bar timestamp."""
        self._generate()
        assert self._regimes is not None
        return self._regimes.copy()

    def fetch_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Bars for `symbols` (all when None) in [start, end]; an unknown symbol is a DataError."""
        bars = self._generate()
        return select_bars(bars, self.name, symbols, start, end)

    def _generate(self) -> pd.DataFrame:
        if self._bars is None:
            self._bars, self._regimes = self._simulate()
        return self._bars

    def _simulate(self) -> tuple[pd.DataFrame, pd.Series]:
        n_days = self._n_days
        timestamps = pd.bdate_range(self.start, periods=n_days, tz="UTC").as_unit("ns")
        rng = np.random.Generator(np.random.PCG64(self.seed))
        traits = draw_traits(rng, self.n_symbols, min(len(SECTORS), self.n_symbols))
        paths = simulate_paths(rng, traits, n_days, float(self.signal_strength))
        # Column-major ravel lays out symbol by symbol, the order check_bar_frame sorts to.
        frame = pd.DataFrame(
            {
                "symbol": np.repeat(np.array(self.symbols, dtype=object), n_days),
                "timestamp": np.tile(timestamps, self.n_symbols),
                "open": paths.open.ravel(order="F"),
                "high": paths.high.ravel(order="F"),
                "low": paths.low.ravel(order="F"),
                "close": paths.close.ravel(order="F"),
                "volume": paths.volume.ravel(order="F"),
            }
        )
        regimes = pd.Series(
            np.array(REGIMES, dtype=object)[paths.regimes], index=timestamps, name="regime"
        )
        return check_bar_frame(frame, source=self.name), regimes
