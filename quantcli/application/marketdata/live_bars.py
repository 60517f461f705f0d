"""Bars from a live quote stream: a thread-safe bar builder, bar schedules and a live BarReplay.

Volume is an approximation: a quote reports the last trade's price and size, and the broker
sends a quote on every change (bid and ask included), so a trade is counted when the last
price or last size differs from the symbol's previous quote. Two identical trades in a row
count once, and a price update that arrives apart from its size update counts twice.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from quantcli.application.common.ports import Clock, TradingCalendar
from quantcli.domain.bar import Bar, require_utc
from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.instrument import check_symbol
from quantcli.domain.quotes import Quote

logger = logging.getLogger("quantcli.live_bars")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Longer than any exchange closure on record; a calendar with no session this far out is wrong.
_MAX_DAYS_WITHOUT_SESSION = 370


@attrs.define
class _Trades:
    """The trades of one symbol in the current interval, exact until the bar is built."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def add(self, price: Decimal, size: Decimal) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += size


def _trade_price(last: Decimal | None) -> Decimal | None:
    # A bar refuses a price that is missing, non-positive or not finite as a float.
    if last is None or not last.is_finite():
        return None
    as_float = float(last)
    return last if math.isfinite(as_float) and as_float > 0 else None


def _trade_size(size: Decimal | None) -> Decimal:
    # Feeds send no size (or a sentinel) for some prints; the price still counts, the size not.
    if size is None or not size.is_finite() or size < 0:
        return Decimal(0)
    return size


class BarBuilder:
    """Quotes in (from any thread: the broker calls `add` on its own thread), bars out."""

    def __init__(
        self, symbols: Sequence[str], accepts: Callable[[datetime], bool] | None = None
    ) -> None:
        """`accepts(quote.timestamp)` keeps only quotes that belong in a bar (e.g. inside the
        exchange session: pre-market prints and the snapshot sent on subscribing are not)."""
        self._accepts = accepts
        if isinstance(symbols, str):
            raise ValidationError(f"symbols {symbols!r}: expected a sequence of symbols, not one")
        self._symbols = tuple(dict.fromkeys(check_symbol(symbol) for symbol in symbols))
        if not self._symbols:
            raise ValidationError("symbols: expected at least one symbol to build bars for")
        self._wanted = frozenset(self._symbols)
        self._lock = threading.Lock()
        self._last_tick: dict[str, tuple[Decimal, Decimal]] = {}
        self._trades: dict[str, _Trades] = {}
        self._previous_close: dict[str, Decimal] = {}
        self._last_heard: datetime | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols bars are built for, in the order given."""
        return self._symbols

    @property
    def last_heard(self) -> datetime | None:
        """When the last quote of a wanted symbol arrived: flat bars carry a silent symbol
        forward, so this, not the bars, tells whether the feed is alive."""
        with self._lock:
            return self._last_heard

    def add(self, quote: Quote) -> None:
        """Book one quote; ignores other symbols and quotes without a valid last price."""
        if quote.symbol not in self._wanted:
            return
        if self._accepts is not None and not self._accepts(quote.timestamp):
            return
        with self._lock:
            self._last_heard = quote.timestamp
        price = _trade_price(quote.last)
        if price is None:
            return
        tick = (price, _trade_size(quote.last_size))
        with self._lock:
            if self._last_tick.get(quote.symbol) == tick:
                return  # a bid/ask update repeats the last trade: not a new trade
            self._last_tick[quote.symbol] = tick
            trades = self._trades.get(quote.symbol)
            if trades is None:
                self._trades[quote.symbol] = _Trades(price, price, price, price, tick[1])
            else:
                trades.add(*tick)

    def close_bars(self, timestamp: datetime) -> dict[str, Bar]:
        """The bars of the interval that just ended, stamped `timestamp`; starts a new interval.

        A symbol that did not trade gets a flat bar at its previous close; whether the feed is
        alive at all is `last_heard`'s question, not the bars'.
        """
        require_utc(timestamp, "close_bars")
        with self._lock:
            trades, self._trades = self._trades, {}
            bars: dict[str, Bar] = {}
            for symbol in self._symbols:
                traded = trades.get(symbol)
                if traded is not None:
                    bars[symbol] = Bar(
                        symbol,
                        timestamp,
                        float(traded.open),
                        float(traded.high),
                        float(traded.low),
                        float(traded.close),
                        float(traded.volume),
                    )
                    self._previous_close[symbol] = traded.close
                elif symbol in self._previous_close:
                    close = float(self._previous_close[symbol])
                    bars[symbol] = Bar(symbol, timestamp, close, close, close, close, 0.0)
            return bars


class BarSchedule(Protocol):
    """When bars close and what they are stamped with."""

    def next_close(self, after: datetime) -> tuple[datetime, datetime]:
        """(when the next bar closes, strictly after `after`; the timestamp it is stamped with)."""
        ...


def _positive_seconds(_instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(f"{attribute.name} {value!r}: expected a positive number of seconds")


def _non_negative_seconds(_instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValidationError(f"{attribute.name} {value!r}: expected zero or more seconds")


@attrs.frozen
class IntervalSchedule:
    """Intraday bars of `seconds` each, closing on multiples of `seconds` since the Unix epoch."""

    seconds: float = attrs.field(validator=_positive_seconds)

    def __attrs_post_init__(self) -> None:
        if self._step < 1:
            raise ValidationError(f"seconds {self.seconds!r}: shorter than a microsecond")

    @property
    def _step(self) -> int:
        # Whole microseconds (datetime's resolution) keep boundaries exact where floats drift.
        return round(self.seconds * 1_000_000)

    def next_close(self, after: datetime) -> tuple[datetime, datetime]:
        """The first boundary strictly after `after`; the bar is stamped with its start (the
        domain's convention for a bar's timestamp, the same as stored intraday bars)."""
        elapsed = (require_utc(after, "next_close") - _EPOCH) // _MICROSECOND
        close = _EPOCH + (elapsed // self._step + 1) * self._step * _MICROSECOND
        return close, close - self._step * _MICROSECOND


@attrs.frozen
class SessionCloseSchedule:
    """One daily bar per exchange session, taken `delay_seconds` after the close."""

    calendar: TradingCalendar
    delay_seconds: float = attrs.field(default=0.0, validator=_non_negative_seconds)

    def in_session(self, moment: datetime) -> bool:
        """Whether `moment` falls between a session's open and close (the daily bar's trades)."""
        day = moment.astimezone(UTC).date()
        for candidate in (day - timedelta(days=1), day):
            if self.calendar.is_session(candidate) and self.calendar.session_open(
                candidate
            ) <= moment <= self.calendar.session_close(candidate):
                return True
        return False

    def next_close(self, after: datetime) -> tuple[datetime, datetime]:
        """The first session whose close + delay is after `after`; stamped 00:00 UTC of its date."""
        delay = timedelta(seconds=self.delay_seconds)
        # Start a day early: a session's close (plus delay) can fall on the next UTC date.
        day = (require_utc(after, "next_close") - delay).date() - timedelta(days=1)
        for _ in range(_MAX_DAYS_WITHOUT_SESSION):
            if self.calendar.is_session(day):
                close = self.calendar.session_close(day) + delay
                if close > after:
                    return close, _midnight(day)
            day += timedelta(days=1)
        raise DataError(
            f"calendar {self.calendar.name}: no session within "
            f"{_MAX_DAYS_WITHOUT_SESSION} days after {after.isoformat()}"
        )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _bar_limit(_instance: Any, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and value < 0:
        raise ValidationError(f"{attribute.name} {value!r}: expected None or zero or more")


@attrs.define
class LiveBarFeed:
    """A BarReplay of live bars: waits for each scheduled close, then yields the built bars."""

    builder: BarBuilder
    schedule: BarSchedule
    clock: Clock
    sleep: Callable[[float], None] = time.sleep
    on_idle: Callable[[datetime], None] | None = None
    idle_seconds: float = attrs.field(default=1.0, validator=_positive_seconds)
    max_bars: int | None = attrs.field(default=None, validator=_bar_limit)
    stop_event: threading.Event = attrs.Factory(threading.Event)

    def stop(self) -> None:
        """Ask the feed to end at its next wake-up; safe from a signal handler or another thread."""
        self.stop_event.set()

    def __iter__(self) -> Iterator[tuple[datetime, Mapping[str, Bar]]]:
        """Yield (stamp, bars) at each scheduled close until stopped or `max_bars` are out."""
        yielded = 0
        last_stamp: datetime | None = None
        while self.max_bars is None or yielded < self.max_bars:
            if self.stop_event.is_set():
                return
            close_at, stamp = self.schedule.next_close(self.clock.now())
            while last_stamp is not None and stamp <= last_stamp:
                # A schedule stamping coarser than it closes would repeat a stamp the session saw.
                close_at, stamp = self._next_after(close_at)
            if not self._wait_until(close_at):
                return
            bars = self.builder.close_bars(stamp)
            if not bars:
                logger.debug("no trades yet by %s: no bars", stamp.isoformat())
                continue
            last_stamp = stamp
            yielded += 1
            yield stamp, bars

    def _next_after(self, close_at: datetime) -> tuple[datetime, datetime]:
        following = self.schedule.next_close(close_at)
        if following[0] <= close_at:
            raise ValidationError(
                f"bar schedule {self.schedule!r}: next close {following[0].isoformat()} "
                f"is not after {close_at.isoformat()}"
            )
        return following

    def _wait_until(self, close_at: datetime) -> bool:
        """Sleep until `close_at`, heartbeating; False when stopped first."""
        while not self.stop_event.is_set():
            now = self.clock.now()
            if now >= close_at:
                return True
            if self.on_idle is not None:
                self.on_idle(now)
                if self.stop_event.is_set():
                    return False
            remaining = (close_at - now).total_seconds()
            self.sleep(min(self.idle_seconds, remaining))
        return False
