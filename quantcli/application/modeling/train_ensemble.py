"""Use case: train the stacked ensemble, prove it with CPCV and the gates, register it.

1. CPCV along the timeline: on every split the whole stacking procedure (base models on purged
   inner folds, meta-learner on their out-of-fold predictions) is fitted on the split's
   training rows only and predicts its test rows; the paths are traded into returns.
2. The gates (PSR, DSR with the tuning trials, MinTRL, Sharpe, drawdown) judge those paths.
3. The final ensemble is fitted on every labelled row; the feature report and the ensemble's
   diversity describe it.
4. The model is registered as a new candidate version with everything needed to audit it and,
   in the same atomic step, its out-of-sample predictions (the paths' mean): the table the
   `model` backtest of that version trades. The paths' returns are kept (cpcv_paths_table) so
   `validate` can re-judge them.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli.application.features.feature_diagnostics import FeatureReport, feature_report
from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.ensemble import (
    EnsembleTrainingResult,
    Splitter,
    train_stacked_ensemble,
)
from quantcli.application.modeling.ensemble_diversity import DiversityReport
from quantcli.application.modeling.ports import (
    EstimatorFactory,
    ModelRegistry,
    ModelVersion,
    TrainedModel,
)
from quantcli.application.validation.cpcv_evaluation import (
    CpcvEvaluation,
    CpcvSettings,
    FitPredict,
    PathTrading,
    SplitCallback,
    evaluate_cpcv,
)
from quantcli.application.validation.validation_gates import (
    GateResult,
    GateThresholds,
    TrialStatistics,
    evaluate_gates,
)
from quantcli.domain.errors import DataError

TRIALS_TABLE = "tuning_trials"  # one row per tuning trial: its parameters and "sharpe"
SHAP_ROWS = 2_000  # rows the SHAP importance is averaged over (a seeded sample)
Progress = Callable[[int, int], None]


def cpcv_paths_table(name: str, version: int) -> str:
    """The feature-store table holding a model version's CPCV path returns."""
    return f"cpcv_paths__{name}__v{version}"


@attrs.frozen
class EnsembleRecipe:
    """What to stack and how: base models, meta-learner, inner purged folds, parallel fits."""

    base_factories: Mapping[str, EstimatorFactory]
    meta_factory: EstimatorFactory
    inner_splitter: Splitter
    parallel: bool | int = True
    parameters: Mapping[str, Any] = attrs.field(factory=dict)  # recorded with the model


@attrs.frozen
class FeatureSet:
    """The feature columns to train on and the definition they come from."""

    names: tuple[str, ...]
    definition_hash: str
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(eq=False)
class EnsembleTraining:
    version: ModelVersion
    model: TrainedModel
    evaluation: CpcvEvaluation
    gates: tuple[GateResult, ...]
    diversity: DiversityReport
    features: FeatureReport
    trials: TrialStatistics
    training_seconds: float

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)


def trial_statistics(feature_store: FeatureStore, periods_per_year: float) -> TrialStatistics:
    """From the tuning history when there is one (pruned trials count as tried; the Sharpe
    spread comes from the completed ones); a single trial (DSR = PSR) otherwise."""
    try:
        trials = feature_store.load(TRIALS_TABLE)
    except DataError:
        return TrialStatistics(n_trials=1, sharpe_variance=0.0)
    tried = max(len(trials), 1)
    if "sharpe" not in trials:
        return TrialStatistics(n_trials=tried, sharpe_variance=0.0)
    sharpes = trials["sharpe"].to_numpy(dtype=np.float64)
    sharpes = sharpes[np.isfinite(sharpes)]
    if sharpes.size < 2:
        return TrialStatistics(n_trials=tried, sharpe_variance=0.0)
    spread = TrialStatistics.from_sharpe_ratios(sharpes, periods_per_year=periods_per_year)
    return attrs.evolve(spread, n_trials=max(tried, spread.n_trials))


@attrs.frozen(eq=False)
class TrainingRows:
    """A labelled sample as the arrays the stacking procedure trains on."""

    names: tuple[str, ...]
    matrix: np.ndarray
    target: np.ndarray
    times: np.ndarray
    label_ends: np.ndarray

    @classmethod
    def of(cls, sample: pd.DataFrame, names: Sequence[str]) -> TrainingRows:
        return cls(
            names=tuple(names),
            matrix=sample[list(names)].to_numpy(dtype=np.float64),
            target=sample["target"].to_numpy(dtype=np.float64),
            times=sample["timestamp"].to_numpy(dtype="datetime64[ns]"),
            label_ends=sample["label_end"].to_numpy(dtype="datetime64[ns]"),
        )

    def stack(
        self, recipe: EnsembleRecipe, rows: np.ndarray | None = None
    ) -> EnsembleTrainingResult:
        """The whole stacking procedure of `recipe` on `rows` (all rows when None)."""
        chosen = slice(None) if rows is None else rows
        return train_stacked_ensemble(
            self.matrix[chosen],
            self.target[chosen],
            self.times[chosen],
            self.label_ends[chosen],
            self.names,
            base_factories=recipe.base_factories,
            meta_factory=recipe.meta_factory,
            splitter=recipe.inner_splitter,
            parallel=recipe.parallel,
        )

    def fit_predict(self, recipe: EnsembleRecipe) -> FitPredict:
        """For CPCV: stack on a split's training rows, predict its test rows."""

        def run(train_rows: np.ndarray, test_rows: np.ndarray) -> np.ndarray:
            return self.stack(recipe, train_rows).ensemble.predict_proba(self.matrix[test_rows])

        return run


def train_ensemble(
    features: pd.DataFrame,
    *,
    feature_set: FeatureSet,
    recipe: EnsembleRecipe,
    cpcv: CpcvSettings,
    trading: PathTrading,
    thresholds: GateThresholds,
    registry: ModelRegistry,
    feature_store: FeatureStore,
    model_name: str,
    until: datetime | None = None,
    seed: int = 0,
    on_progress: Progress | None = None,
    on_split: SplitCallback | None = None,
) -> EnsembleTraining:
    """Steps 1-4 of the module docstring over the labelled rows of `features`; `on_split`
    hears each CPCV split's index and the mean test AUC so far."""
    started = time.perf_counter()
    sample = labelled_sample(features, feature_set.names, until)
    rows = TrainingRows.of(sample, feature_set.names)
    names = list(rows.names)
    matrix = rows.matrix

    total = math.comb(cpcv.n_folds, cpcv.n_test_folds) + 1  # the splits, then the final fit

    def split_done(index: int, mean_auc: float) -> None:
        if on_split is not None:
            on_split(index, mean_auc)
        if on_progress is not None:
            on_progress(index + 1, total)

    evaluation = evaluate_cpcv(
        sample, rows.fit_predict(recipe), settings=cpcv, trading=trading, on_split=split_done
    )
    # The training bars' own annualization, as the tuning trials' Sharpe ratios had.
    periods = evaluation.periods_per_year
    trials = trial_statistics(feature_store, periods)
    gates = evaluate_gates(evaluation.path_returns, trials, thresholds, periods)

    final = rows.stack(recipe)
    shap_rows = np.random.default_rng(seed).permutation(len(sample))[:SHAP_ROWS]
    shap_rows.sort()
    report = feature_report(
        matrix,
        names,
        final.ensemble.feature_importance("gain"),
        final.ensemble.feature_importance("shap", matrix[shap_rows]),
    )
    if on_progress is not None:
        on_progress(total, total)
    training_seconds = time.perf_counter() - started

    metadata: dict[str, Any] = {
        "kind": "stacked_ensemble",
        "base_models": list(recipe.base_factories),
        "parameters": dict(recipe.parameters),
        "feature_definition_hash": feature_set.definition_hash,
        "features": dict(feature_set.metadata),
        "data_range": {
            "from": pd.Timestamp(rows.times.min(), tz="UTC").isoformat(),
            "until": pd.Timestamp(rows.times.max(), tz="UTC").isoformat(),
            "rows": len(sample),
            "symbols": sorted(sample["symbol"].unique().tolist()),
        },
        "data_hash": data_hash(sample, names),
        "cpcv": evaluation.as_dict(),
        "trials": {"n_trials": trials.n_trials, "sharpe_variance": trials.sharpe_variance},
        "gates": {gate.name: _gate_dict(gate) for gate in gates},
        "gates_passed": all(gate.passed for gate in gates),
        "diversity": final.diversity.as_dict(),
        "feature_report": report.as_dict(),
        "training_seconds": training_seconds,
        "seed": seed,
    }
    model = TrainedModel(
        name=model_name,
        estimator=final.ensemble,
        feature_names=tuple(names),
        metadata=metadata,
    )
    out_of_sample = sample[["symbol", "timestamp", "target", "forward_return"]].copy()
    out_of_sample.insert(2, "probability_up", evaluation.mean_probabilities())
    version = registry.register(
        model_name, model, metadata, predictions=out_of_sample.reset_index(drop=True)
    )
    feature_store.save(cpcv_paths_table(model_name, version.version), path_frame(evaluation))
    return EnsembleTraining(
        version=version,
        model=model,
        evaluation=evaluation,
        gates=gates,
        diversity=final.diversity,
        features=report,
        trials=trials,
        training_seconds=training_seconds,
    )


def labelled_sample(
    features: pd.DataFrame, names: Sequence[str], until: datetime | None
) -> pd.DataFrame:
    """Rows with a target whose label was known by `until`, in time then symbol order."""
    missing = [n for n in (*names, "target", "label_end", "forward_return") if n not in features]
    if missing:
        raise DataError(f"feature table lacks {', '.join(missing)}: rebuild features")
    keep = features["target"].notna() & features["label_end"].notna()
    if until is not None:
        cutoff = pd.Timestamp(until)
        # A label is usable only if it was known by the cutoff: its end, not its start, decides.
        keep &= (features["timestamp"] <= cutoff) & (features["label_end"] <= cutoff)
    sample = features.loc[keep]
    if sample.empty:
        raise DataError("no labelled feature rows" + (f" on or before {until}" if until else ""))
    return sample.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def data_hash(sample: pd.DataFrame, names: Sequence[str]) -> str:
    """sha256 of the rows trained on (keys, features, target), independent of memory layout."""
    columns = ["symbol", "timestamp", *names, "target", "label_end"]
    hashed = pd.util.hash_pandas_object(sample[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def path_frame(evaluation: CpcvEvaluation) -> pd.DataFrame:
    """The path returns as a table: timestamp, then one column per path."""
    frame = pd.DataFrame(
        evaluation.path_returns.T, columns=[f"path_{p}" for p in range(evaluation.n_paths)]
    )
    frame.insert(0, "timestamp", pd.DatetimeIndex(evaluation.times, tz="UTC"))
    return frame


def _gate_dict(gate: GateResult) -> dict[str, Any]:
    return {
        "value": gate.value,
        "threshold": gate.threshold,
        "comparison": gate.comparison,
        "passed": gate.passed,
        "detail": gate.detail,
    }
