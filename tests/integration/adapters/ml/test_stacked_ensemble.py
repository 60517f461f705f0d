"""train_stacked_ensemble with the real LightGBM, XGBoost and CatBoost adapters and the
logistic meta-learner: signal, reproducibility (parallel too), weights, storage as text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from quantcli.adapters.ml import (
    CatboostEstimator,
    FileModelRegistry,
    FileModelStore,
    LightGbmEstimator,
    LogisticMetaLearner,
    XgboostEstimator,
)
from quantcli.adapters.ml.estimator_codec import decode_estimator, encode_estimator
from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ensemble import (
    EnsembleTrainingResult,
    StackedEnsemble,
    train_stacked_ensemble,
)
from quantcli.application.modeling.ports import Estimator, EstimatorFactory, TrainedModel
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import ModelError

FEATURES = ("momentum", "carry", "volume_z", "spread")
ROWS = 1200
TRAIN_ROWS = 900
SPLITTER = PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=2, min_train_fraction=0.4)
Data = tuple[FloatArray, FloatArray, npt.NDArray[np.datetime64], npt.NDArray[np.datetime64]]


def planted_signal(rows: int = ROWS, seed: int = 7) -> Data:
    """One row per day; label = momentum + 0.5 carry + noise > 0, known the next day."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, len(FEATURES)))
    score = features[:, 0] + 0.5 * features[:, 1] + rng.normal(0.0, 0.3, rows)
    labels = (score > 0).astype(np.float64)
    times = np.datetime64("2020-01-01T00:00", "ns") + np.arange(rows) * np.timedelta64(1, "D")
    return features, labels, times, times + np.timedelta64(1, "D")


def base_factories(threads: int = 1, seed: int = 42) -> dict[str, EstimatorFactory]:
    return {
        "lightgbm": lambda: LightGbmEstimator(
            {"learning_rate": 0.1, "num_leaves": 7, "bagging_fraction": 0.8, "bagging_freq": 1},
            num_boost_round=40,
            seed=seed,
            num_threads=threads,
        ),
        "xgboost": lambda: XgboostEstimator(
            {"max_depth": 3, "learning_rate": 0.1, "subsample": 0.8, "colsample_bytree": 0.8},
            num_boost_round=40,
            seed=seed,
            num_threads=threads,
        ),
        "catboost": lambda: CatboostEstimator(
            {"depth": 4, "learning_rate": 0.1, "subsample": 0.8, "rsm": 0.8},
            iterations=40,
            seed=seed,
            num_threads=threads,
        ),
    }


def train(data: Data, parallel: bool | int = False, threads: int = 1) -> EnsembleTrainingResult:
    features, labels, times, label_ends = data
    return train_stacked_ensemble(
        features[:TRAIN_ROWS],
        labels[:TRAIN_ROWS],
        times[:TRAIN_ROWS],
        label_ends[:TRAIN_ROWS],
        FEATURES,
        base_factories=base_factories(threads),
        meta_factory=LogisticMetaLearner,
        splitter=SPLITTER,
        parallel=parallel,
    )


@pytest.fixture(scope="module")
def data() -> Data:
    return planted_signal()


@pytest.fixture(scope="module")
def sequential(data: Data) -> EnsembleTrainingResult:
    return train(data)


def test_ensemble_learns_the_planted_signal_on_held_out_rows(
    data: Data, sequential: EnsembleTrainingResult
) -> None:
    features, labels, *_ = data

    proba = sequential.ensemble.predict_proba(features[TRAIN_ROWS:])

    accuracy = float(np.mean((proba > 0.5) == (labels[TRAIN_ROWS:] == 1.0)))
    assert accuracy > 0.85
    assert sequential.ensemble.base_names == ("lightgbm", "xgboost", "catboost")


def test_training_twice_gives_bit_identical_predictions(
    data: Data, sequential: EnsembleTrainingResult
) -> None:
    features = data[0]

    again = train(data)

    np.testing.assert_array_equal(
        again.ensemble.predict_proba(features), sequential.ensemble.predict_proba(features)
    )


@pytest.mark.parametrize(("parallel", "threads"), [(2, 1), (True, 1), (3, 2)])
def test_parallel_training_gives_bit_identical_predictions_to_sequential(
    data: Data, sequential: EnsembleTrainingResult, parallel: bool | int, threads: int
) -> None:
    features = data[0]

    result = train(data, parallel=parallel, threads=threads)

    np.testing.assert_array_equal(
        result.ensemble.predict_proba(features), sequential.ensemble.predict_proba(features)
    )
    for name, values in sequential.out_of_fold.items():
        np.testing.assert_array_equal(result.out_of_fold[name], values)


def test_meta_learner_and_its_scaler_see_only_the_out_of_fold_rows(
    sequential: EnsembleTrainingResult,
) -> None:
    meta = sequential.ensemble.meta_learner
    assert isinstance(meta, LogisticMetaLearner)
    oof = np.column_stack([sequential.out_of_fold[n] for n in sequential.ensemble.base_names])
    first_test_row = int(TRAIN_ROWS * SPLITTER.min_train_fraction)

    np.testing.assert_array_equal(sequential.meta_rows, np.arange(first_test_row, TRAIN_ROWS))
    logits = np.log(oof[sequential.meta_rows] / (1.0 - oof[sequential.meta_rows]))
    scaler = meta._pipeline.named_steps["scaler"]
    np.testing.assert_allclose(scaler.mean_, logits.mean(axis=0), rtol=1e-10)
    assert scaler.n_samples_seen_ == sequential.meta_rows.size
    assert np.isnan(oof[:first_test_row]).all()


def test_diversity_is_measured_on_the_out_of_fold_probabilities(
    sequential: EnsembleTrainingResult,
) -> None:
    report = sequential.diversity
    tested = ~np.isnan(sequential.out_of_fold["lightgbm"])
    lgb, xgb = sequential.out_of_fold["lightgbm"][tested], sequential.out_of_fold["xgboost"][tested]

    pair = report.pair("lightgbm", "xgboost")

    assert report.models == ("lightgbm", "xgboost", "catboost")
    assert pair.correlation == pytest.approx(np.corrcoef(lgb, xgb)[0, 1], rel=1e-12)
    assert pair.disagreement_rate == pytest.approx(np.mean((lgb > 0.5) != (xgb > 0.5)))
    assert pair.rows == int(tested.sum())
    # Three boosted-tree models on one strong signal agree closely: all pairs are flagged.
    assert len(report.warnings) == 3


class ColumnsOnly:
    """An estimator that sees only some of the columns: a base model that cannot see the signal."""

    def __init__(self, inner: Estimator, columns: Sequence[int]) -> None:
        self.inner = inner
        self.columns = list(columns)

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        self.inner.fit(features[:, self.columns], labels, [feature_names[c] for c in self.columns])

    def predict_proba(self, features: FloatArray) -> FloatArray:
        return self.inner.predict_proba(features[:, self.columns])

    def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
        raise NotImplementedError


def test_meta_learner_weights_the_base_model_that_sees_the_signal_far_above_a_blind_one(
    data: Data,
) -> None:
    features, labels, times, label_ends = data
    factories = base_factories()

    result = train_stacked_ensemble(
        features,
        labels,
        times,
        label_ends,
        FEATURES,
        base_factories={
            "sighted": factories["lightgbm"],
            "blind": lambda: ColumnsOnly(factories["xgboost"](), [2, 3]),
        },
        meta_factory=LogisticMetaLearner,
        splitter=SPLITTER,
    )

    meta = result.ensemble.meta_learner
    assert isinstance(meta, LogisticMetaLearner)
    assert meta.weights["sighted"] > 5 * abs(meta.weights["blind"])
    assert meta.weights["sighted"] > 1.0


def test_stacked_ensemble_round_trips_through_text_with_identical_predictions(
    data: Data, sequential: EnsembleTrainingResult
) -> None:
    features = data[0]

    text = encode_estimator(sequential.ensemble)
    restored = decode_estimator(text, assemble_ensemble=StackedEnsemble)

    assert isinstance(restored, StackedEnsemble)
    np.testing.assert_array_equal(
        restored.predict_proba(features), sequential.ensemble.predict_proba(features)
    )
    assert restored == sequential.ensemble
    assert restored.feature_names == FEATURES
    assert [type(m) for m in restored.base_models.values()] == [
        LightGbmEstimator,
        XgboostEstimator,
        CatboostEstimator,
    ]
    np.testing.assert_array_equal(
        restored.feature_importance("shap", features[:100]),
        sequential.ensemble.feature_importance("shap", features[:100]),
    )


def test_ensemble_importance_puts_the_signal_features_first(
    data: Data, sequential: EnsembleTrainingResult
) -> None:
    for kind in ("gain", "shap"):
        importance = sequential.ensemble.feature_importance(kind, data[0][:200])  # type: ignore[arg-type]

        assert importance.sum() == pytest.approx(1.0)
        assert list(np.argsort(-importance)[:2]) == [0, 1]


def test_each_member_round_trips_through_text(sequential: EnsembleTrainingResult) -> None:
    members: list[Estimator] = [
        *sequential.ensemble.base_models.values(),
        sequential.ensemble.meta_learner,
    ]
    for member in members:
        assert decode_estimator(encode_estimator(member)) == member


def test_a_lightgbm_model_stays_plain_lightgbm_text(sequential: EnsembleTrainingResult) -> None:
    lightgbm = sequential.ensemble.base_models["lightgbm"]
    assert isinstance(lightgbm, LightGbmEstimator)

    assert encode_estimator(lightgbm) == lightgbm.to_model_string()


def test_loading_an_ensemble_needs_the_assembler(sequential: EnsembleTrainingResult) -> None:
    with pytest.raises(ModelError, match="pass assemble_ensemble"):
        decode_estimator(encode_estimator(sequential.ensemble))


def test_unknown_estimators_and_texts_are_refused() -> None:
    with pytest.raises(ModelError, match="cannot store a ColumnsOnly"):
        encode_estimator(ColumnsOnly(LightGbmEstimator(), [0]))
    with pytest.raises(ModelError, match="unknown estimator kind 'svm'"):
        decode_estimator('{"format": "quantcli-estimator-v1", "kind": "svm", "model": ""}')
    with pytest.raises(ModelError, match="not a valid estimator text"):
        decode_estimator("{broken")


def test_a_stacked_ensemble_round_trips_through_the_store_and_the_registry(
    data: Data, sequential: EnsembleTrainingResult, tmp_path: Path
) -> None:
    features = data[0]
    model = TrainedModel("stack", sequential.ensemble, FEATURES, {"seed": 42})
    store = FileModelStore(tmp_path / "models", assemble_ensemble=StackedEnsemble)
    registry = FileModelRegistry(tmp_path / "registry", assemble_ensemble=StackedEnsemble)

    store.save(model)
    registry.register("stack", model, {"seed": 42})

    expected = sequential.ensemble.predict_proba(features)
    for loaded in (store.load("stack"), registry.load("stack")):
        assert isinstance(loaded.estimator, StackedEnsemble)
        np.testing.assert_array_equal(loaded.estimator.predict_proba(features), expected)
        assert loaded.feature_names == FEATURES


def test_without_an_assembler_a_stored_ensemble_is_refused_by_name(
    sequential: EnsembleTrainingResult, tmp_path: Path
) -> None:
    FileModelStore(tmp_path).save(TrainedModel("stack", sequential.ensemble, FEATURES, {}))

    with pytest.raises(ModelError, match="model 'stack'"):
        FileModelStore(tmp_path).load("stack")
