"""Live bars: quotes into bars, the bar schedules, and the live feed the trading loop iterates."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.adapters.calendars.exchange_calendar import ExchangeTradingCalendar
from quantcli.application.marketdata.live_bars import (
    BarBuilder,
    IntervalSchedule,
    LiveBarFeed,
    SessionCloseSchedule,
)
from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.quotes import Quote

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)  # a Tuesday, on a minute boundary


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def quote(
    symbol: str,
    last: str | None,
    size: str | None = "100",
    bid: str | None = None,
    timestamp: datetime = T0,
) -> Quote:
    return Quote(
        symbol=symbol,
        bid=None if bid is None else Decimal(bid),
        ask=None,
        last=None if last is None else Decimal(last),
        bid_size=None,
        ask_size=None,
        last_size=None if size is None else Decimal(size),
        timestamp=timestamp,
    )


@attrs.define
class FakeClock:
    """A clock whose `sleep` moves it forward: no real sleeping."""

    current: datetime = T0
    sleeps: list[float] = attrs.Factory(list)

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)


@attrs.define
class Market:
    """Sends scripted quotes into a builder once the clock reaches them; records heartbeats."""

    builder: BarBuilder
    script: list[tuple[datetime, Quote]]
    heartbeats: list[datetime] = attrs.Factory(list)

    def on_idle(self, now: datetime) -> None:
        self.heartbeats.append(now)
        while self.script and self.script[0][0] <= now:
            self.builder.add(self.script.pop(0)[1])


def feed_with(
    script: Sequence[tuple[float, Quote]],
    symbols: Sequence[str] = ("AAA",),
    seconds: float = 60.0,
    **options: Any,
) -> tuple[LiveBarFeed, FakeClock, Market]:
    builder = BarBuilder(symbols)
    clock = FakeClock()
    market = Market(builder, [(at(t), q) for t, q in script])
    feed = LiveBarFeed(
        builder,
        IntervalSchedule(seconds),
        clock,
        sleep=clock.sleep,
        on_idle=market.on_idle,
        **options,
    )
    return feed, clock, market


# --- BarBuilder -------------------------------------------------------------------------------


def test_a_bar_takes_first_high_low_last_trade_and_the_summed_trade_sizes() -> None:
    builder = BarBuilder(["AAA"])
    for last, size in [("10.00", "100"), ("10.50", "200"), ("9.75", "50"), ("10.25", "25")]:
        builder.add(quote("AAA", last, size))

    bars = builder.close_bars(at(60))

    assert bars == {"AAA": Bar("AAA", at(60), 10.0, 10.5, 9.75, 10.25, 375.0)}


def test_a_repeated_identical_tick_is_not_a_new_trade() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00", "100"))
    builder.add(quote("AAA", "10.00", "100", bid="9.99"))  # only the bid moved
    builder.add(quote("AAA", "10.00", "100", bid="9.98"))
    builder.add(quote("AAA", "10.00", "300"))  # same price, new size: a new trade
    builder.add(quote("AAA", "10.10", "300"))  # new price, same size: a new trade

    assert builder.close_bars(at(60))["AAA"] == Bar("AAA", at(60), 10.0, 10.1, 10.0, 10.1, 700.0)


def test_a_tick_repeated_after_a_close_is_not_counted_again() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00", "100"))
    builder.close_bars(at(60))
    builder.add(quote("AAA", "10.00", "100", bid="9.99"))

    assert builder.close_bars(at(120))["AAA"] == Bar("AAA", at(120), 10.0, 10.0, 10.0, 10.0, 0.0)


def test_closing_starts_a_new_interval_that_opens_at_its_first_trade() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00", "100"))
    builder.add(quote("AAA", "11.00", "100"))
    builder.close_bars(at(60))
    builder.add(quote("AAA", "10.60", "10"))
    builder.add(quote("AAA", "10.40", "20"))

    assert builder.close_bars(at(120))["AAA"] == Bar("AAA", at(120), 10.6, 10.6, 10.4, 10.4, 30.0)


def test_a_symbol_silent_in_an_interval_gets_a_flat_bar_at_its_previous_close() -> None:
    builder = BarBuilder(["AAA", "BBB"])
    builder.add(quote("AAA", "10.00"))
    builder.add(quote("BBB", "20.00"))
    builder.add(quote("BBB", "20.50", "7"))
    builder.close_bars(at(60))
    builder.add(quote("AAA", "10.20", "5"))

    bars = builder.close_bars(at(120))

    assert bars == {
        "AAA": Bar("AAA", at(120), 10.2, 10.2, 10.2, 10.2, 5.0),
        "BBB": Bar("BBB", at(120), 20.5, 20.5, 20.5, 20.5, 0.0),
    }


def test_a_symbol_never_traded_is_left_out() -> None:
    builder = BarBuilder(["AAA", "BBB"])
    builder.add(quote("AAA", "10.00"))
    builder.add(quote("BBB", None, None, bid="19.90"))  # a bid, never a trade

    assert list(builder.close_bars(at(60))) == ["AAA"]
    assert builder.close_bars(at(120)) == {"AAA": Bar("AAA", at(120), 10.0, 10.0, 10.0, 10.0, 0.0)}


def test_an_unknown_symbol_and_a_quote_without_a_valid_last_price_are_ignored() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("ZZZ", "99.00"))
    builder.add(quote("AAA", None, "100", bid="9.90"))
    builder.add(quote("AAA", "0", "100"))
    builder.add(quote("AAA", "-1", "100"))
    builder.add(quote("AAA", "NaN", "100"))
    builder.add(quote("AAA", "1e400", "100"))  # finite as a Decimal, infinite as a float

    assert builder.close_bars(at(60)) == {}


def test_a_trade_without_a_valid_size_moves_the_price_but_adds_no_volume() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00", None))
    builder.add(quote("AAA", "10.30", "-1"))
    builder.add(quote("AAA", "10.10", "NaN"))
    builder.add(quote("AAA", "10.20", "40"))

    assert builder.close_bars(at(60))["AAA"] == Bar("AAA", at(60), 10.0, 10.3, 10.0, 10.2, 40.0)


def test_the_builder_serves_as_the_brokers_quote_listener_and_lists_its_symbols() -> None:
    builder = BarBuilder(["AAA", "BBB", "AAA"])
    listener = builder.add

    listener(quote("BBB", "5.00"))

    assert builder.symbols == ("AAA", "BBB")
    assert list(builder.close_bars(at(60))) == ["BBB"]


@pytest.mark.parametrize(
    ("symbols", "message"),
    [([], "at least one symbol"), (["bad symbol"], "'bad symbol'"), ("AAPL", "'AAPL'")],
)
def test_the_builder_rejects_bad_symbols(symbols: Sequence[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BarBuilder(symbols)


def test_closing_with_a_naive_timestamp_raises_and_keeps_the_trades() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00"))

    with pytest.raises(DataError, match="not timezone-aware UTC"):
        builder.close_bars(datetime(2024, 1, 2, 14, 31))  # naive on purpose

    assert builder.close_bars(at(60))["AAA"].volume == 100.0


def test_quotes_added_from_several_threads_while_closing_lose_no_trade() -> None:
    symbols = [f"S{n}" for n in range(4)]
    ticks = 2_000
    builder = BarBuilder(symbols)
    start = threading.Barrier(len(symbols) + 1)

    def send(symbol: str) -> None:
        start.wait()
        for i in range(ticks):
            # Every size differs from the one before, so every tick is a trade.
            builder.add(quote(symbol, f"{100 + i % 7}.25", str(i + 1)))

    threads = [threading.Thread(target=send, args=(symbol,)) for symbol in symbols]
    for thread in threads:
        thread.start()
    start.wait()
    closed: list[dict[str, Bar]] = []
    while any(thread.is_alive() for thread in threads):
        closed.append(builder.close_bars(at(len(closed))))
    for thread in threads:
        thread.join()
    closed.append(builder.close_bars(at(len(closed))))

    sent = sum(range(1, ticks + 1))
    for symbol in symbols:
        assert sum(bars[symbol].volume for bars in closed if symbol in bars) == sent


@st.composite
def tick_runs(draw: st.DrawFn) -> tuple[list[tuple[Decimal, Decimal]], int]:
    # Few distinct values so identical consecutive ticks come up often.
    prices = st.integers(1, 400).map(lambda cents: Decimal(cents) / 100)
    sizes = st.integers(0, 3).map(lambda lots: Decimal(lots * 100))
    ticks = draw(st.lists(st.tuples(prices, sizes), min_size=1, max_size=60))
    return ticks, draw(st.integers(0, len(ticks)))


@settings(max_examples=200, deadline=None)
@given(tick_runs())
def test_bars_match_a_reference_built_from_the_deduplicated_ticks(
    run: tuple[list[tuple[Decimal, Decimal]], int],
) -> None:
    ticks, split = run
    builder = BarBuilder(["AAA"])
    for price, size in ticks[:split]:
        builder.add(quote("AAA", str(price), str(size)))
    first = builder.close_bars(at(60)).get("AAA")
    for price, size in ticks[split:]:
        builder.add(quote("AAA", str(price), str(size)))
    second = builder.close_bars(at(120))["AAA"]

    trades = [tick for n, tick in enumerate(ticks) if n == 0 or ticks[n - 1] != tick]
    # Index of the first trade after the split: a duplicate right after it is not a trade.
    before = sum(1 for n, tick in enumerate(ticks[:split]) if n == 0 or ticks[n - 1] != tick)
    for bar, part in ((first, trades[:before]), (second, trades[before:])):
        if not part:
            assert bar is None or bar.volume == 0.0
            continue
        assert bar is not None
        prices = [price for price, _ in part]
        assert (bar.open, bar.high, bar.low, bar.close) == (
            float(prices[0]),
            float(max(prices)),
            float(min(prices)),
            float(prices[-1]),
        )
        assert bar.volume == float(sum(size for _, size in part))
        assert bar.high >= max(bar.open, bar.close) >= min(bar.open, bar.close) >= bar.low


# --- IntervalSchedule -------------------------------------------------------------------------


def test_an_interval_closes_at_the_next_multiple_of_its_length_since_the_epoch() -> None:
    schedule = IntervalSchedule(60)

    # The bar closing at 14:31 is the 14:30 bar: stamped with its start.
    assert schedule.next_close(at(12.5)) == (at(60), at(0))
    assert schedule.next_close(at(59.999999)) == (at(60), at(0))


def test_a_time_exactly_on_a_boundary_gets_the_next_boundary() -> None:
    assert IntervalSchedule(60).next_close(at(60)) == (at(120), at(60))
    assert IntervalSchedule(300).next_close(T0) == (at(300), T0)


def test_intervals_of_fractional_and_uneven_seconds_stay_on_exact_boundaries() -> None:
    assert IntervalSchedule(0.5).next_close(at(0.5)) == (at(1.0), at(0.5))
    # 7 s boundaries count from the epoch, not from the hour.
    epoch_seconds = int(T0.timestamp())
    start = datetime.fromtimestamp(epoch_seconds // 7 * 7, tz=UTC)
    close = datetime.fromtimestamp((epoch_seconds // 7 + 1) * 7, tz=UTC)
    assert start <= T0 < close
    assert IntervalSchedule(7).next_close(T0) == (close, start)


@pytest.mark.parametrize("seconds", [0.5, 15, 60, 300, 1800])
def test_an_interval_bars_stamp_is_its_start_and_the_feed_yields_it_at_its_close(
    seconds: float,
) -> None:
    length = timedelta(seconds=seconds)
    # Trades before, at and after the first boundary: each lands in the bar whose start it is at
    # or after, so a bar's trades all fall in [stamp, stamp + seconds).
    feed, clock, _ = feed_with(
        [
            (0, quote("AAA", "10.00")),
            (seconds / 2, quote("AAA", "10.50")),
            (seconds, quote("AAA", "11.00")),
            (seconds * 2.5, quote("AAA", "12.00")),
        ],
        seconds=seconds,
        idle_seconds=seconds / 4,  # heartbeats (which deliver the trades) inside every interval
        max_bars=3,
    )
    yielded = []

    for stamp, bars in feed:
        yielded.append((stamp, clock.now(), bars["AAA"]))

    assert T0.timestamp() % seconds == 0  # T0 is a boundary: the first bar starts at T0
    assert [stamp for stamp, _, _ in yielded] == [T0, T0 + length, T0 + 2 * length]
    for stamp, yielded_at, bar in yielded:
        assert yielded_at == stamp + length  # yielded at its close, not before or after
        assert bar.timestamp == stamp
    assert [(bar.open, bar.high, bar.low, bar.close) for _, _, bar in yielded] == [
        (10.0, 10.5, 10.0, 10.5),
        (11.0, 11.0, 11.0, 11.0),
        (12.0, 12.0, 12.0, 12.0),
    ]


@pytest.mark.parametrize("seconds", [0, -60, float("nan"), float("inf"), 1e-9])
def test_an_interval_must_be_a_positive_length(seconds: float) -> None:
    with pytest.raises(ValidationError, match="seconds"):
        IntervalSchedule(seconds)


# --- SessionCloseSchedule ---------------------------------------------------------------------


def test_a_daily_bar_closes_at_the_sessions_close_stamped_midnight_of_its_date(
    fakes: ModuleType,
) -> None:
    schedule = SessionCloseSchedule(fakes.FakeTradingCalendar())
    tuesday = datetime(2024, 1, 2, tzinfo=UTC)

    assert schedule.next_close(tuesday + timedelta(hours=15)) == (
        tuesday + timedelta(hours=21),
        tuesday,
    )


def test_a_daily_bar_exactly_at_the_close_is_the_next_sessions(fakes: ModuleType) -> None:
    schedule = SessionCloseSchedule(fakes.FakeTradingCalendar())
    wednesday = datetime(2024, 1, 3, tzinfo=UTC)

    assert schedule.next_close(datetime(2024, 1, 2, 21, tzinfo=UTC)) == (
        wednesday + timedelta(hours=21),
        wednesday,
    )


def test_the_daily_schedule_skips_a_weekend_and_a_holiday(fakes: ModuleType) -> None:
    schedule = SessionCloseSchedule(fakes.FakeTradingCalendar(holidays=[date(2024, 1, 15)]))
    friday_evening = datetime(2024, 1, 12, 22, tzinfo=UTC)
    tuesday = datetime(2024, 1, 16, tzinfo=UTC)

    assert schedule.next_close(friday_evening) == (tuesday + timedelta(hours=21), tuesday)


def test_a_delay_waits_past_the_close_and_keeps_the_sessions_stamp(fakes: ModuleType) -> None:
    schedule = SessionCloseSchedule(fakes.FakeTradingCalendar(), delay_seconds=300)
    tuesday = datetime(2024, 1, 2, tzinfo=UTC)
    taken = tuesday + timedelta(hours=21, minutes=5)

    assert schedule.next_close(tuesday + timedelta(hours=21, minutes=2)) == (taken, tuesday)
    assert schedule.next_close(taken)[1] == tuesday + timedelta(days=1)


def test_a_delay_past_midnight_still_belongs_to_the_session(fakes: ModuleType) -> None:
    schedule = SessionCloseSchedule(fakes.FakeTradingCalendar(), delay_seconds=4 * 3600)
    tuesday = datetime(2024, 1, 2, tzinfo=UTC)

    assert schedule.next_close(datetime(2024, 1, 3, 0, 30, tzinfo=UTC)) == (
        tuesday + timedelta(hours=25),
        tuesday,
    )


def test_a_negative_delay_is_refused(fakes: ModuleType) -> None:
    with pytest.raises(ValidationError, match="delay_seconds -1"):
        SessionCloseSchedule(fakes.FakeTradingCalendar(), delay_seconds=-1)


def test_the_nyse_schedule_skips_thanksgiving_and_takes_the_early_close() -> None:
    schedule = SessionCloseSchedule(ExchangeTradingCalendar("XNYS"), delay_seconds=60)
    after_wednesday_close = datetime(2026, 11, 25, 21, 1, tzinfo=UTC)

    assert schedule.next_close(after_wednesday_close) == (
        datetime(2026, 11, 27, 18, 1, tzinfo=UTC),
        datetime(2026, 11, 27, tzinfo=UTC),
    )
    assert schedule.next_close(datetime(2026, 11, 27, 18, 1, tzinfo=UTC)) == (
        datetime(2026, 11, 30, 21, 1, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )


# --- LiveBarFeed ------------------------------------------------------------------------------


def test_the_feed_yields_each_intervals_bars_at_its_close() -> None:
    feed, clock, _ = feed_with(
        [(5, quote("AAA", "10.00")), (30, quote("AAA", "10.40", "50")), (70, quote("AAA", "9.90"))],
        max_bars=2,
    )

    slices = list(feed)

    # The 14:30 bar is yielded at 14:31 and the 14:31 bar at 14:32.
    assert slices == [
        (at(0), {"AAA": Bar("AAA", at(0), 10.0, 10.4, 10.0, 10.4, 150.0)}),
        (at(60), {"AAA": Bar("AAA", at(60), 9.9, 9.9, 9.9, 9.9, 100.0)}),
    ]
    assert clock.now() == at(120)


def test_the_feed_heartbeats_while_waiting_in_steps_of_at_most_idle_seconds() -> None:
    feed, clock, market = feed_with(
        [(0, quote("AAA", "10.00"))], max_bars=1, idle_seconds=7.0, seconds=30
    )

    list(feed)

    assert market.heartbeats == [T0, at(7), at(14), at(21), at(28)]
    assert clock.sleeps == [7.0, 7.0, 7.0, 7.0, 2.0]  # never sleeps past the close


def test_the_feed_stops_after_max_bars() -> None:
    feed, clock, _ = feed_with([(0, quote("AAA", "10.00"))], max_bars=3)

    assert [stamp for stamp, _ in feed] == [at(0), at(60), at(120)]
    assert clock.now() == at(180)


def test_empty_intervals_are_skipped_and_not_counted() -> None:
    feed, clock, _ = feed_with([(150, quote("AAA", "10.00"))], max_bars=2)

    # The first trade is in the bar starting at 120 s; the bars starting at 0 and 60 s are empty.
    assert [stamp for stamp, _ in feed] == [at(120), at(180)]
    assert clock.now() == at(240)


def test_stop_from_the_heartbeat_ends_iteration_without_a_partial_slice() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00"))
    clock = FakeClock()

    def heartbeat(now: datetime) -> None:
        if now >= at(90):
            feed.stop()

    feed = LiveBarFeed(builder, IntervalSchedule(60), clock, sleep=clock.sleep, on_idle=heartbeat)

    assert [stamp for stamp, _ in feed] == [at(0)]
    assert clock.now() == at(90)


def test_stop_while_the_consumer_holds_a_slice_ends_before_the_next_one() -> None:
    feed, clock, _ = feed_with([(0, quote("AAA", "10.00"))])
    seen = []

    for stamp, _ in feed:
        seen.append(stamp)
        feed.stop()

    assert seen == [at(0)]
    assert clock.now() == at(60)


def test_a_feed_stopped_before_it_starts_yields_nothing() -> None:
    feed, clock, market = feed_with([(0, quote("AAA", "10.00"))])
    feed.stop()

    assert list(feed) == []
    assert market.heartbeats == []
    assert clock.sleeps == []


def test_a_slow_consumer_gets_the_next_close_with_every_trade_since_the_last() -> None:
    feed, clock, market = feed_with([(0, quote("AAA", "10.00"))], max_bars=2)
    slices = []

    for stamp, bars in feed:
        slices.append((stamp, bars["AAA"]))
        clock.current += timedelta(seconds=150)  # the session took 2.5 minutes
        market.builder.add(quote("AAA", "10.30", "5"))

    # Back at 210 s, the next close is 240 s: the bar starting at 180 s, holding every trade since.
    assert [stamp for stamp, _ in slices] == [at(0), at(180)]
    assert slices[1][1] == Bar("AAA", at(180), 10.3, 10.3, 10.3, 10.3, 5.0)
    assert clock.now() == at(240) + timedelta(seconds=150)


@attrs.frozen
class HourStampedMinutes:
    """Closes every minute but stamps every bar with its hour: a schedule that repeats stamps."""

    def next_close(self, after: datetime) -> tuple[datetime, datetime]:
        close = IntervalSchedule(60).next_close(after)[0]
        return close, close.replace(minute=0, second=0)


def test_the_feed_never_repeats_a_stamp_even_when_the_schedule_would() -> None:
    builder = BarBuilder(["AAA"])
    builder.add(quote("AAA", "10.00"))
    clock = FakeClock(current=datetime(2024, 1, 2, 14, 57, 30, tzinfo=UTC))
    feed = LiveBarFeed(builder, HourStampedMinutes(), clock, sleep=clock.sleep, max_bars=2)

    stamps = [stamp for stamp, _ in feed]

    assert stamps == [datetime(2024, 1, 2, 14, tzinfo=UTC), datetime(2024, 1, 2, 15, tzinfo=UTC)]
    # The 14:59 close repeats the 14:00 stamp: the second slice waits for 15:00.
    assert clock.now() == datetime(2024, 1, 2, 15, tzinfo=UTC)


def test_daily_bars_from_the_session_schedule(fakes: ModuleType) -> None:
    builder = BarBuilder(["AAA"])
    clock = FakeClock(current=datetime(2024, 1, 12, 20, tzinfo=UTC))  # Friday before the close
    market = Market(builder, [(clock.current, quote("AAA", "10.00"))])
    schedule = SessionCloseSchedule(
        fakes.FakeTradingCalendar(holidays=[date(2024, 1, 15)]), delay_seconds=60
    )
    feed = LiveBarFeed(
        builder,
        schedule,
        clock,
        sleep=clock.sleep,
        on_idle=market.on_idle,
        idle_seconds=3600,
        max_bars=2,
    )

    assert [stamp for stamp, _ in feed] == [
        datetime(2024, 1, 12, tzinfo=UTC),
        datetime(2024, 1, 16, tzinfo=UTC),
    ]
    assert clock.now() == datetime(2024, 1, 16, 21, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("idle_seconds", 0.0, "idle_seconds 0.0"), ("max_bars", -1, "max_bars -1")],
)
def test_the_feed_refuses_bad_options(option: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        feed_with([], **{option: value})


def test_max_bars_zero_yields_nothing() -> None:
    feed, clock, _ = feed_with([(0, quote("AAA", "10.00"))], max_bars=0)

    assert list(feed) == []
    assert clock.sleeps == []


# --- session hours and feed liveness -------------------------------------------------------------


def test_a_daily_builder_keeps_only_quotes_inside_the_session() -> None:
    schedule = SessionCloseSchedule(ExchangeTradingCalendar("XNYS"))
    builder = BarBuilder(["AAA"], accepts=schedule.in_session)
    tuesday = datetime(2026, 11, 24, tzinfo=UTC)
    # 14:00 UTC is 09:00 New York: pre-market (or yesterday's last trade, sent on subscribing).
    builder.add(quote("AAA", "9.00", timestamp=tuesday + timedelta(hours=14)))
    builder.add(quote("AAA", "10.00", timestamp=tuesday + timedelta(hours=14, minutes=31)))
    builder.add(quote("AAA", "10.50", timestamp=tuesday + timedelta(hours=20, minutes=59)))
    builder.add(quote("AAA", "11.00", timestamp=tuesday + timedelta(hours=21, minutes=5)))

    assert builder.close_bars(tuesday)["AAA"] == Bar("AAA", tuesday, 10.0, 10.5, 10.0, 10.5, 200.0)


def test_in_session_follows_the_exchange_hours_and_early_closes() -> None:
    schedule = SessionCloseSchedule(ExchangeTradingCalendar("XNYS"))

    assert schedule.in_session(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))  # the open
    assert schedule.in_session(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))  # the close
    assert not schedule.in_session(datetime(2026, 11, 24, 21, 0, 1, tzinfo=UTC))
    assert not schedule.in_session(datetime(2026, 11, 26, 15, tzinfo=UTC))  # Thanksgiving
    assert not schedule.in_session(datetime(2026, 11, 27, 18, 30, tzinfo=UTC))  # early close 18:00


def test_last_heard_is_the_last_quote_of_a_wanted_symbol_trade_or_not() -> None:
    builder = BarBuilder(["AAA"])
    assert builder.last_heard is None

    builder.add(quote("AAA", "10.00", timestamp=at(5)))
    builder.add(quote("AAA", None, None, bid="9.99", timestamp=at(9)))
    builder.add(quote("ZZZ", "1.00", timestamp=at(30)))  # not wanted

    assert builder.last_heard == at(9)
    # Flat bars carry the symbol forward; last_heard does not move with them.
    builder.close_bars(at(60))
    builder.close_bars(at(120))
    assert builder.last_heard == at(9)
