"""Walk-forward splits with purging and an embargo gap (López de Prado, AFML ch. 7).

Samples are rows observed at `times` whose labels are only known at `label_ends`. For a test
block that starts at bar T, a training sample is kept only if its label ended more than
`purge_bars` bars before T (purging: no label overlaps the test block, with a margin) and it
was observed more than `embargo_bars` bars before T (embargo: serially correlated features
right before the block are left out).
Training always lies before the test block, so every prediction is out of sample in time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.domain.errors import ValidationError

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]


@attrs.frozen
class PurgedSplit:
    train: IntArray
    test: IntArray


@attrs.frozen
class PurgedWalkForward:
    """`n_splits` consecutive test blocks after an initial `min_train_fraction` of the timeline."""

    n_splits: int = 5
    purge_bars: int = 0
    embargo_bars: int = 5
    min_train_fraction: float = 0.3

    def __attrs_post_init__(self) -> None:
        if self.n_splits < 1:
            raise ValidationError(f"n_splits {self.n_splits} must be at least 1")
        if self.purge_bars < 0:
            raise ValidationError(f"purge_bars {self.purge_bars} must not be negative")
        if self.embargo_bars < 0:
            raise ValidationError(f"embargo_bars {self.embargo_bars} must not be negative")
        if not 0.0 < self.min_train_fraction < 1.0:
            raise ValidationError(f"min_train_fraction {self.min_train_fraction} outside (0, 1)")

    def split(self, times: TimeArray, label_ends: TimeArray) -> Iterator[PurgedSplit]:
        """Train/test indices into `times` per fold; rows with a NaT label end never train."""
        if times.shape != label_ends.shape:
            raise ValidationError(
                f"times has {times.shape[0]} samples but label_ends has {label_ends.shape[0]}"
            )
        timeline = np.unique(times)
        first_test = int(len(timeline) * self.min_train_fraction)
        test_bars = len(timeline) - first_test
        if first_test <= self.embargo_bars or test_bars < self.n_splits:
            raise ValidationError(
                f"{len(timeline)} bars are too few for {self.n_splits} splits after "
                f"{self.min_train_fraction:.0%} training with a {self.embargo_bars}-bar embargo"
            )
        bar_of_sample = np.searchsorted(timeline, times)
        labelled = ~np.isnat(label_ends)
        # A label ending between two bars counts as ending at the next bar: purge conservatively.
        label_end_bar = np.where(labelled, np.searchsorted(timeline, label_ends, side="left"), 0)
        boundaries = first_test + (np.arange(self.n_splits + 1) * test_bars) // self.n_splits
        for start, stop in itertools.pairwise(boundaries.tolist()):
            in_block = (bar_of_sample >= start) & (bar_of_sample < stop)
            purged = labelled & (label_end_bar < start - self.purge_bars)
            embargoed = bar_of_sample < start - self.embargo_bars
            yield PurgedSplit(
                train=np.flatnonzero(purged & embargoed).astype(np.int64),
                test=np.flatnonzero(in_block).astype(np.int64),
            )
