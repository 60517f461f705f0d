"""CombinatorialPurgedCV: skfolio agreement through the scikit-learn interface, label purging on
datetime64 times, backtest paths, scikit-learn interoperability, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from skfolio.model_selection import CombinatorialPurgedCV as SkfolioCPCV
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_validate

from quantcli.application.validation import cpcv
from quantcli.application.validation.cpcv import CombinatorialPurgedCV
from quantcli.domain.errors import ValidationError

DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-01-01T00:00:00", "ns")


def daily(n: int) -> np.ndarray:
    return T0 + np.arange(n) * DAY


# --- skfolio -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "n_folds", "n_test", "purged", "embargo"),
    [
        pytest.param(12, 3, 2, 0, 0, id="docstring"),
        pytest.param(12, 3, 2, 1, 1, id="docstring-purged-embargoed"),
        pytest.param(100, 6, 2, 3, 2, id="six-two"),
        pytest.param(103, 6, 3, 2, 5, id="remainder"),
        pytest.param(250, 10, 8, 4, 4, id="skfolio-defaults"),
        pytest.param(250, 10, 9, 4, 4, id="k-is-N-minus-1"),
        pytest.param(1_009, 7, 4, 30, 11, id="larger"),
    ],
)
def test_split_yields_what_skfolio_yields(
    n: int, n_folds: int, n_test: int, purged: int, embargo: int
) -> None:
    X = np.zeros((n, 3))
    reference = SkfolioCPCV(n_folds, n_test, purged_size=purged, embargo_size=embargo)
    splitter = CombinatorialPurgedCV(n_folds, n_test, purged_size=purged, embargo_size=embargo)
    assert splitter.get_n_splits(X) == reference.get_n_splits(X) == splitter.n_splits
    assert splitter.n_test_paths == reference.n_test_paths
    np.testing.assert_array_equal(splitter.get_path_ids(), reference.get_path_ids())
    np.testing.assert_array_equal(splitter.test_folds, reference.test_set_index)
    ours = list(splitter.splits(X))
    for one, (train, test), (sk_train, sk_tests) in zip(
        ours, splitter.split(X), reference.split(X), strict=True
    ):
        np.testing.assert_array_equal(train, sk_train)
        np.testing.assert_array_equal(test, np.concatenate(sk_tests))
        assert len(one.test_blocks) == len(sk_tests)
        for block, sk_test in zip(one.test_blocks, sk_tests, strict=True):
            np.testing.assert_array_equal(block, sk_test)


def test_k_of_one_is_purged_k_fold() -> None:
    splitter = CombinatorialPurgedCV(4, 1, purged_size=1, embargo_size=1)
    splits = list(splitter.split(np.zeros(12)))
    assert splitter.n_test_paths == 1
    np.testing.assert_array_equal(splitter.get_path_ids(), [[0], [0], [0], [0]])
    assert [test.tolist() for _, test in splits] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    assert [train.tolist() for train, _ in splits] == [
        [5, 6, 7, 8, 9, 10, 11],
        [0, 1, 8, 9, 10, 11],
        [0, 1, 2, 3, 4, 11],
        [0, 1, 2, 3, 4, 5, 6, 7],
    ]


def test_small_batches_give_the_same_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    X = np.zeros(101)
    splitter = CombinatorialPurgedCV(6, 3, purged_size=2, embargo_size=1)
    whole = list(splitter.split(X))
    monkeypatch.setattr(cpcv, "BATCH_INDICES", 250)  # two splits a kernel call
    for (train, test), (train_again, test_again) in zip(whole, splitter.split(X), strict=True):
        np.testing.assert_array_equal(train, train_again)
        np.testing.assert_array_equal(test, test_again)


# --- purging by label end time -----------------------------------------------------------------


def test_label_purge_worked_by_hand() -> None:
    # 20 daily samples in 5 folds of 4; labels end a day later, sample 1's four days later.
    times = daily(20)
    ends = times + DAY
    ends[1] = times[5]
    splitter = CombinatorialPurgedCV(5, 2, embargo_size=1, times=times, label_end_times=ends)
    split = list(splitter.splits(np.zeros(20)))[5]
    assert split.test_folds == (1, 3)
    # Fold 1's third test, after (0, 1) and (1, 2); fold 3's second, after (0, 3).
    assert split.path_ids == (2, 1)
    assert [b.tolist() for b in split.test_blocks] == [[4, 5, 6, 7], [12, 13, 14, 15]]
    # Test intervals: days [4, 8] and [12, 16]. Purged: 1 (label to day 5) and 3 (to day 4),
    # 8 (starts day 8), 11 (label to day 12), 16 (starts day 16); embargoed: 9 and 17.
    assert split.train.tolist() == [0, 2, 10, 18, 19]


def test_embargo_fraction_is_that_share_of_the_samples() -> None:
    times = daily(200)
    ends = times + 3 * DAY
    by_fraction = CombinatorialPurgedCV(
        5, 2, embargo_fraction=0.026, times=times, label_end_times=ends
    )
    by_size = CombinatorialPurgedCV(5, 2, embargo_size=5, times=times, label_end_times=ends)
    X = np.zeros(200)
    for (train, _), (train_by_size, _) in zip(by_fraction.split(X), by_size.split(X), strict=True):
        np.testing.assert_array_equal(train, train_by_size)


@st.composite
def labelled_days(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Sorted datetime64 times with ties and label ends up to 12 days later, in any order."""
    n = draw(st.integers(2, 60))
    steps = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    horizons = draw(st.lists(st.integers(0, 12 * 24), min_size=n, max_size=n))
    times = T0 + np.cumsum(steps) * DAY
    return times, times + np.array(horizons) * np.timedelta64(1, "h")


@settings(max_examples=200, deadline=None)
@given(
    samples=labelled_days(),
    n_folds=st.integers(2, 6),
    n_test=st.integers(1, 5),
    embargo=st.integers(0, 5),
)
def test_no_training_label_overlaps_a_test_block_and_only_the_embargo_is_dropped_besides(
    samples: tuple[np.ndarray, np.ndarray], n_folds: int, n_test: int, embargo: int
) -> None:
    times, ends = samples
    assume(n_test < n_folds <= times.size)
    splitter = CombinatorialPurgedCV(
        n_folds, n_test, embargo_size=embargo, times=times, label_end_times=ends
    )
    everything = np.arange(times.size)
    for split in splitter.splits(np.zeros(times.size)):
        tested = np.zeros(times.size, dtype=bool)
        tested[split.test] = True
        overlaps = np.zeros(times.size, dtype=bool)
        embargoed = np.zeros(times.size, dtype=bool)
        # Blocks: runs of adjacent test folds, by brute force over the test mask.
        edges = np.flatnonzero(np.diff(np.concatenate([[0], tested.astype(int), [0]])))
        for start, stop in edges.reshape(-1, 2).tolist():
            first_time, last_end = times[start], ends[start:stop].max()
            overlap = (times <= last_end) & (ends >= first_time)
            assert not overlap[split.train].any()
            overlaps |= overlap
            after = int(np.searchsorted(times, last_end, side="right"))
            embargoed[after : after + embargo] = True
        dropped = np.setdiff1d(everything, np.concatenate([split.train, split.test]))
        np.testing.assert_array_equal(dropped, np.flatnonzero(~tested & (overlaps | embargoed)))


# --- backtest paths ----------------------------------------------------------------------------


def test_paths_by_hand() -> None:
    # 6 samples, 3 folds of 2, 2 test folds: splits (0,1) (0,2) (1,2), two paths.
    splitter = CombinatorialPurgedCV(3, 2)
    np.testing.assert_array_equal(splitter.get_path_ids(), [[0, 0], [1, 0], [1, 1]])
    predictions = [10.0 * i + test for i, (_, test) in enumerate(splitter.split(np.zeros(6)))]
    paths = splitter.paths(predictions)
    np.testing.assert_array_equal(paths, [[0, 1, 2, 3, 14, 15], [10, 11, 22, 23, 24, 25]])


@pytest.mark.parametrize(("n", "n_folds", "n_test"), [(60, 5, 2), (61, 6, 3), (40, 4, 1)])
def test_each_path_takes_each_fold_from_the_split_skfolio_assigns(
    n: int, n_folds: int, n_test: int
) -> None:
    splitter = CombinatorialPurgedCV(n_folds, n_test)
    reference = SkfolioCPCV(max(n_folds, 3), 2)
    reference.n_folds, reference.n_test_folds = n_folds, n_test
    # Predictions encode (split, sample): split * 1000 + sample.
    predictions = [1000 * i + test for i, (_, test) in enumerate(splitter.split(np.zeros(n)))]
    paths = splitter.paths(predictions)
    assert paths.shape == (splitter.n_test_paths, n)
    np.testing.assert_array_equal(paths % 1000, np.tile(np.arange(n), (splitter.n_test_paths, 1)))
    bounds = (np.arange(n_folds + 1) * (n // n_folds)).clip(max=n)
    bounds[-1] = n
    for fold in range(n_folds):
        source = paths[:, bounds[fold] : bounds[fold + 1]] // 1000
        assert (source == source[:, :1]).all()
        np.testing.assert_array_equal(source[:, 0], reference.recombined_paths[fold])


def test_paths_keep_trailing_dimensions_of_the_predictions() -> None:
    splitter = CombinatorialPurgedCV(4, 2)
    probabilities = [
        np.column_stack([test / 100, 1 - test / 100]) for _, test in splitter.split(np.zeros(40))
    ]
    paths = splitter.paths(probabilities)
    assert paths.shape == (3, 40, 2)
    np.testing.assert_allclose(paths[:, :, 0], np.tile(np.arange(40) / 100, (3, 1)))


def test_paths_reject_predictions_that_do_not_fit_the_splits() -> None:
    splitter = CombinatorialPurgedCV(3, 2)
    predictions = [test.astype(float) for _, test in splitter.split(np.zeros(9))]
    with pytest.raises(ValidationError, match=r"^predictions_per_split has 2 entries for 3"):
        splitter.paths(predictions[:2])
    with pytest.raises(ValidationError, match=r"^predictions_per_split\[1\] has 5 predictions"):
        splitter.paths([predictions[0], predictions[1][:5], np.r_[predictions[2], 0.0]])
    with pytest.raises(ValidationError, match=r"^predictions_per_split\[2\] has shape \(6, 1\)"):
        splitter.paths([predictions[0], predictions[1], predictions[2][:, None]])


# --- scikit-learn ------------------------------------------------------------------------------


def test_scikit_learn_cross_validates_with_it() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2))
    y = X @ [1.0, -2.0] + rng.normal(0.0, 0.1, 120)
    scores = cross_validate(
        LinearRegression(), X, y, cv=CombinatorialPurgedCV(5, 2, purged_size=2, embargo_size=2)
    )
    assert scores["test_score"].shape == (10,)
    assert (scores["test_score"] > 0.9).all()


# --- bad arguments -----------------------------------------------------------------------------

TIMES = daily(10)


@pytest.mark.parametrize(
    ("arguments", "keywords", "complaint"),
    [
        pytest.param((3, 3), {}, r"^n_test_folds must be between 1 and n_folds - 1", id="k=N"),
        pytest.param((3, 5), {}, r"^n_test_folds must be between 1", id="k>N"),
        pytest.param((3, 0), {}, r"^n_test_folds must be between 1", id="k=0"),
        pytest.param((1, 1), {}, r"^n_folds must be at least 2", id="N=1"),
        pytest.param((5.0, 2), {}, r"^n_folds must be an int", id="float-N"),
        pytest.param((40, 20), {}, r"^n_test_folds 20 of 40 gives", id="too-many-splits"),
        pytest.param((3, 1), {"purged_size": -1}, r"^purged_size must not be negative", id="p<0"),
        pytest.param((3, 1), {"embargo_size": -1}, r"^embargo_size must not be neg", id="e<0"),
        pytest.param((3, 1), {"embargo_fraction": 1.5}, r"^embargo_fraction must be in", id="f>1"),
        pytest.param(
            (3, 1),
            {"embargo_size": 2, "embargo_fraction": 0.1},
            r"^embargo_size 2 and embargo_fraction 0.1: give one",
            id="both-embargoes",
        ),
        pytest.param(
            (3, 1),
            {"times": TIMES, "label_end_times": TIMES - np.eye(10, dtype=int)[6] * DAY},
            r"^label_end_times: index 6 ends before its time",
            id="label-end-before-time",
        ),
        pytest.param(
            (3, 1),
            {"times": TIMES[::-1], "label_end_times": TIMES + 20 * DAY},
            r"^times: not sorted: index 1 is before index 0",
            id="unsorted-times",
        ),
        pytest.param(
            (3, 1),
            {"times": TIMES, "label_end_times": np.r_[TIMES[:9] + DAY, np.datetime64("NaT")]},
            r"^label_end_times\[9\] is NaT",
            id="nat-label-end",
        ),
        pytest.param((3, 1), {"label_end_times": TIMES}, r"^times is missing", id="no-times"),
        pytest.param(
            (3, 1),
            {"times": TIMES, "label_end_times": TIMES, "purged_size": 1},
            r"^purged_size 1 must be 0 when purging by label_end_times",
            id="purged-with-labels",
        ),
        pytest.param(
            (12, 2),
            {"times": TIMES, "label_end_times": TIMES},
            r"^times has 10 samples, fewer than n_folds \(12\)",
            id="more-folds-than-times",
        ),
        pytest.param(
            (3, 1),
            {"times": TIMES, "label_end_times": TIMES[:8]},
            r"^label_end_times has 8 values for 10 samples",
            id="short-label-ends",
        ),
    ],
)
def test_bad_arguments_raise_validation_error_naming_them(
    arguments: tuple[object, ...], keywords: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        CombinatorialPurgedCV(*arguments, **keywords)  # type: ignore[arg-type]


def test_more_folds_than_samples_is_refused_when_splitting() -> None:
    with pytest.raises(ValidationError, match=r"^X has 4 samples, fewer than n_folds \(5\)"):
        next(CombinatorialPurgedCV(5, 2).split(np.zeros(4)))


def test_samples_must_match_the_label_times() -> None:
    splitter = CombinatorialPurgedCV(3, 1, times=TIMES, label_end_times=TIMES + DAY)
    with pytest.raises(ValidationError, match=r"^X has 11 samples but times has 10"):
        next(splitter.split(np.zeros(11)))
