"""How different the base models of an ensemble are, from their out-of-fold probabilities.

Stacking gains little from models that make the same mistakes: two base models whose
probabilities correlate above the threshold are flagged.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ValidationError

DEFAULT_CORRELATION_THRESHOLD = 0.7
DECISION_THRESHOLD = 0.5  # a probability above it predicts the label 1


@attrs.frozen
class PairDiversity:
    """Two base models compared on the rows where both have a prediction."""

    first: str
    second: str
    correlation: float  # Pearson, of the probabilities; NaN when either is constant
    disagreement_rate: float  # share of rows whose thresholded predictions differ
    rows: int


@attrs.frozen
class CorrelationWarning:
    """A pair of base models whose probabilities move together more than `threshold`."""

    first: str
    second: str
    correlation: float
    threshold: float

    @property
    def message(self) -> str:
        return (
            f"base models {self.first!r} and {self.second!r} have out-of-fold probabilities "
            f"correlated at {self.correlation:.3f} (above {self.threshold:.2f}): "
            "they add little diversity to the ensemble"
        )


@attrs.frozen
class DiversityReport:
    models: tuple[str, ...]
    pairs: tuple[PairDiversity, ...]
    warnings: tuple[CorrelationWarning, ...]
    correlation_threshold: float

    def pair(self, first: str, second: str) -> PairDiversity:
        """The comparison of two models, in either order."""
        for entry in self.pairs:
            if {entry.first, entry.second} == {first, second}:
                return entry
        raise KeyError(f"no pair ({first!r}, {second!r}) among models {list(self.models)}")

    def correlation_matrix(self) -> pd.DataFrame:
        """Models × models, 1 on the diagonal."""
        matrix = pd.DataFrame(np.eye(len(self.models)), index=self.models, columns=self.models)
        for entry in self.pairs:
            matrix.loc[entry.first, entry.second] = entry.correlation
            matrix.loc[entry.second, entry.first] = entry.correlation
        return matrix

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "correlation_threshold": self.correlation_threshold,
            "pairs": [attrs.asdict(entry) for entry in self.pairs],
            "warnings": [entry.message for entry in self.warnings],
        }


def ensemble_diversity(
    predictions: Mapping[str, FloatArray],
    *,
    correlation_threshold: float = DEFAULT_CORRELATION_THRESHOLD,
) -> DiversityReport:
    """Pairwise correlation and disagreement of the models' probabilities (NaN rows skipped)."""
    if not -1.0 <= correlation_threshold <= 1.0:
        raise ValidationError(f"correlation_threshold {correlation_threshold} outside [-1, 1]")
    columns = {name: np.asarray(values, dtype=np.float64) for name, values in predictions.items()}
    lengths = {name: column.shape for name, column in columns.items()}
    if len(set(lengths.values())) > 1 or any(len(shape) != 1 for shape in lengths.values()):
        raise ValidationError(f"predictions must be 1-D arrays of one length, got {lengths}")
    pairs: list[PairDiversity] = []
    warnings: list[CorrelationWarning] = []
    for first, second in itertools.combinations(columns, 2):
        a, b = columns[first], columns[second]
        both = np.isfinite(a) & np.isfinite(b)
        entry = PairDiversity(
            first=first,
            second=second,
            correlation=_pearson(a[both], b[both]),
            disagreement_rate=_disagreement(a[both], b[both]),
            rows=int(both.sum()),
        )
        pairs.append(entry)
        if entry.correlation > correlation_threshold:
            warnings.append(
                CorrelationWarning(first, second, entry.correlation, correlation_threshold)
            )
    return DiversityReport(
        models=tuple(columns),
        pairs=tuple(pairs),
        warnings=tuple(warnings),
        correlation_threshold=correlation_threshold,
    )


def _pearson(a: FloatArray, b: FloatArray) -> float:
    if a.size < 2:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    scale = float(np.sqrt((da @ da) * (db @ db)))
    if scale == 0.0:
        return float("nan")
    return float(np.clip((da @ db) / scale, -1.0, 1.0))


def _disagreement(a: FloatArray, b: FloatArray) -> float:
    if a.size == 0:
        return float("nan")
    return float(np.mean((a > DECISION_THRESHOLD) != (b > DECISION_THRESHOLD)))
