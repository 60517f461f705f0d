"""XgboostEstimator and CatboostEstimator (and LightGbmEstimator where the contract is shared)
against the real libraries: planted signal, bit-for-bit reproducibility, quiet, importances,
model-string round trips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from quantcli.adapters.ml import CatboostEstimator, LightGbmEstimator, XgboostEstimator
from quantcli.application.modeling.ports import Estimator
from quantcli.domain.errors import ModelError

FEATURES = ("momentum", "volatility", "volume_z", "spread")
Arrays = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def planted_rule_data(rows: int = 1500, noise: float = 0.03, seed: int = 7) -> Arrays:
    """Label = momentum > 0, with a fraction `noise` of labels flipped."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, len(FEATURES)))
    labels = (features[:, 0] > 0).astype(np.float64)
    flip = rng.random(rows) < noise
    labels[flip] = 1.0 - labels[flip]
    return features, labels


# Row and column subsampling on, so the seed matters.
SAMPLED_XGB = {"max_depth": 3, "learning_rate": 0.1, "subsample": 0.7, "colsample_bytree": 0.7}
SAMPLED_CAT = {"depth": 4, "learning_rate": 0.1, "subsample": 0.7, "rsm": 0.7}
SAMPLED_LGB = {"bagging_fraction": 0.7, "bagging_freq": 1, "feature_fraction": 0.7}


def xgboost(seed: int = 42, threads: int = 1, **params: Any) -> XgboostEstimator:
    return XgboostEstimator(
        {**SAMPLED_XGB, **params}, num_boost_round=40, seed=seed, num_threads=threads
    )


def catboost(seed: int = 42, threads: int = 1, **params: Any) -> CatboostEstimator:
    return CatboostEstimator(
        {**SAMPLED_CAT, **params}, iterations=40, seed=seed, num_threads=threads
    )


def lightgbm(seed: int = 42, threads: int = 1, **params: Any) -> LightGbmEstimator:
    return LightGbmEstimator(
        {**SAMPLED_LGB, **params}, num_boost_round=40, seed=seed, num_threads=threads
    )


Maker = Callable[..., Any]
NEW_ADAPTERS = [pytest.param(xgboost, id="xgboost"), pytest.param(catboost, id="catboost")]
ALL_ADAPTERS = [*NEW_ADAPTERS, pytest.param(lightgbm, id="lightgbm")]


def fitted(make: Maker, seed: int = 42, threads: int = 1, **params: Any) -> Any:
    features, labels = planted_rule_data()
    estimator = make(seed=seed, threads=threads, **params)
    estimator.fit(features, labels, FEATURES)
    return estimator


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_learns_planted_rule_with_held_out_accuracy_above_90_percent(make: Maker) -> None:
    features, labels = planted_rule_data(rows=2500)
    estimator: Estimator = make()
    estimator.fit(features[:1500], labels[:1500], FEATURES)

    proba = estimator.predict_proba(features[1500:])

    assert proba.dtype == np.float64
    assert proba.shape == (1000,)
    assert np.all((proba >= 0.0) & (proba <= 1.0))
    accuracy = float(np.mean((proba > 0.5) == (labels[1500:] == 1.0)))
    assert accuracy > 0.9


@pytest.mark.parametrize("make", ALL_ADAPTERS)
@pytest.mark.parametrize("threads", [1, 2])
def test_same_data_params_and_seed_give_bit_identical_predictions(
    make: Maker, threads: int
) -> None:
    features, _ = planted_rule_data(rows=300, seed=3)

    first = fitted(make, seed=5, threads=threads).predict_proba(features)
    second = fitted(make, seed=5, threads=threads).predict_proba(features)

    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_a_different_seed_with_subsampling_gives_different_predictions(make: Maker) -> None:
    features, _ = planted_rule_data(rows=300, seed=3)

    first = fitted(make, seed=5).predict_proba(features)
    second = fitted(make, seed=6).predict_proba(features)

    assert not np.array_equal(first, second)


@pytest.mark.parametrize("make", ALL_ADAPTERS)
def test_training_prediction_and_importance_print_nothing(
    make: Maker, capfd: pytest.CaptureFixture[str]
) -> None:
    features, _ = planted_rule_data(rows=100, seed=2)

    estimator = fitted(make)
    estimator.predict_proba(features)
    estimator.feature_importance("gain")
    estimator.feature_importance("shap", features)

    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_catboost_and_xgboost_leave_no_files_behind(
    make: Maker, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    fitted(make).to_model_string()

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make", ALL_ADAPTERS)
@pytest.mark.parametrize("kind", ["gain", "shap"])
def test_importance_ranks_the_planted_feature_first_by_far(make: Maker, kind: str) -> None:
    features, _ = planted_rule_data(rows=300, seed=4)

    importance = fitted(make).feature_importance(kind, features)

    assert importance.dtype == np.float64
    assert importance.shape == (len(FEATURES),)
    assert np.all(importance >= 0.0)
    assert FEATURES[int(np.argmax(importance))] == "momentum"
    assert importance[0] > 3 * importance[1:].max()


@pytest.mark.parametrize("make", ALL_ADAPTERS)
def test_shap_importance_is_a_mean_over_the_given_rows(make: Maker) -> None:
    features, _ = planted_rule_data(rows=50, seed=4)
    estimator = fitted(make)

    importance = estimator.feature_importance("shap", features)
    halves = [estimator.feature_importance("shap", part) for part in (features[:25], features[25:])]

    np.testing.assert_allclose(importance, (halves[0] + halves[1]) / 2, rtol=1e-12)
    assert not np.array_equal(halves[0], halves[1])


@pytest.mark.parametrize("make", ALL_ADAPTERS)
def test_shap_importance_without_rows_or_an_unknown_kind_is_refused(make: Maker) -> None:
    estimator = fitted(make)

    with pytest.raises(ModelError, match="needs the feature rows"):
        estimator.feature_importance("shap")
    with pytest.raises(ModelError, match="'split' is not one of gain, shap"):
        estimator.feature_importance("split")


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_model_string_round_trip_gives_identical_predictions_and_settings(make: Maker) -> None:
    original = fitted(make, seed=9, threads=2)
    features, _ = planted_rule_data(rows=400, seed=11)
    features[::5, 2] = np.nan

    restored = type(original).from_model_string(original.to_model_string())

    np.testing.assert_array_equal(
        restored.predict_proba(features), original.predict_proba(features)
    )
    np.testing.assert_array_equal(
        restored.feature_importance("shap", features), original.feature_importance("shap", features)
    )
    assert restored.feature_names == FEATURES
    assert restored == original
    assert (restored.seed, restored.num_threads, restored.params) == (9, 2, original.params)


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_refitting_a_restored_estimator_reproduces_the_original(make: Maker) -> None:
    original = fitted(make, seed=9)
    features, labels = planted_rule_data()

    restored = type(original).from_model_string(original.to_model_string())
    restored.fit(features, labels, FEATURES)

    np.testing.assert_array_equal(
        restored.predict_proba(features), original.predict_proba(features)
    )


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_two_fits_are_equal_and_different_seeds_are_not(make: Maker) -> None:
    assert fitted(make, seed=1) == fitted(make, seed=1)
    assert fitted(make, seed=1) != fitted(make, seed=2)
    assert fitted(make) != make()
    assert make() == make()


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_nan_features_are_accepted_in_fit_and_predict(make: Maker) -> None:
    features, labels = planted_rule_data(rows=400)
    features[::7, 1] = np.nan
    estimator = make()

    estimator.fit(features, labels, FEATURES)

    assert np.isfinite(estimator.predict_proba(features)).all()


@pytest.mark.parametrize("make", NEW_ADAPTERS)
@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.predict_proba(np.zeros((2, 4))),
        lambda e: e.to_model_string(),
        lambda e: e.feature_importance("gain"),
    ],
    ids=["predict_proba", "to_model_string", "feature_importance"],
)
def test_using_an_unfitted_estimator_raises_model_error_saying_not_fitted(
    make: Maker, call: Callable[[Any], object]
) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        call(make())


@pytest.mark.parametrize("make", NEW_ADAPTERS)
def test_bad_input_is_refused_with_model_error_naming_the_problem(make: Maker) -> None:
    features, labels = planted_rule_data(rows=40)
    estimator = make()

    with pytest.raises(ModelError, match="labels must be 0 or 1"):
        estimator.fit(features, labels * 2, FEATURES)
    with pytest.raises(ModelError, match="feature name 'a<b'"):
        estimator.fit(features, labels, ("a<b", "b", "c", "d"))
    with pytest.raises(ModelError, match="3 names but features have 4 columns"):
        estimator.fit(features, labels, FEATURES[:3])
    estimator.fit(features, labels, FEATURES)
    with pytest.raises(ModelError, match="3 columns but the model was fitted on 4"):
        estimator.predict_proba(features[:, :3])
    assert estimator.predict_proba(features[:0]).shape == (0,)


def test_a_library_training_error_becomes_a_model_error() -> None:
    features, _ = planted_rule_data(rows=40)

    with pytest.raises(ModelError, match="CatBoost training failed"):
        catboost().fit(features, np.zeros(40), FEATURES)
    with pytest.raises(ModelError, match="XGBoost training failed"):
        xgboost(max_depth=-1).fit(features, np.ones(40), FEATURES)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: XgboostEstimator({"seed": 1}, seed=2), "seed"),
        (lambda: XgboostEstimator({"objective": "reg:squarederror"}), "objective"),
        (lambda: XgboostEstimator({"n_jobs": 4}, num_threads=1), "n_jobs"),
        (lambda: CatboostEstimator({"random_seed": 1}, seed=2), "random_seed"),
        (lambda: CatboostEstimator({"thread_count": 8}), "thread_count"),
        (lambda: CatboostEstimator({"verbose": True}), "always quiet"),
        (lambda: CatboostEstimator({"iterations": 5}), "constructor argument"),
        (lambda: XgboostEstimator(num_boost_round=0), "num_boost_round"),
        (lambda: CatboostEstimator(num_threads=0), "num_threads"),
    ],
)
def test_params_that_would_break_reproducibility_or_quiet_are_refused(
    build: Callable[[], object], problem: str
) -> None:
    with pytest.raises(ModelError, match=problem):
        build()


@pytest.mark.parametrize(
    ("load", "text"),
    [
        (XgboostEstimator.from_model_string, "not json"),
        (XgboostEstimator.from_model_string, '{"format": "other"}'),
        (CatboostEstimator.from_model_string, '{"format": "quantcli-catboost-v1"}'),
        (CatboostEstimator.from_model_string, "[]"),
    ],
)
def test_invalid_model_strings_raise_model_error(load: Callable[[str], object], text: str) -> None:
    with pytest.raises(ModelError, match="not a valid"):
        load(text)
