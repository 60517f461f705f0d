"""Diversity of base models on a hand-made example: correlations, disagreement, warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.modeling.ensemble_diversity import ensemble_diversity
from quantcli.domain.errors import ValidationError

# Centred on their means, a and b are (-3, -1, 1, 3) / 10, c is minus that and d is
# (1, -1, 1, -1) / 10; so corr(a, d) = (-3 - 1 + 1 - 3) / sqrt(20 × 4) = -1/sqrt(5).
# Above 0.5: a and b say (0, 0, 1, 1), c says (1, 1, 0, 0), d says (1, 0, 1, 0).
HAND_MADE = {
    "a": np.array([0.2, 0.4, 0.6, 0.8]),
    "b": np.array([0.3, 0.5, 0.7, 0.9]),
    "c": np.array([0.8, 0.6, 0.4, 0.2]),
    "d": np.array([0.6, 0.4, 0.6, 0.4]),
}
INV_SQRT5 = 1.0 / math.sqrt(5.0)


@pytest.mark.parametrize(
    ("first", "second", "correlation", "disagreement"),
    [
        ("a", "b", 1.0, 0.0),
        ("a", "c", -1.0, 1.0),
        ("a", "d", -INV_SQRT5, 0.5),
        ("b", "c", -1.0, 1.0),
        ("b", "d", -INV_SQRT5, 0.5),
        ("c", "d", INV_SQRT5, 0.5),
    ],
)
def test_pairwise_correlation_and_disagreement_match_the_hand_computation(
    first: str, second: str, correlation: float, disagreement: float
) -> None:
    pair = ensemble_diversity(HAND_MADE).pair(first, second)

    assert pair.correlation == pytest.approx(correlation, abs=1e-12)
    assert pair.disagreement_rate == disagreement
    assert pair.rows == 4


def test_only_pairs_above_the_threshold_are_warned_about() -> None:
    report = ensemble_diversity(HAND_MADE)

    assert [(w.first, w.second) for w in report.warnings] == [("a", "b")]
    warning = report.warnings[0]
    assert warning.correlation == pytest.approx(1.0)
    assert warning.threshold == 0.7
    assert "'a' and 'b'" in warning.message
    assert "1.000 (above 0.70)" in warning.message


def test_a_lower_threshold_warns_about_more_pairs() -> None:
    report = ensemble_diversity(HAND_MADE, correlation_threshold=0.4)

    assert {(w.first, w.second) for w in report.warnings} == {("a", "b"), ("c", "d")}


def test_rows_missing_in_either_model_are_left_out_of_that_pair() -> None:
    predictions = {
        "a": np.array([0.2, 0.4, np.nan, 0.6, 0.8]),
        "b": np.array([0.3, np.nan, 0.9, 0.7, 0.9]),
    }

    pair = ensemble_diversity(predictions).pair("b", "a")

    assert pair.rows == 3
    # On rows 0, 3, 4: a = (0.2, 0.6, 0.8), b = (0.3, 0.7, 0.9) = a + 0.1.
    assert pair.correlation == pytest.approx(1.0)
    assert pair.disagreement_rate == 0.0


def test_a_constant_model_has_undefined_correlation_and_no_warning() -> None:
    report = ensemble_diversity({"a": HAND_MADE["a"], "flat": np.full(4, 0.55)})

    pair = report.pair("a", "flat")
    assert math.isnan(pair.correlation)
    assert pair.disagreement_rate == 0.5
    assert report.warnings == ()


def test_correlation_matrix_is_symmetric_with_ones_on_the_diagonal() -> None:
    matrix = ensemble_diversity(HAND_MADE).correlation_matrix()

    assert list(matrix.index) == ["a", "b", "c", "d"]
    pd.testing.assert_frame_equal(matrix, matrix.T)
    np.testing.assert_allclose(np.diag(matrix.to_numpy()), 1.0)
    assert matrix.loc["a", "c"] == pytest.approx(-1.0)


def test_as_dict_lists_pairs_and_warning_messages() -> None:
    document = ensemble_diversity(HAND_MADE).as_dict()

    assert document["models"] == ["a", "b", "c", "d"]
    assert len(document["pairs"]) == 6
    assert document["pairs"][0]["first"] == "a"
    assert len(document["warnings"]) == 1


def test_predictions_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValidationError, match="one length"):
        ensemble_diversity({"a": np.zeros(3), "b": np.zeros(4)})


def test_threshold_outside_minus_one_to_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="correlation_threshold"):
        ensemble_diversity(HAND_MADE, correlation_threshold=1.5)
