"""The trading commands' steps: paper sessions (resumed after a stop or crash) and the ledger."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import click
import pandas as pd

from quantcli.application.features.feature_refresh import refresh_features
from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.application.risk.kill_switch import kill_switch_status
from quantcli.application.strategy.generate_signals import PrecomputedSignalSource
from quantcli.application.trading.reconcile_positions import (
    restore_account,
)
from quantcli.application.trading.run_trading_session import SessionSummary
from quantcli.domain.errors import DataError
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import to_decimal
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.interrupts import stage
from quantcli.entrypoints.cli.output import count, money, progress, quantity, table
from quantcli.entrypoints.cli.session_setup import (
    check_positions,
    check_session_config,
    report_recovery,
    report_session,
    start_session,
)
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import backtest_only_costs


def paper_window(container: Container, days: int, symbols: Sequence[str] | None) -> pd.DataFrame:
    """The bars of the latest `days` timestamps of the chosen (else every stored) symbol."""
    return _paper_bars(container, days, symbols)[0]


def _paper_bars(
    container: Container, days: int, symbols: Sequence[str] | None
) -> tuple[pd.DataFrame, dict[str, Decimal]]:
    """The paper window, and each symbol's last close before it: a symbol with no bar in the
    window's first slices (a bar imported for another symbol only) is still marked."""
    bar_store = container.bar_store()
    bars = bar_store.read_bars(stored_symbols(bar_store, symbols))
    timestamps = sorted(bars["timestamp"].unique())
    if len(timestamps) < days:
        raise DataError(f"only {len(timestamps)} bars stored, fewer than the {days} to paper-trade")
    in_window = bars["timestamp"] >= timestamps[-days]
    earlier = bars[~in_window].sort_values("timestamp").groupby("symbol")["close"].last()
    closes = {
        str(symbol): to_decimal(close, f"{symbol} close") for symbol, close in earlier.items()
    }
    return bars[in_window], closes


def paper(
    container: Container,
    days: int,
    account: str,
    symbols: Sequence[str] | None = None,
    pace_seconds: float = 0.0,
    *,
    version: int | None = None,
) -> SessionSummary:
    """Paper-trade the latest `days` bars with model version `version` (None: production, else
    the latest); an account that traded before resumes after its last finished bar, settling
    with the broker whatever a crash left open. The session holds the account's session lock
    while it runs (see `quantcli kill`)."""
    with container.session_lock().session(account):
        return _paper(container, days, account, symbols, pace_seconds, version=version)


def _paper(
    container: Container,
    days: int,
    account: str,
    symbols: Sequence[str] | None,
    pace_seconds: float,
    *,
    version: int | None,
) -> SessionSummary:
    settings = container.settings()
    window, closes_before = _paper_bars(container, days, symbols)
    model = training_workflows.load_model(container, version)
    start = window["timestamp"].min()
    until = training_workflows.trained_until(model)
    if pd.Timestamp(until) >= start:
        click.echo(
            f"Warning: model {model.name} was trained on data until "
            f"{until[:10]}, inside the paper window: results are "
            "in-sample.",
            err=True,
        )
    for name in backtest_only_costs(settings):
        click.echo(f"Warning: {name} is backtest-only; paper fills do not model it.", err=True)
    ledger = container.ledger()
    feature_table = features_to_trade(container, window, ledger.portfolio_as_of(account))
    window_features = feature_table[feature_table["timestamp"] >= start]
    signals = PrecomputedSignalSource.from_model(window_features, model, container.strategy())
    check_session_config(container)  # a bad value stops here, before the ledger is written
    broker = container.broker(account=account)
    opening_cash = ledger.open_account(account, settings.backtest.initial_cash, start)
    restored = restore_account(ledger, account, opening_cash)
    session = start_session(container, account, broker, signals, restored)
    session.seed_marks(closes_before)
    recovery = session.recover(restored.last_bar, resubmit=settings.trading.resubmit_unacknowledged)
    report_recovery(account, restored.last_bar, recovery)
    pending = _bars_after(window, restored.last_bar)
    to_trade = len(pending)
    where = _PaperProgress(account, pending, restored.last_bar)
    with (
        stage(f"paper trading of account {account}", where.describe),
        progress(f"Paper trading {to_trade} bars", max(to_trade, 1)) as advance,
    ):

        def on_bar(done: int) -> None:
            where.finished += 1
            advance(done, to_trade)
            if pace_seconds > 0:
                where.pacing = True
                time.sleep(pace_seconds)
                where.pacing = False

        summary = session.run(FrameBarReplay(window), on_bar=on_bar, resume_after=restored.last_bar)
    report_session(summary)
    check_positions(account, summary.portfolio, broker.positions(account), "the broker")
    return summary


def features_to_trade(
    container: Container, window: pd.DataFrame, last_bar: datetime | None
) -> pd.DataFrame:
    """The feature table, with the features of every bar to trade (after `last_bar`) that
    has none built first: a bar without features would be replayed without a signal and
    marked done, so its session would never be traded."""
    to_trade = window if last_bar is None else window[window["timestamp"] > last_bar]
    bar_store, feature_store = container.bar_store(), container.feature_store()
    spec = container.feature_spec()
    refresh = refresh_features(bar_store, feature_store, spec, to_trade)
    if refresh.built is not None:
        built = f"built the features of {', '.join(refresh.missing_symbols)}"
        if refresh.built.widened is not None:
            built = (
                f"rebuilt the features of all {len(refresh.built.symbols)} stored symbols, as "
                f"{refresh.built.widened}"
            )
        click.echo(f"{refresh.missing_bars} bar(s) to trade had no features: {built}")
    return refresh.features


def _bars_after(window: pd.DataFrame, last_bar: datetime | None) -> list[datetime]:
    timestamps = pd.DatetimeIndex(sorted(window["timestamp"].unique()))
    if last_bar is not None:
        timestamps = timestamps[timestamps > pd.Timestamp(last_bar)]
    return [timestamp.to_pydatetime() for timestamp in timestamps]


@attrs.define
class _PaperProgress:
    """How far a paper run got, for the line Ctrl-C prints."""

    account: str
    pending: list[datetime]  # the bars this run trades
    resumed_after: datetime | None
    finished: int = 0
    pacing: bool = False  # waiting (--pace) after a finished bar

    def describe(self) -> str:
        total = len(self.pending)
        last = self.pending[self.finished - 1] if self.finished else self.resumed_after
        resume = (
            f"`quantcli paper --account {self.account}` resumes after {bar_time(last)}"
            if last is not None
            else f"`quantcli paper --account {self.account}` starts again from the first bar"
        )
        if self.pacing or self.finished >= total:
            return (
                f"stopped after bar {self.finished} of {total}, every finished bar is in the "
                f"ledger: {resume}"
            )
        return (
            f"stopped in bar {self.finished + 1} of {total} "
            f"({bar_time(self.pending[self.finished])}), which is not saved: {resume}, "
            "settling with the broker any order the stopped bar sent"
        )


def last_closes(container: Container, symbols: Sequence[str]) -> dict[str, Decimal]:
    """The latest stored close of each symbol: the marks positions and P&L are shown at."""
    if not symbols:
        return {}
    bars = container.bar_store().read_bars(sorted(symbols))
    last = bars.groupby("symbol")["close"].last()
    return {s: to_decimal(float(last[s]), f"{s} close") for s in symbols if s in last.index}


def account_marks(
    container: Container, account: str, symbols: Sequence[str]
) -> tuple[dict[str, Decimal], datetime | None]:
    """Each symbol's close at the account's last bar (the ledger's snapshot time) and that
    time: an account that stopped at an earlier bar is valued as it stood then, not at
    closes stored after it. Without a snapshot, the store's last closes (time None)."""
    as_of = container.ledger().portfolio_as_of(account)
    if as_of is None:
        return last_closes(container, symbols), None
    if not symbols:
        return {}, as_of
    bars = container.bar_store().read_bars(sorted(symbols), end=as_of)
    last = bars.groupby("symbol")["close"].last()
    missing = [s for s in symbols if s not in last.index]
    if missing:
        raise DataError(
            f"account {account}: no stored close of {', '.join(missing)} at or before its "
            f"last bar {bar_time(as_of)}"
        )
    return {s: to_decimal(float(last[s]), f"{s} close") for s in symbols}, as_of


def bar_time(at: datetime) -> str:
    """A bar's time as a person reads it: the date of a daily bar, else date and time."""
    return f"{at:%Y-%m-%d}" if at.time() == datetime.min.time() else f"{at:%Y-%m-%d %H:%M:%S %Z}"


def marked_at(as_of: datetime | None) -> str:
    """Which closes the positions are valued at, for the reader."""
    if as_of is None:
        return "marked at the last stored close"
    return f"marked at the close of {bar_time(as_of)}, the account's last bar"


def load_account(container: Container, account: str) -> Portfolio:
    portfolio = container.ledger().load_portfolio(account)
    if portfolio is None:
        raise DataError(f"no positions recorded for account {account}: run `quantcli paper` first")
    return portfolio


def show_positions(container: Container, account: str) -> Portfolio:
    portfolio = load_account(container, account)
    held = {s: p for s, p in portfolio.positions.items() if not p.is_flat}
    marks, as_of = account_marks(container, account, sorted(held))
    rows = [
        (
            symbol,
            quantity(position.quantity),
            money(position.average_cost),
            money(marks[symbol]),
            money(position.unrealized_pnl(marks[symbol])),
            money(position.realized_pnl),
        )
        for symbol, position in sorted(held.items())
    ]
    marked = f", {marked_at(as_of)}" if held else ""
    click.echo(
        f"Account {account}: cash {money(portfolio.cash)}, "
        f"{count(len(held))} open position(s){marked}"
    )
    if rows:
        headers = ("symbol", "quantity", "avg cost", "last", "unrealized", "realized")
        click.echo(table(headers, rows))
    click.echo(f"Kill switch: {kill_switch_status(container.kill_switch_store()).describe()}")
    return portfolio


def now_utc() -> datetime:
    return datetime.now(UTC)
