"""LogisticMetaLearner and RidgeLogitMetaLearner on base-model probabilities (real sklearn)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from quantcli.adapters.ml import LogisticMetaLearner, RidgeLogitMetaLearner
from quantcli.application.modeling.ports import Estimator
from quantcli.domain.errors import ModelError

BASES = ("sharp", "blurry", "noise")
Arrays = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def base_probabilities(rows: int = 3000, seed: int = 0) -> Arrays:
    """Three base models' probabilities of a 0/1 label: one sees the true log-odds with little
    error, one with much more, one sees nothing."""
    rng = np.random.default_rng(seed)
    log_odds = rng.normal(0.0, 2.0, rows)
    labels = (rng.random(rows) < 1.0 / (1.0 + np.exp(-log_odds))).astype(np.float64)
    sharp = log_odds + rng.normal(0.0, 0.3, rows)
    blurry = log_odds + rng.normal(0.0, 3.0, rows)
    noise = rng.normal(0.0, 2.0, rows)
    probabilities = 1.0 / (1.0 + np.exp(-np.column_stack([sharp, blurry, noise])))
    return probabilities, labels


Maker = Callable[[], Any]
LEARNERS = [
    pytest.param(LogisticMetaLearner, id="logistic-logit"),
    pytest.param(lambda: LogisticMetaLearner(inputs="probability"), id="logistic-probability"),
    pytest.param(RidgeLogitMetaLearner, id="ridge-logit"),
]


def fitted(make: Maker, rows: int = 3000, seed: int = 0) -> Any:
    probabilities, labels = base_probabilities(rows, seed)
    learner = make()
    learner.fit(probabilities, labels, BASES)
    return learner


@pytest.mark.parametrize("make", LEARNERS)
def test_weights_favour_the_better_base_model_and_ignore_noise(make: Maker) -> None:
    weights = fitted(make).weights

    assert list(weights) == list(BASES)
    assert weights["sharp"] > 3 * weights["blurry"] > 0
    assert abs(weights["noise"]) < 0.1 * weights["sharp"]


@pytest.mark.parametrize("make", LEARNERS)
def test_stacked_prediction_beats_the_blurry_model_on_new_rows(make: Maker) -> None:
    learner: Estimator = fitted(make)
    probabilities, labels = base_probabilities(2000, seed=1)

    stacked = learner.predict_proba(probabilities)

    def accuracy(p: npt.NDArray[np.float64]) -> float:
        return float(np.mean((p > 0.5) == (labels == 1.0)))

    assert stacked.shape == (2000,)
    assert np.all((stacked >= 0.0) & (stacked <= 1.0))
    assert accuracy(stacked) > accuracy(probabilities[:, 1]) + 0.05


@pytest.mark.parametrize("make", LEARNERS)
def test_the_scaler_is_fitted_on_exactly_the_rows_the_learner_is_fitted_on(make: Maker) -> None:
    probabilities, labels = base_probabilities(400)
    learner = make()

    learner.fit(probabilities[:100], labels[:100], BASES)

    scaler = learner._pipeline.named_steps["scaler"]
    inputs = probabilities[:100]
    if learner.inputs == "logit":
        inputs = np.log(inputs / (1.0 - inputs))
    np.testing.assert_allclose(scaler.mean_, inputs.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, inputs.std(axis=0), rtol=1e-12)
    assert scaler.n_samples_seen_ == 100


@pytest.mark.parametrize("make", LEARNERS)
def test_same_rows_give_bit_identical_predictions(make: Maker) -> None:
    probabilities, _ = base_probabilities(500, seed=2)

    np.testing.assert_array_equal(
        fitted(make).predict_proba(probabilities), fitted(make).predict_proba(probabilities)
    )


@pytest.mark.parametrize("make", LEARNERS)
def test_model_string_round_trip_gives_identical_predictions(make: Maker) -> None:
    original = fitted(make)
    probabilities, _ = base_probabilities(500, seed=2)

    restored = type(original).from_model_string(original.to_model_string())

    np.testing.assert_array_equal(
        restored.predict_proba(probabilities), original.predict_proba(probabilities)
    )
    assert restored == original
    assert restored.weights == original.weights
    assert restored.feature_names == BASES


@pytest.mark.parametrize("make", LEARNERS)
def test_importance_is_the_size_of_each_standardized_weight(make: Maker) -> None:
    learner = fitted(make)
    probabilities, _ = base_probabilities(500, seed=3)

    gain = learner.feature_importance("gain")
    shap = learner.feature_importance("shap", probabilities)

    np.testing.assert_array_equal(gain, np.abs(list(learner.weights.values())))
    assert int(np.argmax(shap)) == 0
    assert shap[2] < 0.1 * shap[0]


def test_logit_inputs_must_be_probabilities() -> None:
    probabilities, labels = base_probabilities(100)

    with pytest.raises(ModelError, match=r"probabilities in \[0, 1\]"):
        LogisticMetaLearner().fit(probabilities * 2, labels, BASES)


def test_certain_base_models_give_finite_logit_inputs() -> None:
    probabilities, labels = base_probabilities(200)
    probabilities[:10, 0] = labels[:10]  # exactly 0 or 1

    learner = LogisticMetaLearner()
    learner.fit(probabilities, labels, BASES)

    assert np.isfinite(learner.predict_proba(probabilities)).all()


def test_labels_of_one_class_are_refused() -> None:
    probabilities, _ = base_probabilities(50)

    with pytest.raises(ModelError, match="one class"):
        LogisticMetaLearner().fit(probabilities, np.ones(50), BASES)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: LogisticMetaLearner(c=0.0), "must be positive"),
        (lambda: LogisticMetaLearner(inputs="odds"), "'probability' or 'logit'"),  # type: ignore[arg-type]
        (lambda: RidgeLogitMetaLearner(alpha=-1.0), "must not be negative"),
    ],
)
def test_bad_settings_are_refused(build: Callable[[], object], problem: str) -> None:
    with pytest.raises(ModelError, match=problem):
        build()


def test_a_string_of_the_other_kind_is_refused() -> None:
    text = fitted(RidgeLogitMetaLearner).to_model_string()

    with pytest.raises(ModelError, match="holds a 'ridge_logit', not 'logistic'"):
        LogisticMetaLearner.from_model_string(text)


def test_unfitted_learner_says_not_fitted() -> None:
    with pytest.raises(ModelError, match="not fitted"):
        LogisticMetaLearner().predict_proba(np.zeros((1, 3)))
