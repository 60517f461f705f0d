"""Use case: tune the ensemble's hyperparameters with Optuna, scored by CPCV, every trial kept.

The objective is the mean annualized Sharpe ratio of the CPCV paths, the same number the gates
judge. After each CPCV split the running mean test AUC is reported, so Optuna's median pruner
stops trials that are already behind. Every trial (completed or pruned) is appended to
TRIALS_TABLE: the deflated Sharpe ratio of any model trained afterwards counts them all and
uses the spread of their Sharpe ratios.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import optuna
import pandas as pd

from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.train_ensemble import (
    TRIALS_TABLE,
    EnsembleRecipe,
    FeatureSet,
    TrainingRows,
    labelled_sample,
)
from quantcli.application.validation.cpcv_evaluation import CpcvSettings, PathTrading, evaluate_cpcv
from quantcli.domain.errors import DataError, ValidationError

# One searched hyperparameter: (low, high, log scale) for floats, (low, high) for ints.
Parameters = dict[str, Any]
RecipeFactory = Callable[[Parameters], EnsembleRecipe]


@attrs.frozen
class TrialReport:
    """One finished trial, as `on_trial` hears it."""

    number: int  # 1-based
    total: int  # trials asked for
    state: str  # "complete" or "pruned"
    auc: float  # mean test AUC (over the splits run, for a pruned trial)
    sharpe: float | None  # mean CPCV path Sharpe; None when pruned
    best_sharpe: float | None  # the best completed trial's so far, this one included
    pruned_at_split: int | None = None  # 1-based split after which it was pruned


TrialProgress = Callable[[TrialReport], None]


@attrs.frozen
class SearchDimension:
    """`name` is `<model>.<parameter>`, e.g. `lightgbm.num_leaves`."""

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def __attrs_post_init__(self) -> None:
        if "." not in self.name:
            raise ValidationError(f"search dimension {self.name!r}: name it <model>.<parameter>")
        if not self.low < self.high:
            raise ValidationError(f"search dimension {self.name}: low must be below high")
        if self.log and self.low <= 0:
            raise ValidationError(f"search dimension {self.name}: a log scale needs low > 0")

    def suggest(self, trial: optuna.Trial) -> float | int:
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


DEFAULT_SEARCH_SPACE: tuple[SearchDimension, ...] = (
    SearchDimension("lightgbm.num_leaves", 7, 63, log=True, integer=True),
    SearchDimension("lightgbm.learning_rate", 0.01, 0.2, log=True),
    SearchDimension("lightgbm.min_data_in_leaf", 50, 800, log=True, integer=True),
    SearchDimension("lightgbm.feature_fraction", 0.4, 1.0),
    SearchDimension("lightgbm.lambda_l2", 1e-3, 30.0, log=True),
    SearchDimension("xgboost.max_depth", 2, 6, integer=True),
    SearchDimension("xgboost.learning_rate", 0.01, 0.2, log=True),
    SearchDimension("xgboost.min_child_weight", 1.0, 50.0, log=True),
    SearchDimension("xgboost.subsample", 0.5, 1.0),
    SearchDimension("catboost.depth", 3, 7, integer=True),
    SearchDimension("catboost.learning_rate", 0.01, 0.2, log=True),
    SearchDimension("catboost.l2_leaf_reg", 0.1, 30.0, log=True),
)


@attrs.frozen(eq=False)
class TuningResult:
    trials: pd.DataFrame  # this run's trials: number, state, sharpe, auc, seconds, parameters
    best_parameters: Mapping[str, Mapping[str, Any]]  # {model: {parameter: value}}
    best_sharpe: float
    total_trials: int  # in TRIALS_TABLE, earlier runs included


def nested(parameters: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{"lightgbm.num_leaves": 31}` → `{"lightgbm": {"num_leaves": 31}}`."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in parameters.items():
        model, _, name = key.partition(".")
        out.setdefault(model, {})[name] = value
    return out


def tune_ensemble(
    features: pd.DataFrame,
    *,
    feature_set: FeatureSet,
    make_recipe: RecipeFactory,
    cpcv: CpcvSettings,
    trading: PathTrading,
    feature_store: FeatureStore,
    n_trials: int,
    search_space: Sequence[SearchDimension] = DEFAULT_SEARCH_SPACE,
    seed: int = 0,
    timeout_seconds: float | None = None,
    on_trial: TrialProgress | None = None,
) -> TuningResult:
    """Run `n_trials` trials (fewer if `timeout_seconds` runs out); see the module docstring.

    `make_recipe(nested parameters)` builds the ensemble recipe of one trial.
    """
    if n_trials < 1:
        raise ValidationError(f"n_trials {n_trials} must be at least 1")
    sample = labelled_sample(features, feature_set.names, None)
    rows = TrainingRows.of(sample, feature_set.names)
    records: list[dict[str, Any]] = []
    best_so_far: list[float] = []  # the best completed Sharpe so far, once there is one

    def tell(report: TrialReport) -> None:
        if on_trial is not None:
            on_trial(report)

    def objective(trial: optuna.Trial) -> float:
        started = time.perf_counter()
        flat = {dimension.name: dimension.suggest(trial) for dimension in search_space}
        recipe = make_recipe(nested(flat))

        def report(split: int, mean_auc: float) -> None:
            trial.report(mean_auc, split)
            if trial.should_prune():
                records.append(
                    _record(
                        trial,
                        "pruned",
                        sharpe=math.nan,
                        auc=mean_auc,
                        started=started,
                        parameters=flat,
                    )
                )
                tell(
                    TrialReport(
                        trial.number + 1,
                        n_trials,
                        "pruned",
                        auc=mean_auc,
                        sharpe=None,
                        best_sharpe=best_so_far[0] if best_so_far else None,
                        pruned_at_split=split + 1,
                    )
                )
                raise optuna.TrialPruned(f"mean AUC {mean_auc:.4f} after split {split}")

        evaluation = evaluate_cpcv(
            sample, rows.fit_predict(recipe), settings=cpcv, trading=trading, on_split=report
        )
        sharpe = float(np.mean(evaluation.path_sharpes))
        auc = float(np.mean(evaluation.split_auc))
        records.append(
            _record(trial, "complete", sharpe=sharpe, auc=auc, started=started, parameters=flat)
        )
        if math.isfinite(sharpe):
            best_so_far[:] = [max([*best_so_far, sharpe])]
        tell(
            TrialReport(
                trial.number + 1,
                n_trials,
                "complete",
                auc=auc,
                sharpe=sharpe,
                best_sharpe=best_so_far[0] if best_so_far else None,
            )
        )
        return sharpe

    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    # Before the study exists: creating it already logs at INFO ("A new study created ...").
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=n_trials, timeout=timeout_seconds)
    this_run = pd.DataFrame(records)
    history = _append_history(feature_store, this_run)
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise ValidationError("no tuning trial completed: raise n_trials or the timeout")
    best = study.best_trial
    return TuningResult(
        trials=this_run,
        best_parameters=nested(best.params),
        best_sharpe=float(best.value if best.value is not None else math.nan),
        total_trials=len(history),
    )


def _record(
    trial: optuna.Trial,
    state: str,
    *,
    sharpe: float,
    auc: float,
    started: float,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "trial": trial.number,
        "state": state,
        "sharpe": sharpe,
        "auc": auc,
        "seconds": time.perf_counter() - started,
        "recorded_at": pd.Timestamp.now(tz="UTC"),
        **{f"param.{name}": value for name, value in parameters.items()},
    }


def _append_history(feature_store: FeatureStore, this_run: pd.DataFrame) -> pd.DataFrame:
    try:
        earlier = feature_store.load(TRIALS_TABLE)
    except DataError:
        earlier = None
    history = this_run if earlier is None else pd.concat([earlier, this_run], ignore_index=True)
    feature_store.save(TRIALS_TABLE, history)
    return history
