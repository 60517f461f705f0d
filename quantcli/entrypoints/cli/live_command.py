"""`quantcli live`: trade a real account; refuses to start unless asked twice."""

from __future__ import annotations

from datetime import timedelta

import click

from quantcli.application.risk.kill_switch import kill_switch_status
from quantcli.domain.loss_limits import LossLimits
from quantcli.entrypoints.cli import live_workflows
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.feed_options import live_feed_options
from quantcli.entrypoints.trading_providers import build_kill_switch_policy


@click.command()
@click.option("--account", help="The broker account to trade (required).")
@click.option("--confirm-live", is_flag=True, help="Required: real orders, real money.")
@live_feed_options()
@click.pass_obj
def live(
    app: AppContext,
    *,
    account: str | None,
    confirm_live: bool,
    symbols: tuple[str, ...],
    bars: int | None,
) -> None:
    """Trade ACCOUNT live through the broker trading.broker names (needs --confirm-live).

    Connects, reconciles the ledger with the broker (refusing to start when positions
    differ), then builds bars from live quotes (trading.live_feed) and runs the same
    signal, sizing, risk and ledger path as paper trading.
    """
    missing = [
        flag
        for flag, given in (("--account ID", bool(account)), ("--confirm-live", confirm_live))
        if not given
    ]
    if missing:
        raise click.UsageError(
            f"live trading refuses to start without {' and '.join(missing)}: it sends real "
            "orders with real money"
        )
    settings = app.settings
    limits, sizing = settings.risk.limits, settings.risk.sizing
    policy = build_kill_switch_policy(settings)
    status = kill_switch_status(app.container.kill_switch_store())
    click.echo(f"Live trading account {account} through broker {settings.trading.broker!r}")
    click.echo(
        f"Risk limits: position {limits.max_position_weight:.2%} of equity, gross "
        f"{limits.max_gross_exposure:.2f}x, net {limits.max_net_exposure:.2f}x, order "
        f"{limits.max_order_quantity} shares / {limits.max_order_notional} notional, "
        f"restricted {', '.join(limits.restricted_symbols) or 'none'}"
    )
    click.echo(
        f"Sizing: {sizing.method}, at most {sizing.max_weight_per_symbol:.2%} per symbol, "
        f"rebalance band {sizing.rebalance_band:.2%}"
    )
    click.echo(
        f"Kill switch: more than {_off(policy.max_rejects)} rejects in "
        f"{_seconds(policy.reject_window)}, broker disconnected > "
        f"{_seconds(policy.max_disconnected)}, no bar for > {_seconds(policy.max_stale)} or "
        f"> {_off(policy.max_missing_sessions)} sessions, flatten on trip "
        f"{'on' if policy.flatten_on_trip else 'off'}; loss limits "
        f"{_loss_limits(policy.loss_limits)}; now {status.describe()}"
    )
    click.echo(f"Calendar: {settings.trading.calendar}")
    live_workflows.live(app.container, account, symbols, bars)


def _off(value: object) -> str:
    return "off" if value is None else str(value)


def _seconds(value: timedelta | None) -> str:
    return "off" if value is None else f"{value.total_seconds():g}s"


def _loss_limits(limits: LossLimits) -> str:
    parts = [
        f"{name} {'off' if value is None else f'{value:.2%}'}"
        for name, value in (
            ("daily", limits.daily),
            ("weekly", limits.weekly),
            ("monthly", limits.monthly),
            ("max drawdown", limits.max_drawdown),
        )
    ]
    return ", ".join(parts)
