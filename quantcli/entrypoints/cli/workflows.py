"""The steps commands share: each runs one use case with the container's adapters and reports it.

`quantcli quickstart` chains the same functions the single commands call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import click
import pandas as pd

from quantcli.application.bar_replay import FrameBarReplay
from quantcli.application.build_features import (
    FEATURES_TABLE,
    build_features,
)
from quantcli.application.generate_signals import PrecomputedSignalSource, generate_signals
from quantcli.application.ingest_market_data import IngestSummary, ingest_market_data
from quantcli.application.ports import MarketDataSource, TrainedModel
from quantcli.application.run_trading_session import SessionSummary, TradingSession
from quantcli.application.train_ensemble import EnsembleTraining
from quantcli.domain.errors import DataError
from quantcli.domain.positions import Portfolio
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import to_decimal
from quantcli.entrypoints.cli import training_workflows
from quantcli.entrypoints.cli.output import progress, table
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
        f"Signals as of {moment:%Y-%m-%d}: {longs} long, {shorts} short, "
        f"{len(found) - longs - shorts} flat"
    )
    click.echo(
        table(
            ("symbol", "P(up)", "target weight"),
            [(s.symbol, f"{s.probability_up:.4f}", f"{s.target_weight:+.2%}") for s in found],
        )
    )
    return found


def paper_window(container: Container, days: int, symbols: Sequence[str] | None) -> pd.DataFrame:
    bars = container.bar_store().read_bars(symbols)
    if bars.empty:
        raise DataError("bar store is empty: generate or import data first")
    timestamps = sorted(bars["timestamp"].unique())
    if len(timestamps) < days:
        raise DataError(f"only {len(timestamps)} bars stored, fewer than the {days} to paper-trade")
    return bars[bars["timestamp"] >= timestamps[-days]]


def paper(
    container: Container, days: int, account: str, symbols: Sequence[str] | None = None
) -> SessionSummary:
    settings = container.settings()
    window = paper_window(container, days, symbols)
    model = load_model(container)
    start = window["timestamp"].min()
    until = training_workflows.trained_until(model)
    if pd.Timestamp(until) >= start:
        click.echo(
            f"Warning: model {model.name} was trained on data until "
            f"{until[:10]}, inside the paper window: results are "
            "in-sample.",
            err=True,
        )
    feature_table = container.feature_store().load(FEATURES_TABLE)
    window_features = feature_table[feature_table["timestamp"] >= start]
    session = TradingSession(
        account=account,
        broker=container.broker(),
        ledger=container.ledger(),
        limits=container.risk_limits(),
        signal_source=PrecomputedSignalSource.from_model(
            window_features, model, container.strategy()
        ),
        portfolio=Portfolio(cash=settings.backtest.initial_cash),
        rebalance_band=settings.risk.sizing.rebalance_band,
    )
    replay = FrameBarReplay(window)
    with progress(f"Paper trading {days} bars", days) as advance:
        summary = session.run(replay, on_bar=lambda done: advance(done, days))
    click.echo(
        f"Paper account {account}: {summary.bars_processed} bars, "
        f"{summary.orders_submitted} orders submitted, {summary.orders_rejected} rejected by risk, "
        f"{summary.fills} fills, {summary.open_orders} working; "
        f"equity {summary.final_equity:,.2f}"
    )
    return summary


def show_positions(container: Container, account: str) -> Portfolio:
    portfolio = container.ledger().load_portfolio(account)
    if portfolio is None:
        raise DataError(f"no positions recorded for account {account}: run `quantcli paper` first")
    held = {s: p for s, p in portfolio.positions.items() if not p.is_flat}
    marks: dict[str, Decimal] = {}
    if held:
        bars = container.bar_store().read_bars(sorted(held))
        last = bars.groupby("symbol")["close"].last()
        marks = {symbol: to_decimal(float(last[symbol]), f"{symbol} close") for symbol in held}
    rows = [
        (
            symbol,
            f"{position.quantity:,.0f}",
            f"{position.average_cost:,.2f}",
            f"{marks[symbol]:,.2f}",
            f"{position.unrealized_pnl(marks[symbol]):,.2f}",
            f"{position.realized_pnl:,.2f}",
        )
        for symbol, position in sorted(held.items())
    ]
    click.echo(f"Account {account}: cash {portfolio.cash:,.2f}, {len(held)} open position(s)")
    if rows:
        headers = ("symbol", "quantity", "avg cost", "last", "unrealized", "realized")
        click.echo(table(headers, rows))
    return portfolio
