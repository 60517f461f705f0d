"""The `quantcli` command: one group, errors mapped to clear messages and exit codes."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import click

from quantcli import __version__
from quantcli.domain.errors import ConfigError, QuantCLIError
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.data_commands import data
from quantcli.entrypoints.cli.interrupts import EXIT_INTERRUPTED, interrupted_message
from quantcli.entrypoints.cli.kill_commands import kill, reset_kill
from quantcli.entrypoints.cli.live_command import live
from quantcli.entrypoints.cli.model_commands import models
from quantcli.entrypoints.cli.order_commands import cancel, replace
from quantcli.entrypoints.cli.quickstart_command import quickstart
from quantcli.entrypoints.cli.research_commands import (
    backtest,
    features,
    signals,
    train,
    tune,
    validate,
)
from quantcli.entrypoints.cli.trading_commands import orders, paper, pnl, positions

EXIT_ERROR = 1
EXIT_CONFIG_ERROR = 2
# Set to 1 to print the traceback behind an error's one-line message (e.g. a user strategy's).
DEBUG_ENV_VAR = "QUANTCLI_DEBUG"


class QuantCLIGroup(click.Group):
    """Turns QuantCLI's own errors into one-line messages and a non-zero exit code (with
    QUANTCLI_DEBUG=1, after the traceback), and Ctrl-C into one line saying where it stopped
    (exit 130)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            _traceback(error)
            click.echo(f"Error: configuration: {error}", err=True)
            ctx.exit(EXIT_CONFIG_ERROR)
        except QuantCLIError as error:
            _traceback(error)
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt as interrupt:
            click.echo(interrupted_message(interrupt, ctx.invoked_subcommand), err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _traceback(error: QuantCLIError) -> None:
    if os.environ.get(DEBUG_ENV_VAR, "") not in ("", "0"):
        traceback.print_exception(error)


@click.group(cls=QuantCLIGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A YAML file or a folder of YAML files overriding config/ (or set QUANTCLI_CONFIG).",
)
@click.version_option(__version__, prog_name="quantcli")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """QuantCLI: market data to features, validated models, backtests and orders."""
    if ctx.obj is None:
        ctx.obj = AppContext(config_path=config_path)


for command in (
    data,
    features,
    train,
    tune,
    validate,
    models,
    backtest,
    signals,
    paper,
    positions,
    orders,
    cancel,
    replace,
    pnl,
    kill,
    reset_kill,
    live,
    quickstart,
):
    cli.add_command(command)
