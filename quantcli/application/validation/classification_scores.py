"""Scores of probabilistic binary predictions."""

from __future__ import annotations

import numpy as np

from quantcli.application.common.ports import FloatArray


def accuracy(labels: FloatArray, probabilities: FloatArray, threshold: float = 0.5) -> float:
    """Share of predictions on the right side of `threshold`; NaN when there is nothing to score."""
    if labels.size == 0:
        return float("nan")
    return float(np.mean((probabilities > threshold) == (labels > 0.5)))


def roc_auc(labels: FloatArray, probabilities: FloatArray) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    positives = labels > 0.5
    n_pos = int(positives.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(probabilities, kind="mergesort")
    ranks = np.empty(labels.size, dtype=np.float64)
    sorted_scores = probabilities[order]
    # Tied scores share the average of the ranks they span.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [labels.size]))
    average_ranks = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average_ranks, ends - starts)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
