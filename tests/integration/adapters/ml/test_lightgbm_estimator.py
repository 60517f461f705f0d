"""LightGbmEstimator against the real LightGBM library."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from quantcli.adapters.ml import LightGbmEstimator
from quantcli.application.modeling.ports import Estimator
from quantcli.domain.errors import ModelError

FEATURES = ("momentum", "volatility", "volume_z", "spread")
BAGGING = {"bagging_fraction": 0.6, "bagging_freq": 1, "feature_fraction": 0.7}


def planted_rule_data(
    rows: int = 2000, noise: float = 0.03, seed: int = 7
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Label = momentum > 0, with a fraction `noise` of labels flipped."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, len(FEATURES)))
    labels = (features[:, 0] > 0).astype(np.float64)
    flip = rng.random(rows) < noise
    labels[flip] = 1.0 - labels[flip]
    return features, labels


def fitted(seed: int = 42, params: dict[str, float] | None = None) -> LightGbmEstimator:
    features, labels = planted_rule_data()
    estimator = LightGbmEstimator(params=params, num_boost_round=60, seed=seed)
    estimator.fit(features, labels, FEATURES)
    return estimator


def test_learns_planted_rule_with_held_out_accuracy_above_90_percent() -> None:
    features, labels = planted_rule_data(rows=3000)
    estimator: Estimator = LightGbmEstimator(num_boost_round=100)
    estimator.fit(features[:2000], labels[:2000], FEATURES)

    proba = estimator.predict_proba(features[2000:])

    accuracy = float(np.mean((proba > 0.5) == (labels[2000:] == 1.0)))
    assert accuracy > 0.9


def test_predict_proba_returns_float64_probabilities_one_per_row() -> None:
    features, _ = planted_rule_data(rows=50, seed=1)

    proba = fitted().predict_proba(features)

    assert proba.dtype == np.float64
    assert proba.shape == (50,)
    assert np.all((proba >= 0.0) & (proba <= 1.0))


def test_nan_features_are_accepted_in_fit_and_predict() -> None:
    features, labels = planted_rule_data()
    features[::7, 1] = np.nan
    estimator = LightGbmEstimator(num_boost_round=20)

    estimator.fit(features, labels, FEATURES)

    assert np.isfinite(estimator.predict_proba(features)).all()


def test_two_fits_with_same_seed_give_bit_identical_predictions() -> None:
    features, _ = planted_rule_data(seed=3)

    first = fitted(seed=5, params=BAGGING).predict_proba(features)
    second = fitted(seed=5, params=BAGGING).predict_proba(features)

    assert np.array_equal(first, second)


def test_different_seed_with_bagging_gives_different_predictions() -> None:
    features, _ = planted_rule_data(seed=3)

    first = fitted(seed=5, params=BAGGING).predict_proba(features)
    second = fitted(seed=6, params=BAGGING).predict_proba(features)

    assert not np.array_equal(first, second)


def test_model_string_round_trip_gives_identical_predictions_and_names() -> None:
    original = fitted()
    features, _ = planted_rule_data(seed=11)

    restored = LightGbmEstimator.from_model_string(original.to_model_string())

    assert np.array_equal(restored.predict_proba(features), original.predict_proba(features))
    assert restored.feature_names == FEATURES
    assert restored == original
    assert restored.seed == original.seed


def test_feature_importance_ranks_the_planted_feature_first_by_gain() -> None:
    importance = fitted().feature_importance("gain")

    assert importance.dtype == np.float64
    assert importance.shape == (len(FEATURES),)
    assert FEATURES[int(np.argmax(importance))] == "momentum"


def test_estimators_with_different_trees_are_not_equal() -> None:
    assert fitted(seed=1, params=BAGGING) != fitted(seed=2, params=BAGGING)
    assert fitted() != LightGbmEstimator()


GOOD_X, GOOD_Y = planted_rule_data(rows=40)


@pytest.mark.parametrize(
    ("features", "labels", "names", "problem"),
    [
        (GOOD_X[:, 0], GOOD_Y, FEATURES, "features must be 2-D"),
        (GOOD_X, GOOD_Y.reshape(-1, 1), FEATURES, "labels must be 1-D"),
        (GOOD_X, GOOD_Y[:-1], FEATURES, "40 rows but labels have 39"),
        (GOOD_X[:0], GOOD_Y[:0], FEATURES, "empty"),
        (GOOD_X, np.where(GOOD_Y == 1.0, 2.0, 0.0), FEATURES, "labels must be 0 or 1"),
        (GOOD_X, np.where(GOOD_Y == 1.0, 1.0, -1.0), FEATURES, "labels must be 0 or 1"),
        (GOOD_X, np.r_[np.nan, GOOD_Y[1:]], FEATURES, "non-finite"),
        (GOOD_X, GOOD_Y, FEATURES[:3], "3 names but features have 4 columns"),
        (GOOD_X, GOOD_Y, ("a", "b", "a", "c"), "unique"),
        (GOOD_X, GOOD_Y, ("a", "b", "c", "has space"), "'has space'"),
        (GOOD_X, GOOD_Y, ("a", "b", "c", 'x"y'), "feature name"),
    ],
    ids=[
        "1d-features",
        "2d-labels",
        "row-mismatch",
        "empty",
        "label-2",
        "label-minus-1",
        "nan-label",
        "names-count",
        "duplicate-names",
        "whitespace-name",
        "json-char-name",
    ],
)
def test_fit_rejects_bad_input_with_model_error_naming_the_problem(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    names: tuple[str, ...],
    problem: str,
) -> None:
    estimator = LightGbmEstimator(num_boost_round=5)

    with pytest.raises(ModelError, match=problem.replace("[", r"\[")):
        estimator.fit(features, labels, names)

    assert not estimator.is_fitted


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.predict_proba(GOOD_X),
        lambda e: e.to_model_string(),
        lambda e: e.feature_importance("gain"),
    ],
    ids=["predict_proba", "to_model_string", "feature_importance"],
)
def test_using_an_unfitted_estimator_raises_model_error_saying_not_fitted(call: object) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        call(LightGbmEstimator())  # type: ignore[operator]


def test_predict_with_wrong_column_count_raises_model_error_naming_both_counts() -> None:
    with pytest.raises(ModelError, match="3 columns but the model was fitted on 4"):
        fitted().predict_proba(GOOD_X[:, :3])


def test_predict_with_1d_features_raises_model_error() -> None:
    with pytest.raises(ModelError, match="2-D"):
        fitted().predict_proba(GOOD_X[0])


def test_predict_on_zero_rows_returns_empty_array() -> None:
    assert fitted().predict_proba(GOOD_X[:0]).shape == (0,)


def test_params_conflicting_with_binary_objective_or_seed_are_refused() -> None:
    with pytest.raises(ModelError, match="objective"):
        LightGbmEstimator(params={"objective": "regression"})
    with pytest.raises(ModelError, match="seed"):
        LightGbmEstimator(params={"seed": 1}, seed=2)


def test_invalid_model_string_raises_model_error() -> None:
    with pytest.raises(ModelError, match="not a valid LightGBM model string"):
        LightGbmEstimator.from_model_string("tree\nthis is not a model")
