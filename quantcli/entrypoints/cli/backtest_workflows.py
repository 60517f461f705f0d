"""Backtests from the command line: the model's out-of-sample predictions, a rule or user
strategy, parameter sweeps and walk-forward sweeps; each prints its results, and backtests and
walk-forward sweeps write an HTML report."""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import click
import pandas as pd

from quantcli import kernels
from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.parameter_sweep import sweep_sma_crossover
from quantcli.application.backtest.report_tearsheet import read_benchmark_closes
from quantcli.application.backtest.run_backtest import run_backtest, run_strategy_backtest
from quantcli.application.backtest.strategy_sweep import sweep_strategy
from quantcli.application.backtest.walk_forward import WindowMode
from quantcli.application.backtest.walk_forward_sweep import (
    WalkForwardSweep,
    walk_forward_sma_crossover,
)
from quantcli.application.modeling.model_versions import chosen_predictions
from quantcli.application.strategy.rule_strategies import WeightsStrategy
from quantcli.application.strategy.strategy_weights import LeverageLimit
from quantcli.application.strategy.weight_sizing import sizing_description
from quantcli.entrypoints.cli.output import money, percent, ratio, table
from quantcli.entrypoints.cli.training_workflows import MODEL_NAME
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.settings.schema import CostModelSettings, MarginSettings, Settings


def backtest_model(
    container: Container,
    report_path: Path | None = None,
    *,
    name: str = MODEL_NAME,
    version: int | None = None,
) -> tuple[BacktestResult, Path]:
    """Backtest one model version's own out-of-sample predictions (stored with the version at
    `train`) through the threshold strategy; `version` None: production, else the latest."""
    settings = container.settings()
    sizing = container.sizing_policy()
    chosen, predictions = chosen_predictions(container.model_registry(), name, version)
    click.echo(f"Model: {chosen.label}")
    result = run_backtest(
        container.bar_store(),
        predictions,
        strategy=container.strategy(),
        sizing=sizing,
        **_costs(container),
    )
    configuration = {
        "strategy": attrs.asdict(container.strategy()),
        "model": chosen.label,
        "predictions": "out-of-sample: the mean over the CPCV test paths of each row",
        # risk.sizing.method, as paper and live sessions size the same signals.
        "sizing": sizing_description(sizing),
        **_cost_configuration(container),
    }
    title = "out-of-sample predictions"
    path = report_path or settings.report_path
    written = _report(container, result, title, configuration, path, model_version=chosen.label)
    return result, written


def backtest_strategy(
    container: Container,
    strategy: WeightsStrategy,
    name: str,
    report_path: Path | None = None,
    symbols: Sequence[str] | None = None,
) -> tuple[BacktestResult, Path]:
    """Backtest a strategy that maps bars to target weights (built-in rule or entry point)."""
    result = run_strategy_backtest(
        container.bar_store(),
        strategy,
        symbols=symbols,
        leverage_limit=leverage_limit(container.settings()),
        name=name,
        **_costs(container),
    )
    configuration = {
        "strategy": name,
        # Rules and user strategies choose their own weights; risk.sizing sizes model signals.
        "sizing": "the strategy's own target weights (risk.sizing.method sizes model signals)",
        **_cost_configuration(container),
    }
    if attrs.has(type(strategy)):
        configuration["parameters"] = attrs.asdict(strategy)
    path = report_path or container.settings().report_path
    return result, _report(container, result, f"strategy {name}", configuration, path)


def sweep(
    container: Container, grid: Mapping[str, list[int]], symbols: Sequence[str] | None
) -> pd.DataFrame:
    """Sweep the SMA crossover over `grid` and print the best rows by Sharpe."""
    rules_settings = container.settings().backtest.sweep
    results = sweep_sma_crossover(
        container.bar_store(),
        fast_windows=grid["fast"],
        slow_windows=grid["slow"],
        rules=_sweep_rules(container),
        initial_cash=rules_settings.initial_cash,
        symbols=symbols,
    )
    path = container.settings().quantcli.data_dir / "reports" / "sweep_sma_cross.csv"
    _write_csv(results, path)
    per_symbol = len(results) // results["symbol"].nunique()
    click.echo(
        f"Swept {per_symbol:,} (fast, slow) pairs on {results['symbol'].nunique()} symbol(s); "
        f"best {min(rules_settings.top, len(results))} by Sharpe:"
    )
    best = results.head(rules_settings.top)
    click.echo(
        table(
            ("symbol", "fast", "slow", "Sharpe", "total return", "trades"),
            [
                (
                    row.symbol,
                    int(row.fast),
                    int(row.slow),
                    ratio(row.sharpe),
                    percent(row.total_return),
                    int(row.trades),
                )
                for row in best.itertuples(index=False)
            ],
        )
    )
    click.echo(f"All {len(results):,} rows: {path.resolve()}")
    return results


def sweep_entry_point(
    container: Container,
    function: Any,
    name: str,
    grid: Mapping[str, list[object]],
    symbols: Sequence[str] | None,
) -> pd.DataFrame:
    """Sweep a user strategy `function(bars, **parameters)` over `grid`, one full-cost backtest
    per point, and print the best points by Sharpe."""

    def make_strategy(**parameters: object) -> WeightsStrategy:
        return functools.partial(function, **parameters)

    results = sweep_strategy(
        container.bar_store(),
        make_strategy,
        grid,
        symbols=symbols,
        leverage_limit=leverage_limit(container.settings()),
        name=name,
        **_costs(container),
    )
    path = container.settings().quantcli.data_dir / "reports" / "sweep_strategy.csv"
    _write_csv(results, path)
    top = container.settings().backtest.sweep.top
    skipped = results.attrs.get("skipped", 0)
    click.echo(
        f"Swept {len(results):,} parameter sets of {name}"
        + (f" ({skipped} rejected by the strategy)" if skipped else "")
        + f"; best {min(top, len(results))} by Sharpe:"
    )
    names = list(grid)
    click.echo(
        table(
            (*names, "Sharpe", "total return", "max drawdown", "trades"),
            [
                (
                    *(str(getattr(row, n)) for n in names),
                    ratio(row.sharpe),
                    percent(row.total_return),
                    percent(row.max_drawdown),
                    int(row.trade_count),
                )
                for row in results.head(top).itertuples(index=False)
            ],
        )
    )
    click.echo(f"All {len(results):,} rows: {path.resolve()}")
    return results


def walk_forward_sweep(
    container: Container,
    grid: Mapping[str, list[int]],
    symbols: Sequence[str] | None,
    *,
    train_length: int,
    test_length: int,
    mode: WindowMode,
    report_path: Path | None = None,
) -> tuple[WalkForwardSweep, Path]:
    """Walk-forward optimize the SMA crossover over `grid`; print and save each window, and
    write the HTML report (default: where the backtest report goes)."""
    sweep_settings = container.settings().backtest.sweep
    result = walk_forward_sma_crossover(
        container.bar_store(),
        fast_windows=grid["fast"],
        slow_windows=grid["slow"],
        rules=_sweep_rules(container),
        initial_cash=container.settings().backtest.sweep.initial_cash,
        train_length=train_length,
        test_length=test_length,
        mode=mode,
        symbols=symbols,
    )
    windows = result.window_table()
    path = container.settings().quantcli.data_dir / "reports" / "walk_forward_sma_cross.csv"
    _write_csv(windows, path)
    click.echo(
        f"Walk-forward SMA crossover ({mode}, train {train_length} bars, test {test_length} "
        f"bars): best-Sharpe pair of each training window, traded out of sample:"
    )
    click.echo(
        table(
            ("symbol", "window start", "window end", "fast", "slow", "test return"),
            [
                (
                    run.symbol,
                    f"{window.window.test.first_at:%Y-%m-%d}",
                    f"{window.window.test.last_at:%Y-%m-%d}",
                    pair.fast,
                    pair.slow,
                    percent(window.metrics["total_return"]),
                )
                for run in result.symbols
                for window, pair in zip(run.walk.windows, run.pairs, strict=True)
            ],
        )
    )
    for run in result.symbols:
        click.echo(
            f"{run.symbol}: {len(run.walk.windows)} window(s) out of sample, "
            f"total return {percent(run.total_return)}, Sharpe {ratio(run.sharpe)}, "
            f"max drawdown {percent(run.max_drawdown)}"
        )
    click.echo(f"Windows: {path.resolve()}")
    configuration = {
        "strategy": "sma_cross",
        "grid": {"fast": list(grid["fast"]), "slow": list(grid["slow"])},
        "symbols": [run.symbol for run in result.symbols],
        "sweep": attrs.asdict(sweep_settings),
        "selection": "best in-sample Sharpe of each training window",
        "windows": str(path.resolve()),
    }
    lookahead = (
        "sweep fills are at the same bar's close (backtest.sweep.fill: same_close)."
        if sweep_settings.fill == "same_close"
        else None
    )
    report = result.report(
        f"QuantCLI walk-forward: SMA crossover ({mode})", configuration, lookahead_warning=lookahead
    )
    written = container.report_writer().write_walk_forward(
        report, report_path or container.settings().report_path
    )
    click.echo(f"Report written to {written.resolve()}")
    return result, written


def leverage_limit(settings: Settings) -> LeverageLimit:
    """The gross exposure a strategy's weights may ask for: the backtest's margin limit (the
    tighter of margin.max_leverage and 1 / margin.initial_margin) when one is set, else the
    gross limit paper and live sessions hold orders to (risk.limits.max_gross_exposure)."""
    margin = settings.backtest.margin
    limits = []
    if margin.max_leverage is not None:
        limits.append(LeverageLimit(margin.max_leverage, "backtest.margin.max_leverage"))
    if margin.initial_margin > 0:
        limits.append(
            LeverageLimit(1.0 / margin.initial_margin, "1 / backtest.margin.initial_margin")
        )
    if limits:
        return min(limits, key=lambda limit: limit.gross)
    return LeverageLimit(settings.risk.limits.max_gross_exposure, "risk.limits.max_gross_exposure")


def _sweep_rules(container: Container) -> kernels.SignalRules:
    rules_settings = container.settings().backtest.sweep
    return kernels.SignalRules(
        fill=rules_settings.fill,  # type: ignore[arg-type]  # validated by the settings schema
        sizing=rules_settings.sizing,  # type: ignore[arg-type]
        commission_rate=rules_settings.commission_rate,
        allow_short=rules_settings.allow_short,
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` to a temporary file beside `path`, then rename it over `path`: readers
    see the old table or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            frame.to_csv(stream, index=False)
        os.chmod(staging, 0o644)  # mkstemp makes it owner-only; a report is meant to be shared
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def _costs(container: Container) -> dict[str, Any]:
    settings = container.settings()
    return {
        "commission": settings.backtest.commission.to_schedule(),
        "slippage": settings.backtest.to_slippage_model(),
        "initial_cash": settings.backtest.initial_cash,
        "rebalance_band": settings.risk.sizing.rebalance_band,
        "costs": _cost_model(settings.backtest.costs),
        "margin": _margin_rules(settings.backtest.margin),
    }


def _cost_model(costs: CostModelSettings) -> kernels.CostModel:
    """The simulator's cost model beyond commission and slippage (which backtest_weights adds)."""
    return kernels.CostModel(
        commission_maximum_fraction=_or_infinite(costs.commission_maximum_fraction),
        commission_tiers=tuple(
            (tier.from_shares, tier.per_share) for tier in costs.commission_tiers
        ),
        spread_bps=costs.spread_bps,
        volume_slippage=costs.volume_slippage,
        square_root_impact=costs.square_root_impact,
        temporary_impact=costs.temporary_impact,
        permanent_impact=costs.permanent_impact,
        participation_rate=_or_infinite(costs.participation_rate),
        borrow_rate=costs.borrow_rate,
    )


def _margin_rules(margin: MarginSettings) -> kernels.MarginRules:
    return kernels.MarginRules(
        max_leverage=_or_infinite(margin.max_leverage),
        initial_margin=margin.initial_margin,
        maintenance_margin=margin.maintenance_margin,
    )


def _or_infinite(limit: float | None) -> float:
    """null in the settings means no limit, which the simulator spells as infinity."""
    return math.inf if limit is None else limit


def _cost_configuration(container: Container) -> dict[str, Any]:
    settings = container.settings()
    return {
        "commission": attrs.asdict(settings.backtest.commission),
        "slippage_bps": str(settings.backtest.slippage_bps),
        "rebalance_band": settings.risk.sizing.rebalance_band,
        "initial_cash": str(settings.backtest.initial_cash),
        "fills": "next bar's open plus slippage, whole shares",
        "costs": attrs.asdict(settings.backtest.costs),
        "margin": attrs.asdict(settings.backtest.margin),
    }


def _report(
    container: Container,
    result: BacktestResult,
    title: str,
    configuration: Mapping[str, Any],
    path: Path,
    *,
    model_version: str | None = None,
) -> Path:
    summary = result.summary
    start, end = result.equity.index[0], result.equity.index[-1]
    click.echo(f"Backtest of {title}, {start:%Y-%m-%d} to {end:%Y-%m-%d}:")
    if "sizing" in configuration:
        click.echo(f"Sizing: {configuration['sizing']}")
    rows: list[tuple[str, object]] = [
        ("total return", percent(summary.total_return)),
        ("CAGR", percent(summary.cagr)),
        ("annualized volatility", percent(summary.annualized_volatility)),
        ("Sharpe", ratio(summary.sharpe)),
        ("Sortino", ratio(summary.sortino)),
        ("Calmar", ratio(summary.calmar)),
        ("max drawdown", percent(summary.max_drawdown)),
        ("max drawdown duration (bars)", summary.max_drawdown_duration),
        ("probabilistic Sharpe (vs 0)", ratio(summary.probabilistic_sharpe)),
        ("turnover (annualized)", ratio(summary.turnover)),
        ("trades", summary.trade_count),
    ]
    if summary.win_rate is not None and summary.profit_factor is not None:
        rows.append(("win rate (round trips)", percent(summary.win_rate)))
        rows.append(("profit factor", ratio(summary.profit_factor)))
    rows.append(("commission paid", money(result.trades["commission"].sum())))
    if result.costs is not None:
        rows.append(("total costs", money(sum(result.costs.values()))))
    if summary.exposure is not None:
        rows.insert(9, ("exposure", percent(summary.exposure)))
    counts = result.counts
    for label, count in (
        ("margin calls", counts.margin_calls),
        ("orders cut by margin", counts.orders_cut),
        ("orders rejected by margin", counts.orders_rejected),
    ):
        if count:
            rows.append((label, count))
    click.echo(table(("metric", "value"), rows))
    annualization = result.annualized_with.describe()
    click.echo(f"Annualized with {annualization}.")
    report_settings = container.settings().backtest.report
    benchmark = report_settings.benchmark
    report = result.report(
        f"QuantCLI backtest: {title}",
        {
            **configuration,
            "annualization": annualization,
            "report": attrs.asdict(report_settings),
        },
        benchmark_closes=(
            read_benchmark_closes(container.bar_store(), benchmark, result.equity.index)
            if benchmark is not None
            else None
        ),
        currency=report_settings.currency,
        model_version=model_version,
    )
    return container.report_writer().write(report, path)
