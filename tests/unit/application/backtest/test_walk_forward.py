"""Walk-forward analysis with fake engines: windows, data isolation, stitching, errors."""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs
import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.performance import max_drawdown, sharpe_ratio
from quantcli.application.backtest.walk_forward import (
    BarRange,
    walk_forward,
    walk_forward_windows,
)
from quantcli.domain.errors import ValidationError

TIMELINE = pd.date_range("2020-01-01", periods=20, freq="D", tz="UTC")


def spans(timeline: pd.DatetimeIndex | int, **kwargs: object) -> list[tuple[int, int, int, int]]:
    windows = walk_forward_windows(timeline, **kwargs)  # type: ignore[arg-type]
    return [(w.train.start, w.train.stop, w.test.start, w.test.stop) for w in windows]


def test_rolling_windows_slide_a_fixed_training_length() -> None:
    assert spans(20, train_length=8, test_length=4) == [
        (0, 8, 8, 12),
        (4, 12, 12, 16),
        (8, 16, 16, 20),
    ]


def test_anchored_windows_expand_from_the_first_bar() -> None:
    assert spans(20, train_length=8, test_length=4, mode="anchored") == [
        (0, 8, 8, 12),
        (0, 12, 12, 16),
        (0, 16, 16, 20),
    ]


def test_step_and_gap_and_only_complete_windows() -> None:
    # Training ends at 6, 11, 16; the test starts 2 bars later; a test ending past 20 is dropped.
    assert spans(20, train_length=6, test_length=3, step=5, gap=2) == [
        (0, 6, 8, 11),
        (5, 11, 13, 16),
    ]


def test_windows_carry_the_timeline_labels() -> None:
    first = walk_forward_windows(TIMELINE, train_length=8, test_length=4)[0]
    assert first.number == 0
    assert first.train == BarRange(0, 8, TIMELINE[0], TIMELINE[7])
    assert first.test == BarRange(8, 12, TIMELINE[8], TIMELINE[11])
    assert first.train.length == 8
    assert first.test.as_slice() == slice(8, 12)


@pytest.mark.parametrize("mode", ["rolling", "anchored"])
@pytest.mark.parametrize(("train", "test", "step", "gap"), [(5, 3, None, 0), (7, 2, 4, 1)])
def test_no_test_window_overlaps_its_training_window(
    mode: str, train: int, test: int, step: int | None, gap: int
) -> None:
    windows = walk_forward_windows(
        50,
        train_length=train,
        test_length=test,
        step=step,
        mode=mode,  # type: ignore[arg-type]
        gap=gap,
    )
    assert len(windows) > 3
    for window in windows:
        assert window.train.stop + gap == window.test.start
        assert set(range(window.train.start, window.train.stop)).isdisjoint(
            range(window.test.start, window.test.stop)
        )
        assert window.test.length == test
        if mode == "rolling":
            assert window.train.length == train
        else:
            assert window.train.start == 0


@attrs.define
class FakeEngine:
    """Refits a 'strategy' (the mean of the training data) and trades a fixed daily return."""

    data: np.ndarray
    refits: list[BarRange] = attrs.Factory(list)
    seen: list[np.ndarray] = attrs.Factory(list)
    runs: list[tuple[BarRange, float]] = attrs.Factory(list)

    def refit(self, train: BarRange) -> float:
        self.refits.append(train)
        training = self.data[train.as_slice()]
        self.seen.append(training)
        return float(training.mean())

    def run_window(self, fitted: float, test: BarRange, starting_equity: float) -> np.ndarray:
        self.runs.append((test, starting_equity))
        returns = self.data[test.as_slice()] * 0.001
        return starting_equity * np.cumprod(1.0 + returns)


def test_the_hook_is_called_once_per_window_with_only_training_data() -> None:
    data = np.arange(20, dtype=np.float64)
    engine = FakeEngine(data)

    result = walk_forward(
        TIMELINE,
        train_length=8,
        test_length=4,
        refit=engine.refit,
        run_window=engine.run_window,
        initial_equity=100.0,
    )

    assert [r.start for r in engine.refits] == [0, 4, 8]
    assert len(engine.refits) == len(result.windows) == 3
    for window_result, seen in zip(result.windows, engine.seen, strict=True):
        test = window_result.window.test
        # The training data stops strictly before the first test bar.
        assert seen.max() < data[test.start]
        assert seen.size == 8
    assert [r.fitted for r in result.windows] == [3.5, 7.5, 11.5]


def test_the_stitched_curve_is_continuous_across_windows() -> None:
    engine = FakeEngine(np.linspace(-1.0, 2.0, 20))

    result = walk_forward(
        TIMELINE,
        train_length=8,
        test_length=4,
        refit=engine.refit,
        run_window=engine.run_window,
        initial_equity=100.0,
    )

    starts = [start for _, start in engine.runs]
    assert starts[0] == 100.0
    for previous, current, start in zip(
        result.windows[:-1], result.windows[1:], starts[1:], strict=True
    ):
        assert current.starting_equity == previous.equity[-1] == start
    np.testing.assert_array_equal(result.equity, np.concatenate([r.equity for r in result.windows]))
    np.testing.assert_array_equal(result.bars, np.arange(8, 20))
    # The stitched curve equals one uninterrupted compounding of the test returns.
    expected = 100.0 * np.cumprod(1.0 + np.linspace(-1.0, 2.0, 20)[8:] * 0.001)
    np.testing.assert_allclose(result.equity, expected)
    series = result.equity_series()
    assert series.index.equals(pd.Index(TIMELINE[8:]))


def test_per_window_and_overall_metrics() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0.5, 5.0, 60)
    engine = FakeEngine(data)

    result = walk_forward(
        60,
        train_length=20,
        test_length=10,
        refit=engine.refit,
        run_window=engine.run_window,
        mode="anchored",
        periods_per_year=12,
    )

    curve = np.concatenate([[1.0], result.equity])
    assert result.metrics["total_return"] == pytest.approx(result.equity[-1] - 1.0)
    assert result.metrics["max_drawdown"] == pytest.approx(max_drawdown(curve))
    assert result.metrics["sharpe"] == pytest.approx(
        sharpe_ratio(curve[1:] / curve[:-1] - 1.0, periods_per_year=12)
    )
    for window_result in result.windows:
        start = window_result.starting_equity
        assert window_result.metrics["total_return"] == pytest.approx(
            window_result.equity[-1] / start - 1.0
        )
    table = result.window_table()
    assert list(table["window"]) == [0, 1, 2, 3]
    assert {"sharpe", "max_drawdown", "total_return", "starting_equity"} <= set(table.columns)
    assert result.equity_series().index.tolist() == list(range(20, 60))


def run_constant(length: int) -> Callable[[object, BarRange, float], np.ndarray]:
    return lambda _fitted, _test, equity: np.full(length, equity)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: walk_forward_windows(10, train_length=0, test_length=2), "train_length 0"),
        (lambda: walk_forward_windows(10, train_length=2, test_length=-1), "test_length -1"),
        (lambda: walk_forward_windows(10, train_length=2, test_length=2, step=0), "step 0"),
        (lambda: walk_forward_windows(10, train_length=2, test_length=2, gap=-1), "gap -1"),
        (
            lambda: walk_forward_windows(10, train_length=2, test_length=2, mode="sliding"),  # type: ignore[arg-type]
            "mode 'sliding' is not one of rolling, anchored",
        ),
        (
            lambda: walk_forward_windows(10, train_length=8, test_length=3),
            "timeline has 10 bars, fewer than train_length 8 + gap 0 + test_length 3",
        ),
        (lambda: walk_forward_windows(0, train_length=1, test_length=1), "timeline of 0 bars"),
        (
            lambda: walk_forward(
                10, train_length=2, test_length=4, step=2, refit=id, run_window=run_constant(4)
            ),
            "step 2 is shorter than test_length 4",
        ),
        (
            lambda: walk_forward(
                10,
                train_length=2,
                test_length=4,
                refit=id,
                run_window=run_constant(4),
                initial_equity=0.0,
            ),
            "initial_equity 0.0",
        ),
        (
            lambda: walk_forward(
                10, train_length=2, test_length=4, refit=id, run_window=run_constant(3)
            ),
            "run_window for window 0 (test bars 2-5) returned shape (3,); expected (4,)",
        ),
        (
            lambda: walk_forward(
                10,
                train_length=2,
                test_length=4,
                refit=id,
                run_window=lambda *_: np.array([1.0, 1.0, np.nan, 1.0]),
            ),
            "run_window for window 0 (test bars 2-5) returned equity[2] = nan, not positive",
        ),
    ],
)
def test_bad_input_raises_validation_error_naming_it(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        call()
