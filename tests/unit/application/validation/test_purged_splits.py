"""PurgedWalkForward: coverage of the test timeline, purging, embargo, NaT labels, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quantcli.application.validation.purged_splits import PurgedSplit, PurgedWalkForward
from quantcli.domain.errors import ValidationError

DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-01-01T00:00:00", "ns")
NAT = np.datetime64("NaT", "ns")


def panel(
    n_bars: int, n_symbols: int, horizon: int, missing: frozenset[tuple[int, int]] = frozenset()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """times, label_ends and bar numbers of a (bar, symbol) panel sorted by time then symbol.

    A label ends `horizon` bars later, or is NaT when that bar is past the end.
    """
    bars = [b for b in range(n_bars) for s in range(n_symbols) if (b, s) not in missing]
    bar_index = np.array(bars, dtype=np.int64)
    times = T0 + bar_index * DAY
    ends = np.where(bar_index + horizon < n_bars, times + horizon * DAY, NAT)
    return times, ends.astype("datetime64[ns]"), bar_index


# --- hand cases -------------------------------------------------------------------------------


def test_hand_case_of_two_folds_with_purge_and_embargo() -> None:
    # 10 bars, one symbol, labels 2 bars ahead; first test bar int(10 × 0.4) = 4.
    times, ends, _ = panel(10, 1, horizon=2)
    splitter = PurgedWalkForward(n_splits=2, purge_bars=1, embargo_bars=1, min_train_fraction=0.4)

    folds = list(splitter.split(times, ends))

    # Blocks [4, 7) and [7, 10). Block at 4: label end bar < 3 → bars 0; embargo bar < 3.
    assert [fold.test.tolist() for fold in folds] == [[4, 5, 6], [7, 8, 9]]
    assert folds[0].train.tolist() == [0]
    # Block at 7: label end bar < 6 → bars 0..3; embargo bar < 6 → same.
    assert folds[1].train.tolist() == [0, 1, 2, 3]


def test_without_purge_and_embargo_training_is_every_label_ended_before_the_block() -> None:
    times, ends, _ = panel(10, 1, horizon=1)
    splitter = PurgedWalkForward(n_splits=1, purge_bars=0, embargo_bars=0, min_train_fraction=0.5)

    (fold,) = splitter.split(times, ends)

    # The label of bar 4 ends at bar 5, the first test bar: it overlaps and is purged.
    assert fold.test.tolist() == [5, 6, 7, 8, 9]
    assert fold.train.tolist() == [0, 1, 2, 3]


def test_a_label_ending_between_bars_counts_as_ending_at_the_next_bar() -> None:
    times, _, _ = panel(10, 1, horizon=1)
    ends = times + np.timedelta64(12, "h")  # half-way to the next bar
    splitter = PurgedWalkForward(n_splits=1, purge_bars=0, embargo_bars=0, min_train_fraction=0.5)

    (fold,) = splitter.split(times, ends)

    assert fold.train.tolist() == [0, 1, 2, 3]


def test_rows_without_a_label_end_never_train() -> None:
    times, ends, _ = panel(12, 1, horizon=1)
    ends[[0, 2]] = NAT
    splitter = PurgedWalkForward(n_splits=2, purge_bars=0, embargo_bars=0, min_train_fraction=0.5)

    folds = list(splitter.split(times, ends))

    assert folds[0].train.tolist() == [1, 3, 4]
    assert folds[1].train.tolist() == [1, *range(3, 8)]


def test_several_symbols_per_bar_fall_in_the_same_block() -> None:
    times, ends, bar_of = panel(8, 3, horizon=1)
    splitter = PurgedWalkForward(n_splits=2, purge_bars=0, embargo_bars=1, min_train_fraction=0.5)

    folds = list(splitter.split(times, ends))

    assert [sorted(set(bar_of[fold.test].tolist())) for fold in folds] == [[4, 5], [6, 7]]
    assert all(len(fold.test) == 6 for fold in folds)


def test_split_accepts_unsorted_samples_and_returns_their_positions() -> None:
    times, ends, _ = panel(10, 1, horizon=1)
    order = np.array([9, 3, 0, 7, 5, 1, 8, 2, 6, 4])
    splitter = PurgedWalkForward(n_splits=1, purge_bars=0, embargo_bars=0, min_train_fraction=0.5)

    (fold,) = splitter.split(times[order], ends[order])

    assert sorted(order[fold.test].tolist()) == [5, 6, 7, 8, 9]
    assert sorted(order[fold.train].tolist()) == [0, 1, 2, 3]


def test_fold_indices_are_int64_arrays() -> None:
    times, ends, _ = panel(10, 1, horizon=1)
    (fold,) = PurgedWalkForward(n_splits=1, embargo_bars=0).split(times, ends)
    assert isinstance(fold, PurgedSplit)
    assert fold.train.dtype == np.int64
    assert fold.test.dtype == np.int64


# --- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"n_splits": 0}, "n_splits 0"),
        ({"purge_bars": -1}, "purge_bars -1"),
        ({"embargo_bars": -2}, "embargo_bars -2"),
        ({"min_train_fraction": 0.0}, "min_train_fraction 0.0"),
        ({"min_train_fraction": 1.0}, "min_train_fraction 1.0"),
        ({"min_train_fraction": 1.5}, "min_train_fraction 1.5"),
    ],
)
def test_invalid_arguments_raise_validation_error_naming_them(
    arguments: dict[str, float], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        PurgedWalkForward(**arguments)  # type: ignore[arg-type]


def test_too_few_bars_for_the_splits_raises_validation_error() -> None:
    times, ends, _ = panel(6, 2, horizon=1)
    splitter = PurgedWalkForward(n_splits=5, embargo_bars=0, min_train_fraction=0.5)
    with pytest.raises(ValidationError, match="6 bars are too few for 5 splits"):
        list(splitter.split(times, ends))


def test_too_few_training_bars_for_the_embargo_raises_validation_error() -> None:
    times, ends, _ = panel(20, 1, horizon=1)
    splitter = PurgedWalkForward(n_splits=2, embargo_bars=6, min_train_fraction=0.3)
    with pytest.raises(ValidationError, match="6-bar embargo"):
        list(splitter.split(times, ends))


def test_times_and_label_ends_of_different_lengths_raise_validation_error() -> None:
    times, ends, _ = panel(20, 1, horizon=1)
    with pytest.raises(ValidationError, match="times has 20 samples but label_ends has 19"):
        list(PurgedWalkForward().split(times, ends[:-1]))


# --- properties -------------------------------------------------------------------------------


@st.composite
def split_case(draw: st.DrawFn) -> tuple[PurgedWalkForward, int, int, int, frozenset]:
    """A splitter and a panel big enough for it."""
    n_bars = draw(st.integers(2, 80))
    min_train_fraction = draw(st.floats(0.1, 0.8))
    first_test = int(n_bars * min_train_fraction)
    assume(first_test >= 1 and n_bars - first_test >= 1)
    splitter = PurgedWalkForward(
        n_splits=draw(st.integers(1, min(6, n_bars - first_test))),
        purge_bars=draw(st.integers(0, 4)),
        embargo_bars=draw(st.integers(0, min(4, first_test - 1))),
        min_train_fraction=min_train_fraction,
    )
    n_symbols = draw(st.integers(1, 3))
    horizon = draw(st.integers(1, 5))
    # Drop some (bar, symbol) cells but keep symbol 0 at every bar, so the timeline is whole.
    missing: frozenset[tuple[int, int]] = frozenset()
    if n_symbols > 1:
        cells = st.tuples(st.integers(0, n_bars - 1), st.integers(1, n_symbols - 1))
        missing = draw(st.frozensets(cells, max_size=n_bars))
    return splitter, n_bars, n_symbols, horizon, missing


@settings(deadline=None, max_examples=150)
@given(case=split_case())
def test_walk_forward_folds_are_purged_embargoed_and_cover_the_test_timeline_once(
    case: tuple[PurgedWalkForward, int, int, int, frozenset],
) -> None:
    splitter, n_bars, n_symbols, horizon, missing = case
    times, ends, bar_of = panel(n_bars, n_symbols, horizon, missing)
    first_test = int(n_bars * splitter.min_train_fraction)

    folds = list(splitter.split(times, ends))

    assert len(folds) == splitter.n_splits
    # Tests: every sample from the first test bar on, exactly once, blocks in time order.
    tested = np.concatenate([fold.test for fold in folds])
    assert tested.tolist() == np.flatnonzero(bar_of >= first_test).tolist()
    block_bars = [sorted(set(bar_of[fold.test].tolist())) for fold in folds]
    assert [bar for block in block_bars for bar in block] == list(range(first_test, n_bars))
    sizes = [len(block) for block in block_bars]
    assert max(sizes) - min(sizes) <= 1
    labelled = ~np.isnat(ends)
    for fold, block in zip(folds, block_bars, strict=True):
        start = block[0]
        train = fold.train
        assert np.all(labelled[train])
        # Purge: every training label ended more than purge_bars bars before the block.
        purge_line = T0 + (start - splitter.purge_bars) * DAY
        assert np.all(ends[train] < purge_line)
        # Embargo: every training row lies more than embargo_bars bars before the block.
        assert np.all(bar_of[train] < start - splitter.embargo_bars)
        assert np.all(times[train] < times[fold.test].min())
        # Nothing is dropped beyond what purge and embargo require.
        eligible = labelled & (bar_of < start - splitter.embargo_bars)
        eligible[labelled] &= ends[labelled] < purge_line
        assert train.tolist() == np.flatnonzero(eligible).tolist()


@settings(deadline=None, max_examples=60)
@given(
    n_bars=st.integers(1, 30),
    n_splits=st.integers(1, 8),
    embargo_bars=st.integers(0, 6),
    min_train_fraction=st.floats(0.05, 0.95),
)
def test_the_splitter_raises_exactly_when_bars_are_too_few(
    n_bars: int, n_splits: int, embargo_bars: int, min_train_fraction: float
) -> None:
    times, ends, _ = panel(n_bars, 1, horizon=1)
    splitter = PurgedWalkForward(
        n_splits=n_splits, embargo_bars=embargo_bars, min_train_fraction=min_train_fraction
    )
    first_test = int(n_bars * min_train_fraction)
    if first_test <= embargo_bars or n_bars - first_test < n_splits:
        with pytest.raises(ValidationError, match=f"{n_bars} bars are too few"):
            list(splitter.split(times, ends))
    else:
        assert len(list(splitter.split(times, ends))) == n_splits
