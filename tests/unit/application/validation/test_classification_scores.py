"""accuracy and roc_auc: hand cases and a brute-force pairwise AUC (ties count 1/2)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.application.validation.classification_scores import accuracy, roc_auc


def floats(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def pairwise_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """P(score of a positive > score of a negative), a tie counting one half."""
    positives = scores[labels > 0.5]
    negatives = scores[labels <= 0.5]
    wins = sum(
        1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives)
    )
    return wins / (len(positives) * len(negatives))


def test_accuracy_by_hand() -> None:
    labels = floats(1, 0, 1, 0)
    probabilities = floats(0.9, 0.2, 0.4, 0.7)
    assert accuracy(labels, probabilities) == 0.5


def test_accuracy_counts_a_probability_at_the_threshold_as_a_down_call() -> None:
    assert accuracy(floats(0, 1), floats(0.5, 0.5)) == 0.5
    assert accuracy(floats(1), floats(0.5)) == 0.0


def test_accuracy_with_another_threshold() -> None:
    labels = floats(1, 1, 0)
    probabilities = floats(0.65, 0.55, 0.45)
    assert accuracy(labels, probabilities, threshold=0.6) == pytest.approx(2 / 3)


def test_accuracy_of_nothing_is_nan() -> None:
    assert math.isnan(accuracy(floats(), floats()))


def test_roc_auc_of_a_perfect_ranking_is_one_and_of_a_reversed_one_zero() -> None:
    labels = floats(0, 0, 1, 1)
    assert roc_auc(labels, floats(0.1, 0.2, 0.8, 0.9)) == 1.0
    assert roc_auc(labels, floats(0.9, 0.8, 0.2, 0.1)) == 0.0


def test_roc_auc_by_hand() -> None:
    # Positives 0.8, 0.4; negatives 0.6, 0.2: pairs won 0.8>0.6, 0.8>0.2, 0.4>0.2 = 3 of 4.
    assert roc_auc(floats(1, 0, 1, 0), floats(0.8, 0.6, 0.4, 0.2)) == 0.75


def test_roc_auc_counts_ties_as_half() -> None:
    # Positive 0.5 ties negative 0.5 (1/2) and beats 0.1 (1): 1.5 of 2 pairs.
    assert roc_auc(floats(1, 0, 0), floats(0.5, 0.5, 0.1)) == 0.75
    assert roc_auc(floats(1, 1, 0, 0), floats(0.3, 0.3, 0.3, 0.3)) == 0.5


def test_roc_auc_without_both_classes_is_nan() -> None:
    assert math.isnan(roc_auc(floats(1, 1), floats(0.2, 0.9)))
    assert math.isnan(roc_auc(floats(0, 0), floats(0.2, 0.9)))
    assert math.isnan(roc_auc(floats(), floats()))


@settings(deadline=None, max_examples=100)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from([0.0, 1.0]),
            # Few distinct scores, so that ties are common.
            st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0]) | st.floats(0, 1),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_roc_auc_equals_the_brute_force_pairwise_auc(data: list[tuple[float, float]]) -> None:
    labels = np.array([label for label, _ in data])
    scores = np.array([score for _, score in data])
    if labels.min() == labels.max():
        assert math.isnan(roc_auc(labels, scores))
    else:
        assert roc_auc(labels, scores) == pytest.approx(pairwise_auc(labels, scores), abs=1e-12)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 60))
def test_accuracy_equals_the_share_of_correct_calls_on_random_data(seed: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size).astype(np.float64)
    probabilities = rng.random(size)
    correct = sum((p > 0.5) == (y == 1.0) for y, p in zip(labels, probabilities, strict=True))
    assert accuracy(labels, probabilities) == pytest.approx(correct / size)
