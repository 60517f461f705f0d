"""The trading commands' steps: paper sessions (resumed after a stop or crash) and the ledger."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import click
import pandas as pd

from quantcli.application.bar_replay import FrameBarReplay
from quantcli.application.build_features import FEATURES_TABLE
from quantcli.application.generate_signals import PrecomputedSignalSource
from quantcli.application.kill_switch import kill_switch_status
from quantcli.application.reconcile_positions import (
    restore_account,
)
from quantcli.application.run_trading_session import SessionSummary
from quantcli.domain.errors import DataError
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import to_decimal
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.output import progress, quantity, table
from quantcli.entrypoints.cli.session_setup import (
    check_positions,
    report_recovery,
    report_session,
    start_session,
)
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import backtest_only_costs


def paper_window(container: Container, days: int, symbols: Sequence[str] | None) -> pd.DataFrame:
    bars = container.bar_store().read_bars(symbols)
    if bars.empty:
        raise DataError("bar store is empty: generate or import data first")
    timestamps = sorted(bars["timestamp"].unique())
    if len(timestamps) < days:
        raise DataError(f"only {len(timestamps)} bars stored, fewer than the {days} to paper-trade")
    return bars[bars["timestamp"] >= timestamps[-days]]


def paper(
    container: Container,
    days: int,
    account: str,
    symbols: Sequence[str] | None = None,
    pace_seconds: float = 0.0,
) -> SessionSummary:
    """Paper-trade the latest `days` bars; an account that traded before resumes after its
    last finished bar, settling with the broker whatever a crash left open."""
    settings = container.settings()
    window = paper_window(container, days, symbols)
    model = training_workflows.load_model(container)
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
    feature_table = container.feature_store().load(FEATURES_TABLE)
    window_features = feature_table[feature_table["timestamp"] >= start]
    broker = container.broker(account=account)
    ledger = container.ledger()
    opening_cash = ledger.open_account(account, settings.backtest.initial_cash, start)
    restored = restore_account(ledger, account, opening_cash)
    signals = PrecomputedSignalSource.from_model(window_features, model, container.strategy())
    session = start_session(container, account, broker, signals, restored)
    recovery = session.recover(restored.last_bar, resubmit=settings.trading.resubmit_unacknowledged)
    report_recovery(account, restored.last_bar, recovery)
    to_trade = _bars_after(window, restored.last_bar)
    with progress(f"Paper trading {to_trade} bars", max(to_trade, 1)) as advance:

        def on_bar(done: int) -> None:
            advance(done, to_trade)
            if pace_seconds > 0:
                time.sleep(pace_seconds)

        summary = session.run(FrameBarReplay(window), on_bar=on_bar, resume_after=restored.last_bar)
    report_session(summary)
    check_positions(account, summary.portfolio, broker.positions(account), "the broker")
    return summary


def _bars_after(window: pd.DataFrame, last_bar: datetime | None) -> int:
    timestamps = window["timestamp"].unique()
    if last_bar is None:
        return len(timestamps)
    return int((pd.DatetimeIndex(timestamps) > pd.Timestamp(last_bar)).sum())


def last_closes(container: Container, symbols: Sequence[str]) -> dict[str, Decimal]:
    """The latest stored close of each symbol: the marks positions and P&L are shown at."""
    if not symbols:
        return {}
    bars = container.bar_store().read_bars(sorted(symbols))
    last = bars.groupby("symbol")["close"].last()
    return {s: to_decimal(float(last[s]), f"{s} close") for s in symbols if s in last.index}


def load_account(container: Container, account: str) -> Portfolio:
    portfolio = container.ledger().load_portfolio(account)
    if portfolio is None:
        raise DataError(f"no positions recorded for account {account}: run `quantcli paper` first")
    return portfolio


def show_positions(container: Container, account: str) -> Portfolio:
    portfolio = load_account(container, account)
    held = {s: p for s, p in portfolio.positions.items() if not p.is_flat}
    marks = last_closes(container, sorted(held))
    rows = [
        (
            symbol,
            quantity(position.quantity),
            f"{position.average_cost:,.2f}",
            f"{marks[symbol]:,.2f}",
            f"{position.unrealized_pnl(marks[symbol]):,.2f}",
            f"{position.realized_pnl:,.2f}",
        )
        for symbol, position in sorted(held.items())
    ]
    click.echo(f"Account {account}: cash {portfolio.cash:,.2f}, {len(held)} open position(s)")
    if rows:
        headers = ("symbol", "quantity", "avg cost", "last", "unrealized", "realized")
        click.echo(table(headers, rows))
    click.echo(f"Kill switch: {kill_switch_status(container.kill_switch_store()).describe()}")
    return portfolio


def now_utc() -> datetime:
    return datetime.now(UTC)
