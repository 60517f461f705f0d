"""Combinatorial purged cross-validation (López de Prado, AFML ch. 12) as a scikit-learn splitter.

The samples form `n_folds` contiguous folds (`n // n_folds` each, the last also takes the
remainder, as skfolio does); every combination of `n_test_folds` folds is tested once, in
lexicographic order, so each fold is tested in `n_test_paths` splits and the test predictions
recombine into that many full-length backtest paths (`paths`).

Training samples next to each block of adjacent test folds are purged, either
- by count: `purged_size` samples before and after each block (skfolio's rule), or
- by label: with `times` and `label_end_times` (datetime64, or integer bar numbers; times
  sorted), any sample whose label interval `[time, label end]` overlaps the block's
  `[first time, latest label end]`;

then the `embargo_size` samples (or `embargo_fraction` of all samples, AFML's h ≈ 0.01 T) that
follow what was purged after each block are embargoed. Splits match
`skfolio.model_selection.CombinatorialPurgedCV` index for index wherever skfolio's folds cover
every sample (it leaves the last `n % n_folds - n // n_folds` samples out when that is positive).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.domain.errors import ValidationError
from quantcli.kernels import CpcvPlan, combination_paths

IntArray = npt.NDArray[np.int64]

# Index arrays built per kernel call (512 MB of int64): splits are yielded lazily in batches,
# so a long history never holds every split's indices at once.
BATCH_INDICES = 1 << 26


@attrs.frozen(eq=False)
class CombinatorialSplit:
    """One split: training indices, test indices, and the test indices fold by fold."""

    index: int
    train: IntArray = attrs.field(repr=False)
    test: IntArray = attrs.field(repr=False)
    test_folds: tuple[int, ...]
    # Views into `test`, one per test fold, with the backtest path each one belongs to.
    test_blocks: tuple[IntArray, ...] = attrs.field(repr=False)
    path_ids: tuple[int, ...]


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_size(name: str, value: int) -> None:
    if not _is_int(value):
        raise ValidationError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValidationError(f"{name} must not be negative, got {value}")


def _n_samples(X: Sized) -> int:
    try:
        return len(X)
    except TypeError as error:
        raise ValidationError(f"X must be an array of samples: {error}") from error


# eq=False: two splitters are the same only if they are one object (times are arrays).
@attrs.frozen(eq=False)
class CombinatorialPurgedCV:
    """CPCV splitter: `split(X)` yields (train, test) index arrays like scikit-learn's."""

    n_folds: int = 10
    n_test_folds: int = 2
    purged_size: int = attrs.field(default=0, kw_only=True)
    embargo_size: int = attrs.field(default=0, kw_only=True)
    embargo_fraction: float = attrs.field(default=0.0, kw_only=True)
    times: npt.ArrayLike | None = attrs.field(default=None, kw_only=True, repr=False)
    label_end_times: npt.ArrayLike | None = attrs.field(default=None, kw_only=True, repr=False)
    # Built once when purging by label: it holds the label ends the splits are checked against.
    _label_plan: CpcvPlan | None = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        for name in ("n_folds", "n_test_folds"):
            if not _is_int(getattr(self, name)):
                raise ValidationError(f"{name} must be an int, got {getattr(self, name)!r}")
        if self.n_folds < 2:
            raise ValidationError(f"n_folds must be at least 2, got {self.n_folds}")
        if not 1 <= self.n_test_folds < self.n_folds:
            raise ValidationError(
                f"n_test_folds must be between 1 and n_folds - 1 ({self.n_folds - 1}), "
                f"got {self.n_test_folds}"
            )
        _check_size("purged_size", self.purged_size)
        _check_size("embargo_size", self.embargo_size)
        fraction = self.embargo_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, float | int):
            raise ValidationError(f"embargo_fraction must be a number, got {fraction!r}")
        if not 0.0 <= fraction < 1.0:
            raise ValidationError(f"embargo_fraction must be in [0, 1), got {fraction}")
        if fraction and self.embargo_size:
            raise ValidationError(
                f"embargo_size {self.embargo_size} and embargo_fraction {fraction}: give one"
            )
        if self.times is None and self.label_end_times is None:
            self._plan_for(self.n_folds)  # checks the fold counts against the split cap
            return
        if self.times is None or self.label_end_times is None:
            missing = "times" if self.times is None else "label_end_times"
            raise ValidationError(f"{missing} is missing: purging by label needs both")
        if self.purged_size:
            raise ValidationError(
                f"purged_size {self.purged_size} must be 0 when purging by label_end_times"
            )
        n_samples = np.shape(self.times)[0] if np.ndim(self.times) else 0
        self._check_fold_count(n_samples, "times")
        object.__setattr__(self, "_label_plan", self._plan_for(n_samples))

    @property
    def n_splits(self) -> int:
        return math.comb(self.n_folds, self.n_test_folds)

    @property
    def n_test_paths(self) -> int:
        """Full-length backtest paths the splits' test sets recombine into."""
        return math.comb(self.n_folds - 1, self.n_test_folds - 1)

    @property
    def test_folds(self) -> IntArray:
        """(n_splits, n_test_folds): each split's test folds, in lexicographic order."""
        return combination_paths(self.n_folds, self.n_test_folds)[0]

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        """Number of splits, C(n_folds, n_test_folds); the arguments are ignored."""
        return self.n_splits

    def get_path_ids(self) -> IntArray:
        """(n_splits, n_test_folds): the backtest path of each split's test folds (skfolio's)."""
        return combination_paths(self.n_folds, self.n_test_folds)[1]

    def split(
        self, X: Sized, y: object = None, groups: object = None
    ) -> Iterator[tuple[IntArray, IntArray]]:
        """(train, test) ascending index arrays into X for each split."""
        for one in self.splits(X):
            yield one.train, one.test

    def splits(self, X: Sized) -> Iterator[CombinatorialSplit]:
        """Each split with its test indices also fold by fold and their path ids."""
        plan = self._plan(_n_samples(X))
        bounds = plan.group_bounds().tolist()
        test_folds = plan.test_groups().tolist()
        path_ids = plan.path_ids().tolist()
        batch = max(1, BATCH_INDICES // plan.n_samples)
        for first in range(0, plan.n_splits, batch):
            chosen = range(first, min(first + batch, plan.n_splits))
            for index, (train, test) in zip(chosen, plan.split_indices(chosen), strict=True):
                blocks = []
                offset = 0
                for fold in test_folds[index]:
                    size = bounds[fold + 1] - bounds[fold]
                    blocks.append(test[offset : offset + size])
                    offset += size
                yield CombinatorialSplit(
                    index=index,
                    train=train,
                    test=test,
                    test_folds=tuple(test_folds[index]),
                    test_blocks=tuple(blocks),
                    path_ids=tuple(path_ids[index]),
                )

    def paths(self, predictions_per_split: Sequence[npt.ArrayLike]) -> npt.NDArray[Any]:
        """(n_test_paths, n_samples, ...) out-of-sample predictions, one full path per row.

        `predictions_per_split[i]` holds split i's predictions in the order of its test indices
        (as `model.predict(X[test])` returns them); trailing dimensions (class probabilities)
        are kept. Each fold is tested in `n_test_paths` splits, so each path takes each fold's
        predictions from a different split.
        """
        name = "predictions_per_split"
        if len(predictions_per_split) != self.n_splits:
            raise ValidationError(
                f"{name} has {len(predictions_per_split)} entries for {self.n_splits} splits"
            )
        predictions = [np.asarray(p) for p in predictions_per_split]
        for index, values in enumerate(predictions):
            if values.ndim < 1 or values.shape[1:] != predictions[0].shape[1:]:
                raise ValidationError(
                    f"{name}[{index}] has shape {values.shape}, expected (n_test, "
                    f"{', '.join(map(str, predictions[0].shape[1:]))}) like split 0"
                )
        # Every sample is tested in exactly n_test_paths splits.
        n_samples, leftover = divmod(sum(len(p) for p in predictions), self.n_test_paths)
        if self._label_plan is not None:
            n_samples = self._label_plan.n_samples
        if leftover or n_samples < self.n_folds:
            raise ValidationError(
                f"{name} does not hold a test set of {self.n_folds} folds per split"
            )
        plan = self._plan(n_samples)
        bounds = plan.group_bounds()
        out = np.empty(
            (self.n_test_paths, n_samples, *predictions[0].shape[1:]),
            dtype=np.result_type(*predictions),
        )
        for index, (folds, ids) in enumerate(zip(plan.test_groups(), plan.path_ids(), strict=True)):
            values = predictions[index]
            expected = int(sum(bounds[f + 1] - bounds[f] for f in folds))
            if len(values) != expected:
                raise ValidationError(
                    f"{name}[{index}] has {len(values)} predictions, split {index} tests "
                    f"{expected} samples"
                )
            offset = 0
            for fold, path in zip(folds.tolist(), ids.tolist(), strict=True):
                start, stop = int(bounds[fold]), int(bounds[fold + 1])
                out[path, start:stop] = values[offset : offset + stop - start]
                offset += stop - start
        return out

    def _check_fold_count(self, n_samples: int, name: str) -> None:
        if self.n_folds > n_samples:
            raise ValidationError(
                f"{name} has {n_samples} samples, fewer than n_folds ({self.n_folds})"
            )

    def _plan(self, n_samples: int) -> CpcvPlan:
        if self._label_plan is not None:
            if n_samples != self._label_plan.n_samples:
                raise ValidationError(
                    f"X has {n_samples} samples but times has {self._label_plan.n_samples}"
                )
            return self._label_plan
        self._check_fold_count(n_samples, "X")
        return self._plan_for(n_samples)

    def _plan_for(self, n_samples: int) -> CpcvPlan:
        embargo = self.embargo_size or int(n_samples * self.embargo_fraction)
        try:
            return CpcvPlan(
                n_samples,
                self.n_folds,
                self.n_test_folds,
                purged_size=self.purged_size,
                embargo_size=embargo,
                times=self.times,
                label_end_times=self.label_end_times,
            )
        except ValidationError as error:
            # The kernel names its own arguments; say them in this class's terms.
            message = str(error).replace("n_test_groups", "n_test_folds")
            raise ValidationError(message.replace("n_groups", "n_folds")) from error
