"""`quantcli features|train|backtest|signals`: the research path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from quantcli.application.strategy.rule_strategies import SmaCrossStrategy, WeightsStrategy
from quantcli.entrypoints.cli import (
    backtest_workflows,
    feature_check,
    training_workflows,
    workflows,
)
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.dates import UTC_DATE
from quantcli.entrypoints.cli.model_commands import VERSION
from quantcli.entrypoints.cli.strategy_options import (
    MODEL,
    SMA_CROSS,
    EntryPointStrategy,
    check_call,
    load_entry_point,
    parse_grid,
    parse_parameter_grid,
    parse_walk_forward,
)


@click.group()
def features() -> None:
    """Build features from stored bars, and check that none looks ahead."""


@features.command()
@click.option("--symbol", "symbols", multiple=True, help="Only these symbols (repeatable).")
@click.pass_obj
def build(app: AppContext, symbols: tuple[str, ...]) -> None:
    """Compute the configured features and target (models.yaml) symbol by symbol."""
    workflows.features(app.container, list(symbols) or None)


features.add_command(feature_check.check)


@click.command()
@click.option("--until", type=UTC_DATE, help="Train only on labels known by this date (UTC).")
@click.pass_obj
def train(app: AppContext, until: datetime | None) -> None:
    """Train the stacked ensemble (models.yaml `ensemble`), judge it by combinatorial purged CV
    and the gates, and register it as a new model version with its audit trail."""
    workflows.train(app.container, until)


@click.command()
@click.option("--trials", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), help="Stop starting trials after S s.")
@click.pass_obj
def tune(app: AppContext, trials: int, timeout: float | None) -> None:
    """Tune the ensemble's hyperparameters with Optuna; each trial is scored by the mean CPCV
    path Sharpe (pruned early on its running AUC) and recorded for the deflated Sharpe ratio."""
    training_workflows.tune(app.container, trials, timeout)


@click.command()
@click.argument("model", default=training_workflows.MODEL_NAME)
@click.option("--version", type=VERSION, default=None, help="Default: production, else the latest.")
@click.pass_obj
def validate(app: AppContext, model: str, version: int | None) -> None:
    """Print each gate (PSR, DSR, MinTRL, Sharpe, drawdown) of MODEL with its value and threshold;
    exit 1 when any fails."""
    training_workflows.validate(app.container, model, version)


@click.command()
@click.option(
    "--strategy",
    default=None,
    help=f"Default: backtest.default_strategy. {MODEL} (the trained model's out-of-sample "
    f"predictions), {SMA_CROSS} "
    "(backtest.sma_cross), or a Python entry point pkg.module:function taking the bar frame "
    "and returning target weights (timestamps x symbols).",
)
@click.option(
    "--sweep",
    "sweep_values",
    multiple=True,
    metavar="NAME=GRID",
    help="Sweep a parameter grid (repeat per parameter). With --strategy sma_cross: "
    "fast=START:STOP[:STEP] and slow=A,B,C. With an entry point pkg.module:function, any "
    "NAME=START:STOP[:STEP] or NAME=A,B,C: each point calls function(bars, NAME=value, ...).",
)
@click.option(
    "--walk-forward",
    "walk_forward",
    metavar="TRAIN:TEST",
    help="With --sweep: per symbol, pick the best-Sharpe pair on each TRAIN-bar window and trade "
    "it on the next TEST bars; prints and saves the out-of-sample result per window and writes "
    "the walk-forward HTML report.",
)
@click.option(
    "--anchored",
    is_flag=True,
    help="With --walk-forward: training windows all start at the first bar (default: rolling).",
)
@click.option("--symbol", "symbols", multiple=True, help="Only these symbols (repeatable).")
@click.option(
    "--model",
    "model_name",
    metavar="NAME",
    help=f"With --strategy {MODEL}: the registered model (default: "
    f"{training_workflows.MODEL_NAME}).",
)
@click.option(
    "--version",
    "model_version",
    type=click.IntRange(min=1),
    help=f"With --strategy {MODEL}: the version whose own out-of-sample predictions are traded "
    "(default: production, else the latest).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the HTML report (default: data_dir/backtest.report_file).",
)
@click.pass_obj
def backtest(
    app: AppContext,
    *,
    strategy: str | None,
    sweep_values: tuple[str, ...],
    walk_forward: str | None,
    anchored: bool,
    symbols: tuple[str, ...],
    model_name: str | None,
    model_version: int | None,
    report_path: Path | None,
) -> None:
    """Backtest with commission and slippage; write the HTML report, or sweep parameters
    (optionally walk-forward: refit on each training window, trade the next test window).

    The model strategy trades one registered version's own out-of-sample predictions, kept
    with that version at `train`: the production version unless --model/--version choose."""
    chosen = list(symbols) or None
    strategy = strategy or app.settings.backtest.default_strategy
    if (model_name is not None or model_version is not None) and (
        strategy != MODEL or sweep_values
    ):
        option = "--model" if model_name is not None else "--version"
        raise click.BadParameter(
            f"{option} chooses the model version of --strategy {MODEL} (no --sweep)",
            param_hint=option,
        )
    if anchored and walk_forward is None:
        raise click.BadParameter("--anchored needs --walk-forward", param_hint="--anchored")
    if walk_forward is not None and not sweep_values:
        raise click.BadParameter(
            f"--walk-forward needs --sweep fast=... --sweep slow=... with --strategy {SMA_CROSS}",
            param_hint="--walk-forward",
        )
    if sweep_values and strategy not in (SMA_CROSS, MODEL) and walk_forward is None:
        function = load_entry_point(strategy)
        grid = parse_parameter_grid(sweep_values)
        check_call(strategy, function, tuple(grid))
        backtest_workflows.sweep_entry_point(
            app.container, EntryPointStrategy(strategy, function), strategy, grid, chosen
        )
        return
    if sweep_values:
        if strategy != SMA_CROSS:
            raise click.BadParameter(
                f"sweeps run the {SMA_CROSS} strategy or an entry point (not with "
                f"--walk-forward); got {strategy!r}",
                param_hint="--sweep",
            )
        grid = parse_grid(sweep_values, ("fast", "slow"))
        if walk_forward is not None:
            train_length, test_length = parse_walk_forward(walk_forward)
            longest = max(grid["slow"])
            if longest >= train_length:
                raise click.BadParameter(
                    f"{walk_forward!r}: TRAIN {train_length} must exceed the longest slow "
                    f"window {longest}",
                    param_hint="--walk-forward",
                )
            backtest_workflows.walk_forward_sweep(
                app.container,
                grid,
                chosen,
                train_length=train_length,
                test_length=test_length,
                mode="anchored" if anchored else "rolling",
                report_path=report_path,
            )
            return
        backtest_workflows.sweep(app.container, grid, chosen)
        return
    if strategy == MODEL:
        if chosen:
            raise click.BadParameter("the model backtest covers every predicted symbol")
        _, written = backtest_workflows.backtest_model(
            app.container,
            report_path,
            name=model_name or training_workflows.MODEL_NAME,
            version=model_version,
        )
    else:
        rule = _rule_strategy(app, strategy)
        _, written = backtest_workflows.backtest_strategy(
            app.container, rule, strategy, report_path, chosen
        )
    click.echo(f"Report written to {written.resolve()}")


def _rule_strategy(app: AppContext, strategy: str) -> WeightsStrategy:
    if strategy == SMA_CROSS:
        rule = app.settings.backtest.sma_cross
        return SmaCrossStrategy(
            fast=rule.fast,
            slow=rule.slow,
            allow_short=rule.allow_short,
            weight_per_symbol=app.settings.risk.sizing.max_weight_per_symbol,
        )
    function = load_entry_point(strategy)
    check_call(strategy, function)
    return EntryPointStrategy(strategy, function)


@click.command()
@click.option("--as-of", type=UTC_DATE, help="Bar date to signal on (default: the latest).")
@click.pass_obj
def signals(app: AppContext, as_of: datetime | None) -> None:
    """Print target weights for every symbol from the trained model."""
    workflows.signals(app.container, as_of)
