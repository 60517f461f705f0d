"""Trading on live IB quotes: `quantcli live` (orders at IB) and `quantcli paper --feed ibkr`.

Both run the same TradingSession as a stored-bar replay; only the feed differs: quotes from
IB become bars on a schedule (one per exchange session, or fixed intervals), the session's
heartbeat runs between bars, and Ctrl-C / SIGTERM ends the loop after the bar in hand.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from types import FrameType
from typing import TYPE_CHECKING

import click
import pandas as pd

from quantcli.application.live_bars import (
    BarBuilder,
    BarSchedule,
    IntervalSchedule,
    LiveBarFeed,
    SessionCloseSchedule,
)
from quantcli.application.live_signals import LiveSignalSource
from quantcli.application.ports import BAR_COLUMNS, BarReplay, BarStore, Broker
from quantcli.application.reconcile_positions import restore_account
from quantcli.application.run_trading_session import SessionSummary, TradingSession
from quantcli.domain.bar import Bar
from quantcli.domain.errors import BrokerError, DataError, ExecutionError
from quantcli.domain.trading_types import OrderType
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.session_setup import (
    check_positions,
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


def live(
    container: Container, account: str, symbols: Sequence[str] | None, max_bars: int | None
) -> SessionSummary:
    """Trade `account` at IB on bars built from IB's quotes, until stopped or `max_bars`."""
    require_live_broker(container.settings())
    universe = trading_universe(container, symbols)
    builder = BarBuilder(universe)
    broker: IbkrBroker = container.live_broker(account=account, on_quote=builder.add)
    with closing(broker):
        report = broker.connect()
        click.echo(
            f"Connected to IB account {broker.async_broker.account}; "
            f"reconciliation: {report.describe()}"
        )

        def require_agreement(session: TradingSession) -> None:
            # After recovery booked what IB filled while we were away, the books must agree.
            try:
                check_positions(account, session.portfolio, broker.positions(account), "IB")
            except ExecutionError as error:
                raise ExecutionError(
                    f"{error}; live trading does not start on a broken book"
                ) from None

        opening_cash = _broker_cash(broker)
        summary = _trade_on_quotes(
            container,
            account,
            broker=broker,
            quotes=broker,
            builder=builder,
            opening_cash=opening_cash,
            max_bars=max_bars,
            before_trading=require_agreement,
        )
        check_positions(account, summary.portfolio, broker.positions(account), "IB")
        click.echo("Positions agree with IB's")
        return summary


def paper_on_ib_quotes(
    container: Container, account: str, symbols: Sequence[str] | None, max_bars: int | None
) -> SessionSummary:
    """Paper-trade `account` through the simulated broker on bars built from IB's quotes."""
    settings = container.settings()
    universe = trading_universe(container, symbols)
    builder = BarBuilder(universe)
    quotes = build_ibkr_broker(settings, on_quote=builder.add, reconcile_ledger=False)
    with closing(quotes):
        quotes.connect()
        click.echo(
            f"Connected to IB at {settings.trading.ibkr.host}:{settings.trading.ibkr.port} "
            "for market data; orders go to the simulated broker"
        )
        broker = container.broker(account=account)
        opening_cash = settings.backtest.initial_cash
        summary = _trade_on_quotes(
            container,
            account,
            broker=broker,
            quotes=quotes,
            builder=builder,
            opening_cash=opening_cash,
            max_bars=max_bars,
        )
        check_positions(
            account, summary.portfolio, broker.positions(account), "the simulated broker"
        )
        click.echo("Positions agree with the simulated broker's")
        return summary


def trading_universe(container: Container, symbols: Sequence[str] | None) -> list[str]:
    """The symbols asked for, else every symbol in the bar store (the model's universe)."""
    stored = container.bar_store().symbols()
    if not symbols:
        if not stored:
            raise DataError("bar store is empty: live features start from stored history")
        return sorted(stored)
    unknown = sorted(set(symbols) - set(stored))
    if unknown:
        raise DataError(
            f"no stored history for {', '.join(unknown)}: live features start from stored bars"
        )
    return sorted(set(symbols))


def _trade_on_quotes(
    container: Container,
    account: str,
    *,
    broker: Broker,
    quotes: IbkrBroker,
    builder: BarBuilder,
    opening_cash: Decimal,
    max_bars: int | None,
    before_trading: Callable[[TradingSession], None] | None = None,
) -> SessionSummary:
    settings = container.settings()
    feed_settings = settings.trading.live_feed
    model = training_workflows.load_model(container)
    signals = LiveSignalSource.for_model(
        model,
        container.strategy(),
        container.feature_spec(),
        _recent_history(container, builder.symbols, feed_settings.history_bars),
    )
    clock = UtcClock()
    schedule = _schedule(container)
    if isinstance(schedule, SessionCloseSchedule):
        require_current_history(schedule, signals.history, clock.now())
    ledger = container.ledger()
    ledger.open_account(account, opening_cash, clock.now())
    restored = restore_account(ledger, account, opening_cash)
    session = start_session(container, account, broker, signals, restored)
    recovery = session.recover(restored.last_bar, resubmit=settings.trading.resubmit_unacknowledged)
    report_recovery(account, restored.last_bar, recovery)
    if before_trading is not None:
        before_trading(session)
    for symbol in builder.symbols:
        quotes.subscribe_market_data(symbol)
    feed = LiveBarFeed(
        builder,
        schedule,
        clock,
        on_idle=session.heartbeat,
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
        summary = _run(session, signals, feed, bars, settings.trading.ibkr.request_timeout)
    report_session(summary, mode="Live" if broker is quotes else "Paper")
    return summary


def _run(
    session: TradingSession,
    signals: LiveSignalSource,
    feed: LiveBarFeed,
    bars: BarReplay,
    settle_seconds: float,
) -> SessionSummary:
    def on_bar(done: int) -> None:
        current = session.summary()
        click.echo(
            f"bar {done}: {len(current.marks)} symbols, {current.orders_submitted} orders, "
            f"{current.fills} fills, equity {current.final_equity:,.2f}"
        )

    try:
        session.run(signals.observing(bars), on_bar=on_bar)
    except ExecutionError:
        if not (feed.stop_event.is_set() and session.counts["bars"] == 0):
            raise
        click.echo("Stopped before the first bar")
    _settle(session, feed, settle_seconds)
    return session.summary()


def _settle(session: TradingSession, feed: LiveBarFeed, timeout: float) -> None:
    """Book what the broker reports for the last bar's market orders before stopping: their
    fills arrive on the broker's thread moments after the bar, and the ledger must have them."""
    deadline = time.monotonic() + timeout
    while True:
        session.heartbeat(feed.clock.now())
        pending = [o for o in session.engine.open_orders() if o.order_type is OrderType.MARKET]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    if pending:
        ids = ", ".join(o.client_order_id for o in pending)
        click.echo(f"Warning: market orders still working at the broker: {ids}", err=True)


def recorded_bars(feed: BarReplay, store: BarStore) -> Iterator[tuple[datetime, Mapping[str, Bar]]]:
    """Write each slice to the bar store before the session trades it."""
    for timestamp, bars in feed:
        store.write_bars(_bar_frame(bars.values()))
        yield timestamp, bars


def _bar_frame(bars: Iterable[Bar]) -> pd.DataFrame:
    rows = [
        (bar.symbol, bar.timestamp, bar.open, bar.high, bar.low, bar.close, bar.volume)
        for bar in bars
    ]
    frame = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def require_current_history(
    schedule: SessionCloseSchedule, history: pd.DataFrame, now: datetime
) -> None:
    """Daily features continue from the stored bars: sessions missing between the last stored
    bar and the first live one would be read as one long bar. Refuse, naming them."""
    calendar = schedule.calendar
    first_live = calendar.session_of(schedule.next_close(now)[1])
    last_stored = history.groupby("symbol")["timestamp"].max()
    stale = []
    for symbol, stamp in sorted(last_stored.items()):
        missing = calendar.sessions_between(calendar.session_of(stamp.to_pydatetime()), first_live)
        if missing:
            stale.append(f"{symbol} ends {stamp:%Y-%m-%d} ({missing} session(s) missing)")
    if stale:
        raise DataError(
            f"stored history is not current before the first live bar {first_live}: "
            f"{'; '.join(stale)}. Ingest the missing {calendar.name} sessions first "
            "(quantcli data import ...)"
        )


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
