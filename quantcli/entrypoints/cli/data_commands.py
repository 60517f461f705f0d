"""`quantcli data ...`: put market data into the bar store."""

from __future__ import annotations

from pathlib import Path

import click

from quantcli.entrypoints.cli import workflows
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.synthetic_options import synthetic_size_options


@click.group()
def data() -> None:
    """Generate or import market data."""


@data.command()
@synthetic_size_options()
@click.option("--seed", type=int, help="Random seed (default: quantcli.seed).")
@click.option(
    "--signal-strength",
    type=click.FloatRange(min=0),
    help="Scale of the planted predictable component; 0 is a pure random walk.",
)
@click.pass_obj
def generate(
    app: AppContext,
    n_symbols: int | None,
    years: float | None,
    seed: int | None,
    signal_strength: float | None,
) -> None:
    """Generate a seeded synthetic market and store it.

    A synthetic run is a whole series: it replaces every stored bar of the symbols it
    generates (SYN00, SYN01, ...), in one transaction, and says how many it removed."""
    overrides = {
        "n_symbols": n_symbols,
        "years": years,
        "seed": seed,
        "signal_strength": signal_strength,
    }
    source = app.container.synthetic_source(**{k: v for k, v in overrides.items() if v is not None})
    workflows.ingest(app.container, source, replace=True)


@data.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--symbol", help="Symbol for a file without a symbol column (default: file name).")
@click.option("--timezone", help="Timezone of naive timestamps (default: data_sources.file).")
@click.option(
    "--replace",
    is_flag=True,
    help="Make the file the whole stored series of its symbols (their other bars are removed).",
)
@click.pass_obj
def import_(
    app: AppContext, path: Path, symbol: str | None, timezone: str | None, replace: bool
) -> None:
    """Import bars from a CSV or Parquet file, all-or-nothing.

    New bars extend the stored series and bars already stored are updated, unless a close
    differs from the stored one by more than 1%: then the file is a different series and the
    import is refused whole, naming the bar, unless --replace."""
    overrides = {"timezone": timezone} if timezone is not None else {}
    source = app.container.file_source(path=path, symbol=symbol, **overrides)
    workflows.ingest(app.container, source, replace=replace)
