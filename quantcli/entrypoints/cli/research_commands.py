"""`quantcli features|train|backtest|signals`: the research path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from quantcli.entrypoints.cli import workflows
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.dates import UTC_DATE


@click.group()
def features() -> None:
    """Build features from stored bars."""


@features.command()
@click.option("--symbol", "symbols", multiple=True, help="Only these symbols (repeatable).")
@click.pass_obj
def build(app: AppContext, symbols: tuple[str, ...]) -> None:
    """Compute indicator features and the next-period direction target with the Rust kernels."""
    workflows.features(app.container, list(symbols) or None)


@click.command()
@click.option("--until", type=UTC_DATE, help="Train only on labels known by this date (UTC).")
@click.pass_obj
def train(app: AppContext, until: datetime | None) -> None:
    """Train the LightGBM direction model on purged, embargoed walk-forward splits."""
    workflows.train(app.container, until)


@click.command()
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the HTML report (default: data_dir/backtest.report_file).",
)
@click.pass_obj
def backtest(app: AppContext, report_path: Path | None) -> None:
    """Backtest the model's out-of-sample predictions with commission and slippage."""
    _, written = workflows.backtest(app.container, report_path)
    click.echo(f"Report written to {written.resolve()}")


@click.command()
@click.option("--as-of", type=UTC_DATE, help="Bar date to signal on (default: the latest).")
@click.pass_obj
def signals(app: AppContext, as_of: datetime | None) -> None:
    """Print target weights for every symbol from the trained model."""
    workflows.signals(app.container, as_of)
