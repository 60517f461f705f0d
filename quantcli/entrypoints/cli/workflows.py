"""The steps commands share: each runs one use case with the container's adapters and reports it.

`quantcli quickstart` chains the same functions the single commands call; the trading steps
(paper, positions) live in trading_workflows and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click
import pandas as pd

from quantcli.application.features.build_features import (
    FEATURES_TABLE,
    build_features,
    feature_build_scope,
)
from quantcli.application.marketdata.ingest_market_data import IngestSummary, ingest_market_data
from quantcli.application.marketdata.ports import MarketDataSource
from quantcli.application.modeling.ports import TrainedModel
from quantcli.application.modeling.train_ensemble import EnsembleTraining
from quantcli.application.strategy.generate_signals import generate_signals
from quantcli.domain.signals import Signal
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.output import count, decimal, percent, progress, table
from quantcli.entrypoints.cli.trading_workflows import paper, paper_window, show_positions
from quantcli.entrypoints.container import Container


def ingest(container: Container, source: MarketDataSource, *, replace: bool) -> IngestSummary:
    """Store the source's bars; `replace` makes them the whole series of their symbols."""
    bar_store = container.bar_store()
    summary = ingest_market_data(source, bar_store, replace=replace)
    updated = f" ({summary.bars_updated:,} already stored, updated)" if summary.bars_updated else ""
    click.echo(
        f"Stored {summary.rows_written:,} bars of {len(summary.symbols)} symbol(s) from "
        f"{summary.source}: {summary.first_timestamp:%Y-%m-%d} to "
        f"{summary.last_timestamp:%Y-%m-%d}{updated}"
    )
    if summary.bars_replaced:
        click.echo(
            f"Replaced the stored series of {_listed(summary.symbols)}: "
            f"{summary.bars_replaced:,} earlier bars removed"
        )
    if replace:
        others = sorted(set(bar_store.symbols()) - set(summary.symbols))
        if others:
            click.echo(
                f"Kept {len(others)} other stored symbol(s) as they were: {_listed(others)} "
                "(features, training and backtests use every stored symbol)"
            )
    return summary


def _listed(symbols: Sequence[str], at_most: int = 6) -> str:
    shown = ", ".join(symbols[:at_most])
    return f"{shown}, … ({len(symbols)} symbols)" if len(symbols) > at_most else shown


def features(container: Container, symbols: Sequence[str] | None = None) -> pd.DataFrame:
    """Rebuild the feature table for `symbols` (all when None); the table keeps every stored
    symbol, and a build that must recompute more than the named symbols says why."""
    bar_store, feature_store, spec = (
        container.bar_store(),
        container.feature_store(),
        container.feature_spec(),
    )
    scope = feature_build_scope(bar_store.symbols(), symbols, spec, feature_store)
    if scope.widened is not None:
        click.echo(f"Rebuilding all {len(scope.symbols)} stored symbols: {scope.widened}")
    with progress("Building features", len(scope.symbols)) as advance:
        table_ = build_features(
            bar_store, feature_store, spec, symbols=symbols, on_progress=advance
        )
    built = table_.loc[table_["symbol"].isin(scope.symbols), "symbol"].nunique()
    kept = table_["symbol"].nunique() - built
    rows = f"{len(table_):,} rows"
    if kept:
        rows += f" with the kept rows of {kept} other symbol(s)"
    click.echo(
        f"Built {len(spec.feature_names)} features and the {spec.target.kind.value} target for "
        f"{built} symbol(s): {rows} (definition hash {spec.definition_hash[:12]})"
    )
    return table_


def train(container: Container, until: datetime | None = None) -> EnsembleTraining:
    return training_workflows.train(container, until)


def load_model(container: Container, version: int | None = None) -> TrainedModel:
    return training_workflows.load_model(container, version)


def signals(
    container: Container, as_of: datetime | None = None, *, version: int | None = None
) -> list[Signal]:
    """Today's signals of model version `version` (None: production, else the latest)."""
    feature_table = container.feature_store().load(FEATURES_TABLE)
    model = load_model(container, version)
    found = generate_signals(feature_table, model, container.strategy(), as_of)
    found.sort(key=lambda signal: (-signal.target_weight, -signal.probability_up))
    moment = found[0].as_of if found else as_of
    longs = sum(1 for s in found if s.direction > 0)
    shorts = sum(1 for s in found if s.direction < 0)
    click.echo(
        f"Signals as of {moment:%Y-%m-%d}: {count(longs)} long, {count(shorts)} short, "
        f"{count(len(found) - longs - shorts)} flat"
    )
    click.echo(
        table(
            ("symbol", "P(up)", "target weight"),
            [
                (s.symbol, decimal(s.probability_up), percent(s.target_weight, signed=True))
                for s in found
            ],
        )
    )
    return found


__all__ = [
    "features",
    "ingest",
    "load_model",
    "paper",
    "paper_window",
    "show_positions",
    "signals",
    "train",
]
