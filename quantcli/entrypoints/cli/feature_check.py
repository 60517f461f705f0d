"""`quantcli features check`: prove on real or synthetic bars that no feature looks ahead."""

from __future__ import annotations

from collections.abc import Sequence

import click
import pandas as pd

from quantcli.application.features.leakage_check import DEFAULT_CUTS, LeakageReport, check_leakage
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.domain.errors import DataError, ValidationError
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.output import progress, table
from quantcli.entrypoints.container import Container

DEFAULT_SYMBOLS = 4
DEFAULT_BARS = 400
TRADING_DAYS_PER_YEAR = 252


@click.command("check")
@click.option("--symbol", "symbols", multiple=True, help="Only these stored symbols (repeatable).")
@click.option(
    "--bars",
    "bars_per_symbol",
    type=click.IntRange(min=2),
    default=DEFAULT_BARS,
    show_default=True,
    help="The latest bars of each symbol to check on.",
)
@click.option(
    "--cuts",
    type=click.IntRange(min=1),
    default=DEFAULT_CUTS,
    show_default=True,
    help="Cut times: data after each is changed, then dropped.",
)
@click.option(
    "--synthetic", is_flag=True, help="Check on a synthetic sample instead of the stored bars."
)
@click.pass_obj
def check(
    app: AppContext,
    symbols: tuple[str, ...],
    bars_per_symbol: int,
    cuts: int,
    synthetic: bool,
) -> None:
    """Recompute every feature and the target with the data after a cut changed or removed;
    fail (exit 1), naming the features, if any value at or before the cut moved."""
    check_features(app.container, list(symbols), bars_per_symbol, cuts, synthetic=synthetic)


def sample_bars(
    container: Container, symbols: Sequence[str], bars_per_symbol: int, *, synthetic: bool
) -> pd.DataFrame:
    """The latest `bars_per_symbol` bars of each symbol, read one symbol at a time."""
    bar_store = container.bar_store()
    stored = bar_store.symbols()
    if synthetic or not stored:
        if symbols:
            raise click.BadParameter("--symbol picks stored bars", param_hint="--symbol")
        if not synthetic:
            click.echo("No stored bars: checking a synthetic sample.")
        years = bars_per_symbol / TRADING_DAYS_PER_YEAR + 0.05
        source = container.synthetic_source(n_symbols=DEFAULT_SYMBOLS, years=years)
        bars = source.fetch_bars()
        return bars.groupby("symbol", group_keys=False).tail(bars_per_symbol)
    chosen = stored_symbols(bar_store, symbols) if symbols else stored[:DEFAULT_SYMBOLS]
    return pd.concat(
        [bar_store.read_bars([symbol]).tail(bars_per_symbol) for symbol in chosen],
        ignore_index=True,
    )


def check_features(
    container: Container,
    symbols: Sequence[str],
    bars_per_symbol: int,
    cuts: int,
    *,
    synthetic: bool = False,
) -> LeakageReport:
    spec = container.feature_spec()
    bars = sample_bars(container, symbols, bars_per_symbol, synthetic=synthetic)
    longest = int(bars.groupby("symbol").size().max())
    if longest <= spec.lookback + 1:
        raise DataError(
            f"{longest} bars per symbol do not reach past the features' lookback of "
            f"{spec.lookback} bars: check on more (--bars)"
        )
    seed = container.settings().quantcli.seed
    with progress(f"Checking {len(spec.feature_names)} features for look-ahead", cuts) as advance:
        report = check_leakage(bars, spec, cuts=cuts, seed=seed, on_progress=advance)
    click.echo(
        f"Checked {len(spec.feature_names)} features and the {spec.target.kind.value} target "
        f"on {len(report.symbols)} symbol(s), {report.bars:,} bars, at {len(report.cuts)} cut "
        f"times (definition hash {spec.definition_hash[:12]})"
    )
    if report.passed:
        click.echo("No look-ahead: every value at or before each cut stayed the same.")
        return report
    rows = []
    for found in report.checks:
        if found.leak is None:
            continue
        difference = found.leak.difference
        rows.append(
            (
                found.name,
                found.leak.symbol,
                found.leak.timestamp.isoformat(),
                found.leak.cut.isoformat(),
                found.leak.change.value,
                "n/a" if difference is None else f"{difference:.6g}",
            )
        )
    click.echo(table(("leaking", "symbol", "first at", "cut", "future", "difference"), rows))
    raise ValidationError(
        f"look-ahead in {', '.join(report.leaking)}: values at or before a cut changed when "
        "the bars after it did"
    )
