"""The steps commands share: each runs one use case with the container's adapters and reports it.

`quantcli quickstart` chains the same functions the single commands call; the trading steps
(paper, positions) live in trading_workflows and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click
import pandas as pd

from quantcli.application.build_features import (
    FEATURES_TABLE,
    build_features,
)
from quantcli.application.generate_signals import generate_signals
from quantcli.application.ingest_market_data import IngestSummary, ingest_market_data
from quantcli.application.ports import MarketDataSource, TrainedModel
from quantcli.application.train_ensemble import EnsembleTraining
from quantcli.domain.signals import Signal
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.output import count, decimal, percent, progress, table
from quantcli.entrypoints.cli.trading_workflows import paper, paper_window, show_positions
from quantcli.entrypoints.container import Container


def ingest(container: Container, source: MarketDataSource) -> IngestSummary:
    summary = ingest_market_data(source, container.bar_store())
    click.echo(
        f"Stored {summary.rows_written:,} bars of {len(summary.symbols)} symbol(s) from "
        f"{summary.source}: {summary.first_timestamp:%Y-%m-%d} to {summary.last_timestamp:%Y-%m-%d}"
    )
    return summary


def features(container: Container, symbols: Sequence[str] | None = None) -> pd.DataFrame:
    bar_store = container.bar_store()
    total = len(symbols) if symbols else len(bar_store.symbols())
    with progress("Building features", total) as advance:
        table_ = build_features(
            bar_store,
            container.feature_store(),
            container.feature_spec(),
            symbols=symbols,
            on_progress=advance,
        )
    spec = container.feature_spec()
    click.echo(
        f"Built {len(spec.feature_names)} features and the {spec.target.kind.value} target for "
        f"{table_['symbol'].nunique()} symbol(s): {len(table_):,} rows "
        f"(definition hash {spec.definition_hash[:12]})"
    )
    return table_


def train(container: Container, until: datetime | None = None) -> EnsembleTraining:
    return training_workflows.train(container, until)


def load_model(container: Container) -> TrainedModel:
    return training_workflows.load_model(container)


def signals(container: Container, as_of: datetime | None = None) -> list[Signal]:
    feature_table = container.feature_store().load(FEATURES_TABLE)
    found = generate_signals(feature_table, load_model(container), container.strategy(), as_of)
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
