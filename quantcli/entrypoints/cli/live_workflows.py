"""Trading on live IB quotes: `quantcli live` (orders at IB) and `quantcli paper --feed ibkr`.

Both run the same TradingSession as a stored-bar replay; only the feed differs: quotes from
IB become bars on a schedule (one per exchange session, or fixed intervals), the session's
heartbeat runs between bars, and Ctrl-C / SIGTERM ends the loop after the bar in hand.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from types import FrameType
from typing import TYPE_CHECKING

import attrs
import click
import pandas as pd

from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.application.marketdata.live_bars import (
    BarBuilder,
    BarSchedule,
    IntervalSchedule,
    LiveBarFeed,
    SessionCloseSchedule,
)
from quantcli.application.marketdata.live_history import recorded_bars, require_current_history
from quantcli.application.marketdata.ports import BarReplay
from quantcli.application.marketdata.stored_symbols import describe_symbols
from quantcli.application.strategy.live_signals import LiveSignalSource
from quantcli.application.trading.ports import Broker
from quantcli.application.trading.reconcile_positions import reconcile_positions, restore_account
from quantcli.application.trading.run_trading_session import SessionSummary, TradingSession
from quantcli.domain.errors import BrokerError, DataError, ExecutionError
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.session_setup import (
    check_positions,
    check_session_config,
    report_recovery,
    report_session,
    start_session,
)
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import build_ibkr_broker, require_live_broker

if TYPE_CHECKING:
    from quantcli.adapters.brokers.ibkr import IbkrBroker


class UtcClock:
    """The wall clock, UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.frozen
class Venue:
    """Where the orders go, and how the closing check names it."""

    broker: Broker
    name: str  # "IB", "the simulated broker"
    mode: str  # "Live", "Paper"


def live(
    container: Container, account: str, symbols: Sequence[str] | None, max_bars: int | None
) -> SessionSummary:
    """Trade `account` at IB on bars built from IB's quotes, until stopped or `max_bars`."""
    require_live_broker(container.settings())
    builder = _bar_builder(container, account, symbols)
    broker: IbkrBroker = container.live_broker(account=account, on_quote=builder.add)
    with closing(broker):
        report = broker.connect()
        click.echo(
            f"Connected to IB account {broker.async_broker.account}; "
            f"reconciliation: {report.describe()}"
        )
        return _trade_on_quotes(
            container,
            account,
            Venue(broker, "IB", "Live"),
            quotes=broker,
            builder=builder,
            new_account_cash=lambda: _broker_cash(broker),
            max_bars=max_bars,
        )


def paper_on_ib_quotes(
    container: Container, account: str, symbols: Sequence[str] | None, max_bars: int | None
) -> SessionSummary:
    """Paper-trade `account` through the simulated broker on bars built from IB's quotes."""
    settings = container.settings()
    builder = _bar_builder(container, account, symbols)
    quotes = build_ibkr_broker(settings, on_quote=builder.add, reconcile_ledger=False)
    # A paper session holds its account's session lock: `quantcli kill` leaves its orders to it.
    with closing(quotes), container.session_lock().session(account):
        quotes.connect()
        click.echo(
            f"Connected to IB at {settings.trading.ibkr.host}:{settings.trading.ibkr.port} "
            "for market data; orders go to the simulated broker"
        )
        return _trade_on_quotes(
            container,
            account,
            Venue(container.broker(account=account), "the simulated broker", "Paper"),
            quotes=quotes,
            builder=builder,
            new_account_cash=lambda: settings.backtest.initial_cash,
            max_bars=max_bars,
        )


def trading_universe(
    container: Container, symbols: Sequence[str] | None, held: Iterable[str] = ()
) -> list[str]:
    """The symbols asked for (else every symbol in the bar store) and every symbol the account
    holds: a held position needs its quotes to be valued and, when the model says, closed."""
    stored = container.bar_store().symbols()
    if not stored:
        raise DataError("bar store is empty: live features start from stored history")
    wanted = set(symbols or stored) | set(held)
    unknown = sorted(wanted - set(stored))
    if unknown:
        raise DataError(
            f"no stored history for {', '.join(unknown)} (stored: {describe_symbols(stored)}): "
            "live features start from stored bars"
        )
    return sorted(wanted)


def _bar_builder(container: Container, account: str, symbols: Sequence[str] | None) -> BarBuilder:
    portfolio = container.ledger().load_portfolio(account)
    held = [] if portfolio is None else [s for s, p in portfolio.positions.items() if not p.is_flat]
    universe = trading_universe(container, symbols, held)
    schedule = _schedule(container)
    # A daily bar holds the session's trades only: not pre-market prints, not the snapshot of
    # yesterday's last trade that a subscription starts with before the open.
    accepts = schedule.in_session if isinstance(schedule, SessionCloseSchedule) else None
    return BarBuilder(universe, accepts=accepts)


def _trade_on_quotes(
    container: Container,
    account: str,
    venue: Venue,
    *,
    quotes: IbkrBroker,
    builder: BarBuilder,
    new_account_cash: Callable[[], Decimal],
    max_bars: int | None,
) -> SessionSummary:
    settings = container.settings()
    feed_settings = settings.trading.live_feed
    signals = LiveSignalSource.for_model(
        training_workflows.load_model(container),
        container.strategy(),
        container.feature_spec(),
        _recent_history(container, builder.symbols, feed_settings.history_bars),
        max_history_bars=feed_settings.history_bars,
    )
    clock = UtcClock()
    started = clock.now()
    schedule = _schedule(container)
    if isinstance(schedule, SessionCloseSchedule):
        require_current_history(schedule, signals.history, started)
    check_session_config(container)  # a bad value stops here, before the ledger is written
    ledger = container.ledger()
    cash = ledger.opening_cash(account)
    # The cash the account was opened with, not today's: the ledger's fills replay onto it.
    opening_cash = ledger.open_account(
        account, new_account_cash() if cash is None else cash, started
    )
    restored = restore_account(ledger, account, opening_cash)
    session = start_session(container, account, venue.broker, signals, restored)
    session.seed(FrameBarReplay(signals.history))
    recovery = session.recover(restored.last_bar, resubmit=settings.trading.resubmit_unacknowledged)
    report_recovery(account, restored.last_bar, recovery)
    try:
        # After recovery booked what the broker did while we were away, the books must agree.
        check_positions(account, session.portfolio, venue.broker.positions(account), venue.name)
    except ExecutionError as error:
        raise ExecutionError(f"{error}; trading does not start on a broken book") from None
    for symbol in builder.symbols:
        quotes.subscribe_market_data(symbol)
    feed = LiveBarFeed(
        builder,
        schedule,
        clock,
        # Staleness is measured from the last quote: flat bars carry a silent symbol forward.
        on_idle=lambda now: session.heartbeat(now, last_data_at=builder.last_heard or started),
        idle_seconds=feed_settings.heartbeat_seconds,
        max_bars=max_bars,
    )
    click.echo(
        f"Trading {', '.join(builder.symbols)} on {_describe_bars(container)}"
        f"{'' if max_bars is None else f', {max_bars} bar(s)'}; Ctrl-C stops after the bar in hand"
    )
    # Daily bars built live join the stored history, so tomorrow's features continue from them;
    # a vendor's bar for the same session replaces them on the next ingest (bars are upserted).
    bars: BarReplay = feed
    if isinstance(schedule, SessionCloseSchedule):
        bars = recorded_bars(feed, container.bar_store())
    with _stop_on_signals(feed):
        _run(session, signals.observing(bars), feed)
    # An unreachable broker ends the wait; the closing check says so, after the summary.
    with contextlib.suppress(BrokerError):
        _settle(session, venue, clock, settings.trading.ibkr.request_timeout)
    summary = session.summary()
    report_session(summary, mode=venue.mode)
    check_positions(account, summary.portfolio, venue.broker.positions(account), venue.name)
    click.echo(f"Positions agree with {venue.name}'s")
    return summary


def _run(session: TradingSession, bars: BarReplay, feed: LiveBarFeed) -> None:
    def on_bar(done: int) -> None:
        current = session.summary()
        click.echo(
            f"bar {done}: {len(current.marks)} symbols, {current.orders_submitted} orders, "
            f"{current.fills} fills, equity {current.final_equity:,.2f}"
        )

    try:
        session.run(bars, on_bar=on_bar)
    except ExecutionError:
        if not (feed.stop_event.is_set() and session.counts["bars"] == 0):
            raise
        click.echo("Stopped before the first bar")


def _settle(session: TradingSession, venue: Venue, clock: UtcClock, timeout: float) -> None:
    """Book what the broker reports before stopping: fills of the last bar's orders arrive on
    the broker's thread moments later. Waits (at most `timeout`) until the ledger's positions
    equal the broker's; orders that rest (a limit away from the market, after the close)
    move nothing and end the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        session.heartbeat(clock.now())
        held = venue.broker.positions(session.account)
        if not reconcile_positions(session.portfolio, held) or time.monotonic() >= deadline:
            return
        time.sleep(0.1)


def _recent_history(container: Container, symbols: Sequence[str], bars: int) -> pd.DataFrame:
    history = container.bar_store().read_bars(list(symbols))
    return history.groupby("symbol", sort=False).tail(bars).reset_index(drop=True)


def _schedule(container: Container) -> BarSchedule:
    feed = container.settings().trading.live_feed
    if feed.bars == "interval":
        return IntervalSchedule(feed.interval_seconds)
    return SessionCloseSchedule(container.trading_calendar(), feed.close_delay_seconds)


def _describe_bars(container: Container) -> str:
    settings = container.settings()
    feed = settings.trading.live_feed
    if feed.bars == "interval":
        return f"{feed.interval_seconds:g}-second bars"
    return (
        f"one bar per {settings.trading.calendar} session, "
        f"{feed.close_delay_seconds:g}s after the close"
    )


@contextmanager
def _stop_on_signals(feed: LiveBarFeed) -> Iterator[None]:
    """SIGINT and SIGTERM end the loop between bars instead of killing it mid-bar."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the bar in hand", err=True)
        feed.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _broker_cash(broker: IbkrBroker) -> Decimal:
    summary = broker.account_summary()
    if summary.total_cash is None:
        raise BrokerError(f"account {summary.account}: IB reported no TotalCashValue")
    return summary.total_cash
