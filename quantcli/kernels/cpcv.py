"""Combinatorial purged cross-validation splits (López de Prado, AFML ch. 12), built in Rust.

`n_samples` samples form `n_groups` contiguous groups of `n_samples // n_groups` (the last one
also takes the remainder, as in skfolio); every `n_test_groups`-combination of groups, in
lexicographic order, is one split. Adjacent test groups form one test block. Around each block
training samples are purged either by count (`purged_size` before and after, skfolio's rule) or
by label interval (`times`/`label_end_times`: a sample whose `[time, label end]` overlaps the
block's `[first time, latest label end]`), and then `embargo_size` more samples are embargoed
after what was purged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs

IntArray = npt.NDArray[np.int64]

MAX_SPLITS = 100_000


def n_test_paths(n_groups: int, n_test_groups: int) -> int:
    """Backtest paths CPCV recombines: each group is tested in C(N-1, k-1) splits."""
    return math.comb(n_groups - 1, n_test_groups - 1)


def check_groups(n_groups: int, n_test_groups: int, *, names: tuple[str, str]) -> None:
    """Raises ValidationError unless 2 <= n_groups and 1 <= n_test_groups < n_groups."""
    groups_name, test_name = names
    for name, value in ((groups_name, n_groups), (test_name, n_test_groups)):
        if not inputs.is_int(value):
            raise ValidationError(f"{name} must be an int, got {value!r}")
    if n_groups < 2:
        raise ValidationError(f"{groups_name} must be >= 2, got {n_groups}")
    if not 1 <= n_test_groups < n_groups:
        raise ValidationError(
            f"{test_name} must be between 1 and {groups_name} - 1 ({n_groups - 1}), "
            f"got {n_test_groups}"
        )
    if math.comb(n_groups, n_test_groups) > MAX_SPLITS:
        raise ValidationError(
            f"{test_name} {n_test_groups} of {n_groups} gives "
            f"{math.comb(n_groups, n_test_groups):,} splits, more than {MAX_SPLITS:,}"
        )


def check_size(name: str, value: int) -> int:
    if not inputs.is_int(value):
        raise ValidationError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValidationError(f"{name} must not be negative, got {value}")
    return int(value)


def time_array(name: str, values: npt.ArrayLike) -> IntArray:
    """datetime64 (as int64 nanoseconds) or integer times, 1-D, without NaT."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValidationError(f"{name} must be 1-D, got shape {array.shape}")
    if array.dtype.kind == "M":
        if np.isnat(array).any():
            first = int(np.flatnonzero(np.isnat(array))[0])
            raise ValidationError(f"{name}[{first}] is NaT: drop samples without a label first")
        return np.ascontiguousarray(array.astype("datetime64[ns]").view(np.int64))
    if array.dtype.kind in "iu":
        return np.ascontiguousarray(array, dtype=np.int64)
    raise ValidationError(f"{name} must hold datetime64 values or integers, got {array.dtype}")


class CpcvPlan:
    """Groups, test combinations, path ids and purged training sets for `n_samples` samples."""

    def __init__(
        self,
        n_samples: int,
        n_groups: int,
        n_test_groups: int,
        *,
        purged_size: int = 0,
        embargo_size: int = 0,
        times: npt.ArrayLike | None = None,
        label_end_times: npt.ArrayLike | None = None,
    ) -> None:
        check_groups(n_groups, n_test_groups, names=("n_groups", "n_test_groups"))
        n_samples = inputs.positive_int("n_samples", n_samples)
        if n_groups > n_samples:
            raise ValidationError(f"n_groups {n_groups} is more than the {n_samples} samples")
        purged = check_size("purged_size", purged_size)
        embargo = check_size("embargo_size", embargo_size)
        times_ns, ends_ns = self._label_times(n_samples, purged, times, label_end_times)
        with inputs.kernel_errors():
            self._plan = _kernels.CpcvPlan(
                n_samples,
                int(n_groups),
                int(n_test_groups),
                purged_size=purged,
                embargo_size=embargo,
                times=times_ns,
                label_end_times=ends_ns,
            )
        self.n_samples = n_samples
        self.n_groups = int(n_groups)
        self.n_test_groups = int(n_test_groups)

    @staticmethod
    def _label_times(
        n_samples: int,
        purged_size: int,
        times: npt.ArrayLike | None,
        label_end_times: npt.ArrayLike | None,
    ) -> tuple[IntArray | None, IntArray | None]:
        if times is None and label_end_times is None:
            return None, None
        if times is None or label_end_times is None:
            missing = "times" if times is None else "label_end_times"
            raise ValidationError(f"{missing} is missing: purging by label needs both")
        if purged_size:
            raise ValidationError(
                f"purged_size {purged_size} must be 0 when purging by label_end_times"
            )
        times_ns = time_array("times", times)
        ends_ns = time_array("label_end_times", label_end_times)
        if np.asarray(times).dtype.kind != np.asarray(label_end_times).dtype.kind:
            raise ValidationError("label_end_times must have the same kind of values as times")
        for name, values in (("times", times_ns), ("label_end_times", ends_ns)):
            if values.size != n_samples:
                raise ValidationError(f"{name} has {values.size} values for {n_samples} samples")
        return times_ns, ends_ns

    @property
    def n_splits(self) -> int:
        return self._plan.n_splits

    @property
    def n_test_paths(self) -> int:
        return n_test_paths(self.n_groups, self.n_test_groups)

    def group_bounds(self) -> IntArray:
        """`n_groups + 1` offsets: group g holds samples `bounds[g]:bounds[g + 1]`."""
        return self._plan.group_bounds()

    def test_groups(self) -> IntArray:
        """(n_splits, n_test_groups): each split's test groups, splits in lexicographic order."""
        return self._plan.test_groups()

    def path_ids(self) -> IntArray:
        """(n_splits, n_test_groups): the backtest path each split's test group belongs to."""
        return self._plan.path_ids()

    def split_indices(self, splits: Sequence[int]) -> list[tuple[IntArray, IntArray]]:
        """(train, test) ascending index arrays of each of `splits`, built in parallel."""
        chosen = [int(s) for s in splits]
        for split in chosen:
            if not 0 <= split < self.n_splits:
                raise ValidationError(f"splits: {split} is not in 0..{self.n_splits - 1}")
        return self._plan.split_indices(chosen)


def combination_paths(n_groups: int, n_test_groups: int) -> tuple[IntArray, IntArray]:
    """(test groups, path ids) of every split, each (n_splits, n_test_groups); no data needed."""
    plan = CpcvPlan(n_groups, n_groups, n_test_groups)
    return plan.test_groups(), plan.path_ids()
