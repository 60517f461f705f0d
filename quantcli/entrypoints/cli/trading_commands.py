"""`quantcli paper|positions`: trading through the simulated broker and the ledger."""

from __future__ import annotations

import click

from quantcli.entrypoints.cli import workflows
from quantcli.entrypoints.cli.app_context import AppContext


@click.command()
@click.option(
    "--days", type=click.IntRange(min=1), help="Trading days to replay (default: paper.days)."
)
@click.option("--account", help="Ledger account (default: paper.account).")
@click.pass_obj
def paper(app: AppContext, days: int | None, account: str | None) -> None:
    """Paper-trade the latest bars one by one through the simulated broker into the ledger."""
    defaults = app.settings.backtest.paper
    workflows.paper(app.container, days or defaults.days, account or defaults.account)


@click.command()
@click.option("--account", help="Ledger account (default: paper.account).")
@click.pass_obj
def positions(app: AppContext, account: str | None) -> None:
    """Show cash and open positions with P&L from the ledger."""
    workflows.show_positions(app.container, account or app.settings.backtest.paper.account)
