"""CpcvPlan: index-for-index agreement with skfolio, label purging against a numpy reference,
bad arguments."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from skfolio.model_selection import CombinatorialPurgedCV as SkfolioCPCV

from quantcli import kernels
from quantcli.domain.errors import ValidationError


def skfolio_splits(
    n: int, n_folds: int, n_test: int, purged: int, embargo: int
) -> tuple[list[tuple[np.ndarray, list[np.ndarray]]], np.ndarray]:
    """skfolio's splits and path ids; k = 1 and N = 2 are set past its constructor's checks."""
    cv = SkfolioCPCV(max(n_folds, 3), 2, purged_size=purged, embargo_size=embargo)
    cv.n_folds, cv.n_test_folds = n_folds, n_test
    return list(cv.split(np.zeros((n, 1)))), cv.get_path_ids()


def skfolio_accepts(n: int, n_folds: int, purged: int, embargo: int) -> bool:
    # skfolio requires purge + embargo < fold size - 1, and leaves samples out of every fold
    # when n % N > n // N (its folds are n // N long and only index N is folded back into N-1).
    size = n // n_folds
    return purged + embargo < size - 1 and n % n_folds <= size


def assert_same_as_skfolio(n: int, n_folds: int, n_test: int, purged: int, embargo: int) -> None:
    expected, expected_paths = skfolio_splits(n, n_folds, n_test, purged, embargo)
    plan = kernels.CpcvPlan(n, n_folds, n_test, purged_size=purged, embargo_size=embargo)
    case = f"n={n} N={n_folds} k={n_test} purged={purged} embargo={embargo}"
    assert plan.n_splits == len(expected), case
    got = plan.split_indices(range(plan.n_splits))
    for split, ((train, test), (sk_train, sk_tests)) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_array_equal(train, sk_train, err_msg=f"{case} split {split} train")
        np.testing.assert_array_equal(
            test, np.concatenate(sk_tests), err_msg=f"{case} split {split} test"
        )
    np.testing.assert_array_equal(plan.path_ids(), expected_paths, err_msg=case)


# --- skfolio -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [30, 31, 37, 64, 101])
@pytest.mark.parametrize("n_folds", [3, 4, 5, 6])
def test_splits_match_skfolio_for_every_k_purge_and_embargo(n: int, n_folds: int) -> None:
    for n_test, purged, embargo in itertools.product(range(1, n_folds), (0, 1, 3), (0, 2)):
        if skfolio_accepts(n, n_folds, purged, embargo):
            assert_same_as_skfolio(n, n_folds, n_test, purged, embargo)


@pytest.mark.parametrize(
    ("n", "n_folds", "n_test", "purged", "embargo"),
    [
        pytest.param(12, 3, 2, 0, 0, id="skfolio-docstring"),
        pytest.param(12, 3, 2, 1, 0, id="skfolio-docstring-purged"),
        pytest.param(12, 3, 2, 0, 1, id="skfolio-docstring-embargo"),
        pytest.param(40, 2, 1, 3, 4, id="two-folds-k1"),
        pytest.param(200, 10, 1, 5, 5, id="k1"),
        pytest.param(200, 10, 9, 5, 5, id="k-is-N-minus-1"),
        pytest.param(203, 10, 5, 4, 3, id="n-not-divisible"),
        pytest.param(10_007, 12, 4, 50, 20, id="larger"),
    ],
)
def test_edge_cases_match_skfolio(
    n: int, n_folds: int, n_test: int, purged: int, embargo: int
) -> None:
    assert_same_as_skfolio(n, n_folds, n_test, purged, embargo)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(6, 400),
    n_folds=st.integers(2, 8),
    n_test=st.integers(1, 7),
    purged=st.integers(0, 12),
    embargo=st.integers(0, 12),
)
def test_random_configurations_match_skfolio(
    n: int, n_folds: int, n_test: int, purged: int, embargo: int
) -> None:
    assume(n_test < n_folds and skfolio_accepts(n, n_folds, purged, embargo))
    assert_same_as_skfolio(n, n_folds, n_test, purged, embargo)


def test_last_fold_keeps_the_remainder_where_skfolio_drops_it() -> None:
    # 14 samples in 5 folds: skfolio's folds are [0,2) [2,4) [4,6) [6,8) [8,12) and 12, 13
    # are never tested; here the last fold is [8, 14), so each path covers all 14 samples.
    plan = kernels.CpcvPlan(14, 5, 2)
    np.testing.assert_array_equal(plan.group_bounds(), [0, 2, 4, 6, 8, 14])
    sk_splits, _ = skfolio_splits(14, 5, 2, 0, 0)
    _, sk_tests = sk_splits[-1]
    np.testing.assert_array_equal(np.concatenate(sk_tests), [6, 7, 8, 9, 10, 11])
    _, test = plan.split_indices([plan.n_splits - 1])[0]
    np.testing.assert_array_equal(test, [6, 7, 8, 9, 10, 11, 12, 13])


# --- purging by label end time -----------------------------------------------------------------


def blocks_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(itertools.pairwise(edges.tolist()))[::2]


def reference_label_split(
    times: np.ndarray, ends: np.ndarray, bounds: np.ndarray, folds: list[int], embargo: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, overlapping, embargoed) of one split, by brute force over samples and blocks."""
    n = times.size
    test = np.zeros(n, dtype=bool)
    for fold in folds:
        test[bounds[fold] : bounds[fold + 1]] = True
    overlapping = np.zeros(n, dtype=bool)
    embargoed = np.zeros(n, dtype=bool)
    for start, stop in blocks_of(test):
        first_time, last_end = times[start], ends[start:stop].max()
        overlapping |= (times <= last_end) & (ends >= first_time)
        after = int(np.searchsorted(times, last_end, side="right"))
        embargoed[after : after + embargo] = True
    train = ~test & ~overlapping & ~embargoed
    return np.flatnonzero(train), overlapping & ~test, embargoed & ~test & ~overlapping


@st.composite
def labelled_samples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Sorted integer times with ties, and label ends 0-15 steps later in no particular order."""
    n = draw(st.integers(2, 80))
    steps = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    horizons = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    times = np.cumsum(steps).astype(np.int64)
    return times, times + np.array(horizons, dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(
    samples=labelled_samples(),
    n_folds=st.integers(2, 7),
    n_test=st.integers(1, 6),
    embargo=st.integers(0, 6),
)
def test_label_purge_drops_exactly_the_overlaps_and_the_embargo(
    samples: tuple[np.ndarray, np.ndarray], n_folds: int, n_test: int, embargo: int
) -> None:
    times, ends = samples
    assume(n_test < n_folds <= times.size)
    plan = kernels.CpcvPlan(
        times.size, n_folds, n_test, embargo_size=embargo, times=times, label_end_times=ends
    )
    bounds = plan.group_bounds()
    splits = plan.split_indices(range(plan.n_splits))
    for folds, (train, test) in zip(plan.test_groups().tolist(), splits, strict=True):
        expected, overlapping, embargoed = reference_label_split(
            times, ends, bounds, folds, embargo
        )
        np.testing.assert_array_equal(train, expected)
        # No training label interval overlaps a test block's interval ...
        for start, stop in blocks_of(np.isin(np.arange(times.size), test)):
            first_time, last_end = times[start], ends[start:stop].max()
            assert not ((times[train] <= last_end) & (ends[train] >= first_time)).any()
        # ... and everything not tested and not trained on overlaps or is embargoed.
        dropped = np.setdiff1d(np.arange(times.size), np.concatenate([train, test]))
        np.testing.assert_array_equal(dropped, np.flatnonzero(overlapping | embargoed))


def test_label_purge_by_hand() -> None:
    # 20 samples, one a step, labels end a step later except sample 1 (4 steps); folds of 4.
    # Split 5 tests folds 1 and 3: blocks [4, 8] and [12, 16] in time.
    times = np.arange(20, dtype=np.int64)
    ends = times + 1
    ends[1] = 5
    plan = kernels.CpcvPlan(20, 5, 2, embargo_size=1, times=times, label_end_times=ends)
    assert plan.test_groups()[5].tolist() == [1, 3]
    train, test = plan.split_indices([5])[0]
    np.testing.assert_array_equal(test, [4, 5, 6, 7, 12, 13, 14, 15])
    # 1 and 3 reach time 4, 8 starts at 8 and 9 is embargoed, 11 reaches 12, 16 starts at 16
    # and 17 is embargoed.
    np.testing.assert_array_equal(train, [0, 2, 10, 18, 19])
    counted = kernels.CpcvPlan(20, 5, 2, purged_size=1, embargo_size=1)
    np.testing.assert_array_equal(counted.split_indices([5])[0][0], [0, 1, 2, 10, 18, 19])


def test_a_label_outlasting_its_fold_purges_past_the_next_fold() -> None:
    # Sample 1's label ends at time 9: the test block [0, 4) covers [0, 9], so 4..9 are purged.
    times = np.arange(12, dtype=np.int64)
    ends = times.copy()
    ends[1] = 9
    plan = kernels.CpcvPlan(12, 3, 1, times=times, label_end_times=ends)
    np.testing.assert_array_equal(plan.split_indices([0])[0][0], [10, 11])


# --- bad arguments -----------------------------------------------------------------------------

TIMES = np.arange(10, dtype=np.int64)


@pytest.mark.parametrize(
    ("arguments", "keywords", "complaint"),
    [
        pytest.param((10, 3, 3), {}, r"^n_test_groups must be between 1", id="k-equals-N"),
        pytest.param((10, 3, 4), {}, r"^n_test_groups must be between 1", id="k-above-N"),
        pytest.param((10, 3, 0), {}, r"^n_test_groups must be between 1", id="k-zero"),
        pytest.param((10, 1, 1), {}, r"^n_groups must be >= 2", id="one-group"),
        pytest.param((5, 6, 2), {}, r"^n_groups 6 is more than the 5 samples", id="N-above-n"),
        pytest.param((0, 2, 1), {}, r"^n_samples must be >= 1", id="no-samples"),
        pytest.param((100, 40, 20), {}, r"^n_test_groups 20 of 40 gives", id="too-many-splits"),
        pytest.param((10, 3.0, 1), {}, r"^n_groups must be an int", id="float-groups"),
        pytest.param((10, 3, 1), {"purged_size": -1}, r"^purged_size must not be neg", id="p<0"),
        pytest.param((10, 3, 1), {"embargo_size": -2}, r"^embargo_size must not be neg", id="e<0"),
        pytest.param(
            (10, 3, 1),
            {"times": TIMES, "label_end_times": TIMES - np.eye(10, dtype=np.int64)[4]},
            r"^label_end_times: index 4 ends before its time",
            id="label-end-before-time",
        ),
        pytest.param(
            (10, 3, 1),
            {"times": TIMES[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9]], "label_end_times": TIMES + 9},
            r"^times: not sorted: index 4 is before index 3",
            id="unsorted-times",
        ),
        pytest.param(
            (10, 3, 1),
            {"times": TIMES, "label_end_times": TIMES[:9]},
            r"^label_end_times has 9 values for 10 samples",
            id="short-label-ends",
        ),
        pytest.param((10, 3, 1), {"times": TIMES}, r"^label_end_times is missing", id="no-ends"),
        pytest.param(
            (10, 3, 1),
            {"times": TIMES, "label_end_times": TIMES, "purged_size": 2},
            r"^purged_size 2 must be 0",
            id="count-and-label-purge",
        ),
        pytest.param(
            (10, 3, 1),
            {"times": TIMES.astype(float), "label_end_times": TIMES},
            r"^times must hold datetime64 values or integers",
            id="float-times",
        ),
        pytest.param(
            (10, 3, 1),
            {
                "times": np.array(["2024-01-01", "NaT"] + ["2024-01-02"] * 8, "datetime64[ns]"),
                "label_end_times": np.full(10, np.datetime64("2024-02-01", "ns")),
            },
            r"^times\[1\] is NaT",
            id="nat-time",
        ),
    ],
)
def test_bad_arguments_raise_validation_error_naming_them(
    arguments: tuple[object, ...], keywords: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        kernels.CpcvPlan(*arguments, **keywords)  # type: ignore[arg-type]


def test_split_numbers_outside_the_plan_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"^splits: 3 is not in 0\.\.2"):
        kernels.CpcvPlan(12, 3, 2).split_indices([0, 3])


def test_raw_kernel_refuses_half_a_label_purge() -> None:
    from quantcli import _kernels

    with pytest.raises(ValueError, match="give both or neither"):
        _kernels.CpcvPlan(
            10, 3, 1, purged_size=0, embargo_size=0, times=TIMES, label_end_times=None
        )
