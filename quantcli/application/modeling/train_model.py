"""Use case: train a direction classifier on purged walk-forward splits, keeping OOS predictions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs
import numpy as np
import pandas as pd

from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.ports import EstimatorFactory, ModelStore, TrainedModel
from quantcli.application.validation.classification_scores import accuracy, roc_auc
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import DataError

OOS_PREDICTIONS_TABLE = "oos_predictions"
DEFAULT_MODEL_NAME = "direction-lgbm"

FoldProgress = Callable[[int, int], None]


@attrs.frozen
class TrainingResult:
    model: TrainedModel
    out_of_sample: pd.DataFrame  # symbol, timestamp, probability_up, target, forward_return
    fold_accuracies: tuple[float, ...]
    oos_accuracy: float
    oos_auc: float
    training_rows: int


def _labelled_until(features: pd.DataFrame, until: datetime | None) -> pd.DataFrame:
    if until is None:
        return features
    cutoff = pd.Timestamp(until)
    # A label is usable only if it was known by the cutoff: its end, not its start, decides.
    return features[(features["timestamp"] <= cutoff) & ~(features["label_end"] > cutoff)]


def train_direction_model(
    features: pd.DataFrame,
    *,
    spec: FeatureSpec,
    splitter: PurgedWalkForward,
    estimator_factory: EstimatorFactory,
    model_store: ModelStore,
    feature_store: FeatureStore,
    model_name: str = DEFAULT_MODEL_NAME,
    until: datetime | None = None,
    on_progress: FoldProgress | None = None,
) -> TrainingResult:
    """Fit one model per fold for out-of-sample predictions, then a final model on all labels."""
    if not spec.target.is_binary:
        raise DataError(
            f"target kind {spec.target.kind.value} is not a 0/1 label: "
            "the direction model trains on direction or triple_barrier targets"
        )
    names = list(spec.feature_names)
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise DataError(f"feature table lacks {', '.join(missing)}: rebuild features")
    sample = _labelled_until(features, until).reset_index(drop=True)
    if sample.empty:
        raise DataError(f"no feature rows on or before {until}")
    matrix = sample[names].to_numpy(dtype=np.float64)
    target = sample["target"].to_numpy(dtype=np.float64)
    times = sample["timestamp"].to_numpy(dtype="datetime64[ns]")
    label_ends = sample["label_end"].to_numpy(dtype="datetime64[ns]")

    probabilities = np.full(len(sample), np.nan)
    fold_accuracies: list[float] = []
    total_steps = splitter.n_splits + 1
    for fold, split in enumerate(splitter.split(times, label_ends), start=1):
        estimator = estimator_factory()
        estimator.fit(matrix[split.train], target[split.train], names)
        probabilities[split.test] = estimator.predict_proba(matrix[split.test])
        scored = split.test[~np.isnan(target[split.test])]
        fold_accuracies.append(accuracy(target[scored], probabilities[scored]))
        if on_progress is not None:
            on_progress(fold, total_steps)

    labelled = ~np.isnan(target)
    final = estimator_factory()
    final.fit(matrix[labelled], target[labelled], names)
    if on_progress is not None:
        on_progress(total_steps, total_steps)

    tested = ~np.isnan(probabilities)
    out_of_sample = sample.loc[tested, ["symbol", "timestamp", "target", "forward_return"]].copy()
    out_of_sample.insert(2, "probability_up", probabilities[tested])
    scored = tested & labelled
    oos_accuracy = accuracy(target[scored], probabilities[scored])
    oos_auc = roc_auc(target[scored], probabilities[scored])
    model = TrainedModel(
        name=model_name,
        estimator=final,
        feature_names=tuple(names),
        metadata={
            "feature_spec": spec.metadata(),
            "feature_definition_hash": spec.definition_hash,
            "splitter": attrs.asdict(splitter),
            "trained_from": sample["timestamp"].min().isoformat(),
            "trained_until": sample["timestamp"].max().isoformat(),
            "training_rows": int(labelled.sum()),
            "symbols": sorted(sample["symbol"].unique().tolist()),
            "oos_accuracy": oos_accuracy,
            "oos_auc": oos_auc,
            "fold_accuracies": fold_accuracies,
        },
    )
    model_store.save(model)
    feature_store.save(OOS_PREDICTIONS_TABLE, out_of_sample.reset_index(drop=True))
    return TrainingResult(
        model=model,
        out_of_sample=out_of_sample.reset_index(drop=True),
        fold_accuracies=tuple(fold_accuracies),
        oos_accuracy=oos_accuracy,
        oos_auc=oos_auc,
        training_rows=int(labelled.sum()),
    )
