"""`quantcli quickstart`: the whole path, data to paper orders, on embedded defaults."""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import click
import pandas as pd

from quantcli.entrypoints.cli import backtest_workflows, workflows
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.synthetic_options import synthetic_size_options


@click.command()
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Import this CSV/Parquet file instead of generating a synthetic market.",
)
@synthetic_size_options("synthetic ")
@click.pass_obj
def quickstart(
    app: AppContext, data_path: Path | None, n_symbols: int | None, years: float | None
) -> None:
    """Generate (or import) data, build features, train, backtest, signal and paper-trade."""
    started = time.perf_counter()
    container = app.container
    paper_settings = app.settings.backtest.paper

    if data_path is not None:
        source = container.file_source(path=data_path)
    else:
        overrides = {"n_symbols": n_symbols, "years": years}
        source = container.synthetic_source(
            **{key: value for key, value in overrides.items() if value is not None}
        )
    click.echo(f"[1/7] Market data from {source.name}")
    click.echo(f"[2/7] Store: {app.settings.database_path}")
    # A synthetic market replaces the series it generates; an imported file is an update.
    ingested = workflows.ingest(container, source, replace=data_path is None)
    symbols = list(ingested.symbols)

    click.echo("[3/7] Features (Rust kernels)")
    workflows.features(container, symbols)

    quick = app.settings.models.quickstart
    click.echo(
        "[4/7] Train: stacked ensemble, combinatorial purged CV, validation gates "
        f"(quickstart profile: {quick.cpcv_folds} CPCV folds, {quick.inner_folds} inner folds, "
        f"{quick.boosting_rounds} rounds; `quantcli train` uses the full models.yaml)"
    )
    container.settings.override(attrs.evolve(app.settings, models=app.settings.models.quick()))
    window = workflows.paper_window(container, paper_settings.days, symbols)
    # Hold the paper-trading window out of training so paper results stay out of sample.
    until = (window["timestamp"].min() - pd.Timedelta(seconds=1)).to_pydatetime()
    # The rest of the path uses the version trained here, even when an earlier run's version
    # is in production.
    trained = workflows.train(container, until).version.version

    click.echo("[5/7] Backtest")
    _, report = backtest_workflows.backtest_model(container, version=trained)

    click.echo("[6/7] Signals and paper trading")
    workflows.signals(container, version=trained)
    workflows.paper(
        container, paper_settings.days, paper_settings.account, symbols, version=trained
    )
    workflows.show_positions(container, paper_settings.account)

    click.echo(f"[7/7] Report written to {report.resolve()}")
    click.echo(f"Quickstart finished in {time.perf_counter() - started:.1f}s")
