"""One way to start a trading session, for paper replays, paper on IB quotes and live trading."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import click

from quantcli.application.risk.kill_switch import KillSwitch
from quantcli.application.risk.risk_engine import RiskEngineCheck
from quantcli.application.trading.ports import Broker
from quantcli.application.trading.reconcile_positions import (
    RecoveryReport,
    RestoredAccount,
    reconcile_positions,
)
from quantcli.application.trading.run_trading_session import (
    SessionSummary,
    SignalSource,
    TradingSession,
)
from quantcli.domain.errors import ExecutionError
from quantcli.domain.positions import Portfolio
from quantcli.entrypoints.cli.output import count, money
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import build_risk_engine


def check_session_config(container: Container) -> None:
    """Build what a session takes from config (calendar, risk engine, sizing, order template,
    kill switch policy) without starting one: called before the ledger is written, so a bad
    value stops the command with nothing recorded."""
    container.trading_calendar()
    container.risk_limits()
    build_risk_engine(container.settings())
    container.sizing_policy()
    container.order_template()
    container.kill_switch_policy()


def start_session(
    container: Container,
    account: str,
    broker: Broker,
    signal_source: SignalSource,
    restored: RestoredAccount,
) -> TradingSession:
    """The account's session as the ledger left it: risk engine, sizing, order template,
    calendar and kill switch from config."""
    calendar = container.trading_calendar()
    return TradingSession(
        account=account,
        broker=broker,
        ledger=container.ledger(),
        limits=container.risk_limits(),
        risk_check=RiskEngineCheck(build_risk_engine(container.settings())),
        signal_source=signal_source,
        portfolio=restored.portfolio,
        sizing=container.sizing_policy(),
        order_template=container.order_template(),
        calendar=calendar,
        kill_switch=KillSwitch(
            container.kill_switch_store(),
            container.kill_switch_policy(),
            session_of=calendar.session_of,
        ),
        equity_history=restored.equity_history,
        orders=restored.open_orders,
    )


def report_recovery(account: str, last_bar: datetime | None, report: RecoveryReport) -> None:
    if last_bar is not None:
        click.echo(f"Resuming account {account} after its last finished bar {last_bar:%Y-%m-%d}")
    for line in report.lines():
        click.echo(f"Recovery: {line}")


def report_session(summary: SessionSummary, mode: str = "Paper") -> None:
    notes = []
    if summary.bars_rejected:
        notes.append(f"{count(len(summary.bars_rejected))} rejected: no exchange session")
    if summary.bars_skipped:
        notes.append(f"{count(summary.bars_skipped)} done before")
    replayed = summary.bars_processed + len(summary.bars_rejected)
    note = f" ({'; '.join(notes)})" if notes else ""
    flatten = f" ({summary.flatten_orders} to flatten)" if summary.flatten_orders else ""
    click.echo(
        f"{mode} account {summary.account}: {count(replayed)} bars{note}, "
        f"{count(summary.orders_submitted)} orders submitted{flatten}, "
        f"{count(summary.orders_rejected)} rejected by risk, "
        f"{count(summary.fills)} fills, {count(summary.open_orders)} working; "
        f"equity {money(summary.final_equity)}"
    )
    for reason in summary.bars_rejected:
        click.echo(f"Warning: {reason}", err=True)
    status = summary.kill_switch
    if status is not None and status.tripped:
        click.echo(
            f"Kill switch {status.describe()}; {summary.signals_blocked} signal(s) blocked, "
            f"{summary.flatten_orders} flatten order(s)"
        )


def check_positions(
    account: str, portfolio: Portfolio, held: Mapping[str, Decimal], where: str
) -> None:
    """The account's positions must equal the broker's (`where` names it in the error)."""
    breaks = reconcile_positions(portfolio, dict(held))
    if breaks:
        details = ", ".join(
            f"{b.symbol} ledger {b.ledger_quantity} vs broker {b.broker_quantity}" for b in breaks
        )
        raise ExecutionError(f"account {account}: positions differ from {where}'s: {details}")
