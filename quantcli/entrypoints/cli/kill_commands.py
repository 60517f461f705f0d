"""`quantcli kill` and `quantcli reset-kill`: the manual side of the kill switch."""

from __future__ import annotations

import getpass
import os

import click

from quantcli.application.risk.kill_switch import kill_switch_status, record_reset, record_trip
from quantcli.domain.kill_switch import KillTrigger
from quantcli.entrypoints.cli.accounts import known_account
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.idle_orders import cancel_idle_paper_orders
from quantcli.entrypoints.cli.trading_workflows import now_utc


def current_user() -> str:
    """Who is at the keyboard, for the kill switch's who/when record."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


@click.command()
@click.option("--reason", help="Why the switch is tripped (recorded with who and when).")
@click.option("--flatten", is_flag=True, help="Also close every position with market orders.")
@click.option("--status", "show_status", is_flag=True, help="Show the state and its history.")
@click.option("--account", help="Account to note on the trip (the switch stops every account).")
@click.pass_obj
def kill(
    app: AppContext, reason: str | None, flatten: bool, show_status: bool, account: str | None
) -> None:
    """Trip the kill switch: sessions cancel working orders and send nothing new.

    Working paper orders of an account no session is running on are cancelled at once, at
    the simulated broker and in the ledger. The trip persists across restarts until
    `quantcli reset-kill --confirm`.
    """
    if account is not None:
        known_account(app.container, account)
    store = app.container.kill_switch_store()
    if show_status:
        events = store.kill_switch_events()
        click.echo(f"Kill switch: {kill_switch_status(store).describe()}")
        if events:
            click.echo("History (oldest first):")
            for event in events:
                click.echo(f"  {event.describe()}")
        if reason is None:
            return
    if reason is None or not reason.strip():
        raise click.UsageError("give --reason to trip the kill switch, or --status to show it")
    event = record_trip(
        store,
        KillTrigger.MANUAL,
        reason,
        current_user(),
        now_utc(),
        account=account,
        flatten=flatten,
    )
    click.echo(f"Kill switch {event.describe()}")
    results = cancel_idle_paper_orders(app.container, f"kill switch tripped: {reason}")
    if not results:
        click.echo("No working paper orders to cancel.")
    for result in results:
        if result.session_running:
            click.echo(f"Account {result.account}: a session is running; it cancels its orders")
        else:
            click.echo(
                f"Account {result.account}: cancelled {len(result.cancelled)} working paper "
                f"order(s) (no session running): {', '.join(result.cancelled)}"
            )
    what = "cancel working orders and flatten positions" if flatten else "cancel working orders"
    click.echo(
        f"Running sessions {what} and send no new order from their next bar; "
        "`quantcli reset-kill --confirm` re-arms trading."
    )


@click.command("reset-kill")
@click.option("--confirm", is_flag=True, help="Required: trading resumes from the next bar.")
@click.option(
    "--reason", default="manual reset", show_default=True, help="Recorded with the reset."
)
@click.pass_obj
def reset_kill(app: AppContext, confirm: bool, reason: str) -> None:
    """Reset a tripped kill switch (records who and when); needs --confirm."""
    if not confirm:
        raise click.UsageError(
            "refusing to reset the kill switch without --confirm: trading resumes at once"
        )
    store = app.container.kill_switch_store()
    status = kill_switch_status(store)
    if not status.tripped:
        click.echo(f"Kill switch is not tripped; nothing to reset ({status.describe()})")
        return
    event = record_reset(store, current_user(), now_utc(), reason)
    click.echo(f"Kill switch {event.describe()}")
