"""`quantcli paper|positions|orders|pnl`: trading through the simulated broker and the ledger."""

from __future__ import annotations

import click

from quantcli.entrypoints.cli import ledger_reports, live_workflows, trading_workflows
from quantcli.entrypoints.cli.accounts import known_account
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.feed_options import live_feed_options

_ACCOUNT_HELP = "Ledger account (default: paper.account)."


@click.command()
@click.option(
    "--days", type=click.IntRange(min=1), help="Trading days to replay (default: paper.days)."
)
@click.option("--account", help=_ACCOUNT_HELP)
@click.option(
    "--pace",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait after each bar (0: as fast as possible).",
)
@click.option(
    "--feed",
    type=click.Choice(["replay", "ibkr"]),
    default="replay",
    show_default=True,
    help="replay: stored bars; ibkr: bars built from IB's live quotes (trading.ibkr).",
)
@live_feed_options(prefix="With --feed ibkr: ")
@click.pass_obj
def paper(
    app: AppContext,
    *,
    days: int | None,
    account: str | None,
    pace: float,
    feed: str,
    symbols: tuple[str, ...],
    bars: int | None,
) -> None:
    """Paper-trade bars one by one through the simulated broker into the ledger.

    By default the latest stored bars are replayed; `--feed ibkr` trades bars built from IB's
    live quotes instead. An account that traded before resumes after its last finished bar;
    orders a crash left unsettled are looked up at the broker by client order id before
    anything is resent.
    """
    defaults = app.settings.backtest.paper
    account = account or defaults.account
    if feed == "ibkr":
        if days is not None or pace:
            raise click.UsageError("--days and --pace apply to --feed replay only")
        live_workflows.paper_on_ib_quotes(app.container, account, symbols, bars)
        return
    if symbols or bars is not None:
        raise click.UsageError("--symbol and --bars apply to --feed ibkr only")
    trading_workflows.paper(app.container, days or defaults.days, account, pace_seconds=pace)


@click.command()
@click.option("--account", help=_ACCOUNT_HELP)
@click.pass_obj
def positions(app: AppContext, account: str | None) -> None:
    """Show cash and open positions with P&L from the ledger, and the kill switch."""
    account = known_account(app.container, account or app.settings.backtest.paper.account)
    trading_workflows.show_positions(app.container, account)


@click.command()
@click.option("--account", help=_ACCOUNT_HELP)
@click.option("--open", "only_open", is_flag=True, help="Only orders still working.")
@click.pass_obj
def orders(app: AppContext, account: str | None, only_open: bool) -> None:
    """List the ledger's orders: status, client order id, fills, replace links and reasons."""
    account = known_account(app.container, account or app.settings.backtest.paper.account)
    ledger_reports.show_orders(app.container, account, only_open)


@click.command()
@click.option("--account", help=_ACCOUNT_HELP)
@click.option(
    "--days", type=click.IntRange(min=1), default=10, show_default=True, help="Daily rows shown."
)
@click.pass_obj
def pnl(app: AppContext, account: str | None, days: int) -> None:
    """Realized and unrealized P&L by symbol, and daily P&L from the ledger's equity."""
    account = known_account(app.container, account or app.settings.backtest.paper.account)
    ledger_reports.show_pnl(app.container, account, days)
