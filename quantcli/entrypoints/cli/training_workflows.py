"""`train` and `validate`: the stacked ensemble through CPCV, the gates and the registry."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import click
import yaml

from quantcli.application.features.build_features import FEATURES_TABLE, stored_definition_hash
from quantcli.application.modeling.ensemble import plan_parallelism
from quantcli.application.modeling.model_versions import chosen_model
from quantcli.application.modeling.ports import EstimatorFactory, TrainedModel
from quantcli.application.modeling.train_ensemble import (
    EnsembleRecipe,
    EnsembleTraining,
    FeatureSet,
    train_ensemble,
)
from quantcli.application.modeling.tune_ensemble import TrialReport, TuningResult, tune_ensemble
from quantcli.application.modeling.validate_model import ModelValidation, validate_model
from quantcli.application.validation.cpcv_evaluation import CpcvSettings, PathTrading
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.application.validation.validation_gates import GateThresholds
from quantcli.domain.errors import DataError, ModelError
from quantcli.entrypoints.cli.interrupts import quiet_interrupted_trial, stage
from quantcli.entrypoints.cli.model_output import gate_table
from quantcli.entrypoints.cli.output import count, decimal, note, ratio, seconds
from quantcli.entrypoints.container import (
    Container,
    catboost_params,
    lightgbm_params,
    xgboost_params,
)
from quantcli.entrypoints.settings.schema import Settings

MODEL_NAME = "direction-ensemble"


def ensemble_recipe(container: Container, settings: Settings | None = None) -> EnsembleRecipe:
    """Base-model factories with thread counts that keep concurrent fits within the cores;
    model parameters from `settings` (default: the container's)."""
    settings = settings or container.settings()
    models = settings.models
    ensemble = models.ensemble
    plan = plan_parallelism(ensemble.parallel_fits or True)
    threads = plan.threads_per_model
    makers: dict[str, Callable[[], Any]] = {
        "lightgbm": functools.partial(
            container.estimator,
            params=lightgbm_params(settings),
            num_boost_round=models.lightgbm.num_boost_round,
            num_threads=threads,
        ),
        "xgboost": functools.partial(
            container.xgboost_estimator,
            params=xgboost_params(settings),
            num_boost_round=models.xgboost.num_boost_round,
            num_threads=threads,
        ),
        "catboost": functools.partial(
            container.catboost_estimator,
            params=catboost_params(settings),
            iterations=models.catboost.iterations,
            num_threads=threads,
        ),
    }
    bases: dict[str, EstimatorFactory] = {name: makers[name] for name in ensemble.base_models}
    meta: EstimatorFactory
    if ensemble.meta_learner == "ridge":
        meta = functools.partial(container.ridge_meta_learner, alpha=1.0 / ensemble.meta_c)
    else:
        meta = functools.partial(container.meta_learner, c=ensemble.meta_c)
    training = models.training
    return EnsembleRecipe(
        base_factories=bases,
        meta_factory=meta,
        inner_splitter=PurgedWalkForward(
            n_splits=ensemble.inner_folds,
            purge_bars=training.purge_bars,
            embargo_bars=training.embargo_bars,
            min_train_fraction=training.min_train_fraction,
        ),
        parallel=plan.workers,
        parameters=_parameters(settings, threads),
    )


def with_parameters(settings: Settings, parameters: Mapping[str, Mapping[str, Any]]) -> Settings:
    """`settings` with `{model: {parameter: value}}` applied to models.<model> (validated)."""
    models = settings.models
    changes = {
        model: attrs.evolve(getattr(models, model), **values)
        for model, values in parameters.items()
    }
    return attrs.evolve(settings, models=attrs.evolve(models, **changes))


def gate_thresholds(settings: Settings) -> GateThresholds:
    gates = settings.models.gates
    return GateThresholds(
        psr=gates.psr,
        dsr=gates.dsr,
        benchmark_sharpe=gates.benchmark_sharpe,
        min_sharpe=gates.min_sharpe,
        min_worst_path_sharpe=gates.min_worst_path_sharpe,
        max_drawdown=gates.max_drawdown,
    )


def train(container: Container, until: datetime | None = None) -> EnsembleTraining:
    """Train, validate and register the stacked ensemble; print what it found."""
    settings = container.settings()
    spec = container.feature_spec()
    feature_store = container.feature_store()
    feature_table = feature_store.load(FEATURES_TABLE)
    built_with = stored_definition_hash(feature_store)
    if built_with is not None and built_with != spec.definition_hash:
        raise DataError(
            f"the feature table was built with definition hash {built_with[:12]}, the "
            f"configuration now gives {spec.definition_hash[:12]}: "
            "run `quantcli features build` again"
        )
    cpcv = settings.models.cpcv
    recipe = ensemble_recipe(container)
    registry = container.model_registry()
    discard_debris(registry, feature_store)
    splits = math.comb(cpcv.n_folds, cpcv.n_test_folds)
    note(
        f"Training {'+'.join(recipe.base_factories)} stack "
        f"(CPCV {cpcv.n_folds} folds, {cpcv.n_test_folds} tested: {count(splits)} splits)"
    )

    done = [0]

    def split_done(index: int, mean_auc: float) -> None:
        done[0] = index + 1
        final = "; fitting the final ensemble on every row" if index + 1 == splits else ""
        note(f"  split {index + 1}/{splits}: mean out-of-sample AUC {decimal(mean_auc)}{final}")

    def where() -> str:
        if done[0] < splits:
            return f"stopped at split {done[0] + 1} of {splits}, no model version registered"
        return (
            "while fitting the final ensemble or registering it: `quantcli models list` shows "
            "whether a version was registered"
        )

    with stage("training", where):
        result = train_ensemble(
            feature_table,
            feature_set=FeatureSet(spec.feature_names, spec.definition_hash, spec.metadata()),
            recipe=recipe,
            cpcv=CpcvSettings(cpcv.n_folds, cpcv.n_test_folds, cpcv.embargo_fraction),
            trading=PathTrading(
                strategy=container.strategy(),
                cost_bps=settings.models.gates.cost_bps,
                horizon=settings.models.target.horizon,
            ),
            thresholds=gate_thresholds(settings),
            registry=registry,
            feature_store=feature_store,
            model_name=MODEL_NAME,
            until=until,
            seed=settings.quantcli.seed,
            on_split=split_done,
        )
    _print_training(result)
    return result


def discard_debris(*stores: object) -> None:
    """Let each store remove what an interrupted run left (temporary folders and files)."""
    for store in stores:
        discard = getattr(store, "discard_debris", None)
        if callable(discard):
            discard()


def validate(container: Container, name: str, version: int | None) -> ModelValidation:
    """Print every gate of a registered model; ModelError (exit 1) when any fails."""
    validation = validate_model(
        container.model_registry(),
        container.feature_store(),
        name,
        version=version,
        thresholds=gate_thresholds(container.settings()),
    )
    chosen = validation.version
    click.echo(
        f"Model {chosen.name} v{chosen.version} ({chosen.stage}), "
        f"{validation.trials.n_trials} tuning trial(s):"
    )
    click.echo(gate_table(validation.gates))
    if not validation.passed:
        raise ModelError(
            f"model {chosen.name} v{chosen.version} fails gate(s): "
            f"{', '.join(validation.failures())}"
        )
    click.echo("All gates pass.")
    return validation


def load_model(container: Container, version: int | None = None) -> TrainedModel:
    """Version `version` of the ensemble, None: the production version, else the latest;
    prints which version it is (`Model: direction-ensemble v2 (production)`), as signals,
    paper and live use it."""
    version, model = chosen_model(container.model_registry(), MODEL_NAME, version)
    click.echo(f"Model: {version.label}")
    return model


def trained_until(model: TrainedModel) -> str:
    """The last timestamp the model's labels came from (ISO), whatever metadata it has."""
    data_range = model.metadata.get("data_range")
    if isinstance(data_range, dict) and "until" in data_range:
        return str(data_range["until"])
    return str(model.metadata["trained_until"])


def _print_training(result: EnsembleTraining) -> None:
    evaluation = result.evaluation
    summary = evaluation.as_dict()
    version = result.version
    click.echo(
        f"Model {version.name} v{version.version} registered ({version.stage}): "
        f"{count(result.model.metadata['data_range']['rows'])} labelled rows, "
        f"{count(len(result.model.feature_names))} features, {seconds(result.training_seconds)}"
    )
    click.echo(
        f"  CPCV: {count(evaluation.n_splits)} splits, {count(evaluation.n_paths)} paths; "
        f"out-of-sample accuracy {decimal(summary['mean_accuracy'])}, "
        f"AUC {decimal(summary['mean_auc'])}, path Sharpe {ratio(min(evaluation.path_sharpes))} "
        f".. {ratio(max(evaluation.path_sharpes))}"
    )
    pairs = ", ".join(
        f"{p.first}~{p.second} {ratio(p.correlation)}" for p in result.diversity.pairs
    )
    click.echo(f"  Base-model correlation (out of fold): {pairs or 'one model'}")
    if result.diversity.warnings:
        click.echo(
            f"  Warning: {len(result.diversity.warnings)} pair(s) above "
            f"{result.diversity.correlation_threshold:g}: the base models add little diversity",
            err=True,
        )
    click.echo(gate_table(result.gates, with_detail=False))
    click.echo(
        "All gates pass."
        if result.passed
        else f"Gates failed: {', '.join(g.name for g in result.gates if not g.passed)} "
        "(registered as a candidate; `quantcli validate` shows the details)"
    )
    for line in result.features.format_lines(max_recommendations=5):
        click.echo(f"  {line}")


def _parameters(settings: Settings, threads: int) -> dict[str, Any]:
    models = settings.models
    return {
        "lightgbm": attrs.asdict(models.lightgbm),
        "xgboost": attrs.asdict(models.xgboost),
        "catboost": attrs.asdict(models.catboost),
        "ensemble": {**attrs.asdict(models.ensemble), "threads_per_model": threads},
        "cpcv": attrs.asdict(models.cpcv),
        "training": attrs.asdict(models.training),
    }


def tune(
    container: Container, n_trials: int, timeout_seconds: float | None
) -> tuple[TuningResult, Path]:
    """Tune the ensemble by CPCV; save every trial and write the best parameters as a config
    override file for `quantcli --config FILE train`."""
    settings = container.settings()
    spec = container.feature_spec()
    feature_store = container.feature_store()
    cpcv = settings.models.cpcv
    discard_debris(feature_store)
    note(f"Tuning: {count(n_trials)} trial(s), each scored by CPCV over {cpcv.n_folds} folds")
    trials = [0]

    def where() -> str:
        return (
            f"stopped after {trials[0]} of {n_trials} trial(s), none saved and no best "
            "parameters written"
        )

    def trial_done(report: TrialReport) -> None:
        trials[0] = report.number
        note(trial_line(report))

    with quiet_interrupted_trial(), stage("tuning", where):
        result = tune_ensemble(
            feature_store.load(FEATURES_TABLE),
            feature_set=FeatureSet(spec.feature_names, spec.definition_hash, spec.metadata()),
            make_recipe=lambda params: ensemble_recipe(
                container, with_parameters(settings, params)
            ),
            cpcv=CpcvSettings(cpcv.n_folds, cpcv.n_test_folds, cpcv.embargo_fraction),
            trading=PathTrading(
                strategy=container.strategy(),
                cost_bps=settings.models.gates.cost_bps,
                horizon=settings.models.target.horizon,
            ),
            feature_store=feature_store,
            n_trials=n_trials,
            seed=settings.quantcli.seed,
            timeout_seconds=timeout_seconds,
            on_trial=trial_done,
        )
    path = settings.quantcli.data_dir / "tuning" / "best_models.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"models": {m: dict(p) for m, p in result.best_parameters.items()}}
    path.write_text(
        "# Best CPCV Sharpe of the tuning trials; use with `quantcli --config THIS_FILE train`.\n"
        + yaml.safe_dump(document, sort_keys=True),
        encoding="utf-8",
    )
    states = result.trials["state"].value_counts().to_dict()
    click.echo(
        f"{count(len(result.trials))} trial(s): {count(states.get('complete', 0))} complete, "
        f"{count(states.get('pruned', 0))} pruned; "
        f"best mean path Sharpe {ratio(result.best_sharpe)}. "
        f"{count(result.total_trials)} trial(s) on record count toward the deflated Sharpe ratio."
    )
    click.echo(f"Best parameters written to {path.resolve()}")
    return result, path


def trial_line(report: TrialReport) -> str:
    """`trial 3/20: Sharpe 0.49, AUC 0.5123 (best Sharpe 0.61)`, or where it was pruned."""
    best = "" if report.best_sharpe is None else f" (best Sharpe {ratio(report.best_sharpe)})"
    if report.state == "pruned":
        return (
            f"  trial {report.number}/{report.total}: pruned at split {report.pruned_at_split} "
            f"(mean AUC {decimal(report.auc)}){best}"
        )
    return (
        f"  trial {report.number}/{report.total}: Sharpe {ratio(report.sharpe)}, "
        f"AUC {decimal(report.auc)}{best}"
    )
