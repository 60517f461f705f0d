"""Walk-forward analysis: refit on each training window, trade the next test window, stitch.

Windows are half-open bar ranges [start, stop) over a timeline:
- "rolling": every training window has `train_length` bars and slides by `step`;
- "anchored" (expanding): every training window starts at bar 0 and grows by `step`.
The test window follows its training window after `gap` bars (an embargo against labels that
look past the training end) and has `test_length` bars. Only complete windows are made.

The engine is injected: `refit(train)` sees only the training range and returns whatever the
engine trades (a strategy, fitted weights, a model); `run_window(fitted, test, start_equity)`
trades the test range starting from `start_equity` and returns the account equity after each
test bar. So the same analysis drives the kernel backtest or any other simulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from quantcli.application.analytics.annualization import DAYS_PER_YEAR, infer_annualization
from quantcli.application.analytics.performance import (
    FloatArray,
    Labels,
    cagr,
    calmar_ratio,
    max_drawdown,
    probabilistic_sharpe_ratio,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
)
from quantcli.domain.errors import ValidationError

WindowMode = Literal["rolling", "anchored"]
WINDOW_MODES: tuple[WindowMode, ...] = ("rolling", "anchored")
Fitted = TypeVar("Fitted")


@attrs.frozen
class BarRange:
    """Bars [start, stop) of the timeline, with the labels of the first and last bar."""

    start: int
    stop: int
    first_at: Any = None
    last_at: Any = None

    @property
    def length(self) -> int:
        return self.stop - self.start

    def as_slice(self) -> slice:
        return slice(self.start, self.stop)


@attrs.frozen
class WalkForwardWindow:
    number: int  # from 0
    train: BarRange
    test: BarRange


@attrs.frozen
class WindowResult:
    """One test window: the equity it started from, its equity after each bar, its metrics."""

    window: WalkForwardWindow
    starting_equity: float
    equity: FloatArray = attrs.field(eq=False)
    metrics: dict[str, float]
    fitted: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class WalkForwardResult:
    """The stitched out-of-sample equity curve and each window's result.

    `equity` holds one value per test bar, in window order; `bars` the matching timeline
    positions. `metrics` are computed on the curve prefixed with `initial_equity`.
    """

    windows: tuple[WindowResult, ...]
    initial_equity: float
    equity: FloatArray = attrs.field(eq=False)
    bars: npt.NDArray[np.int64] = attrs.field(eq=False)
    metrics: dict[str, float]
    labels: Labels | None = attrs.field(default=None, eq=False, repr=False)

    def equity_series(self) -> pd.Series:
        """The stitched curve indexed by the timeline labels (bar positions without them)."""
        index = (
            pd.Index([self.labels[bar] for bar in self.bars])
            if self.labels is not None
            else pd.Index(self.bars)
        )
        return pd.Series(self.equity, index=index, name="equity")

    def window_table(self) -> pd.DataFrame:
        """One row per window: its ranges and metrics."""
        rows = [
            {
                "window": result.window.number,
                "train_start": result.window.train.first_at,
                "train_end": result.window.train.last_at,
                "test_start": result.window.test.first_at,
                "test_end": result.window.test.last_at,
                "starting_equity": result.starting_equity,
                **result.metrics,
            }
            for result in self.windows
        ]
        return pd.DataFrame(rows)


def walk_forward_windows(
    timeline: Labels | int,
    *,
    train_length: int,
    test_length: int,
    step: int | None = None,
    mode: WindowMode = "rolling",
    gap: int = 0,
) -> list[WalkForwardWindow]:
    """The windows over `timeline` (its labels, or just a number of bars); `step` defaults
    to `test_length`, so consecutive test windows tile the timeline without overlap."""
    n_bars = _bar_count(timeline)
    _positive(train_length, "train_length")
    _positive(test_length, "test_length")
    stride = test_length if step is None else step
    _positive(stride, "step")
    if not isinstance(gap, int) or isinstance(gap, bool) or gap < 0:
        raise ValidationError(f"gap {gap!r} must be a non-negative integer")
    if mode not in WINDOW_MODES:
        raise ValidationError(f"mode {mode!r} is not one of {', '.join(WINDOW_MODES)}")
    labels = None if isinstance(timeline, int) else timeline
    windows: list[WalkForwardWindow] = []
    train_stop = train_length
    while train_stop + gap + test_length <= n_bars:
        train_start = 0 if mode == "anchored" else train_stop - train_length
        test_start = train_stop + gap
        windows.append(
            WalkForwardWindow(
                number=len(windows),
                train=_range(train_start, train_stop, labels),
                test=_range(test_start, test_start + test_length, labels),
            )
        )
        train_stop += stride
    if not windows:
        raise ValidationError(
            f"timeline has {n_bars} bars, fewer than train_length {train_length} + gap {gap} "
            f"+ test_length {test_length}: no complete walk-forward window fits"
        )
    return windows


def walk_forward(
    timeline: Labels | int,
    *,
    train_length: int,
    test_length: int,
    refit: Callable[[BarRange], Fitted],
    run_window: Callable[[Fitted, BarRange, float], npt.ArrayLike],
    step: int | None = None,
    mode: WindowMode = "rolling",
    gap: int = 0,
    initial_equity: float = 1.0,
    periods_per_year: float | None = None,
) -> WalkForwardResult:
    """Refit once per window on its training range, run its test range, stitch the equity.

    Each test window starts from the previous window's ending equity (the first from
    `initial_equity`). `step` must be at least `test_length`: overlapping test windows
    would trade the same bars twice.
    Metrics are annualized with `periods_per_year`; None infers it from a DatetimeIndex
    timeline (`infer_annualization`; 252 for other timelines). On a DatetimeIndex, CAGR and
    Calmar compound over elapsed time: a window's from the bar before its test range (its
    starting equity) to its last test bar, the stitched curve's the sum of its windows'.
    """
    windows = walk_forward_windows(
        timeline, train_length=train_length, test_length=test_length, step=step, mode=mode, gap=gap
    )
    if step is not None and step < test_length:
        raise ValidationError(
            f"step {step} is shorter than test_length {test_length}: test windows would overlap"
        )
    if not (math.isfinite(initial_equity) and initial_equity > 0):
        raise ValidationError(f"initial_equity {initial_equity} is not a positive number")
    times = timeline if isinstance(timeline, pd.DatetimeIndex) else None
    periods = (
        periods_per_year
        if periods_per_year is not None
        else infer_annualization(times if times is not None else []).periods_per_year
    )
    results = []
    equity = float(initial_equity)
    for window in windows:
        fitted = refit(window.train)
        curve = _window_equity(run_window(fitted, window.test, equity), window)
        results.append(
            WindowResult(
                window=window,
                starting_equity=equity,
                equity=curve,
                metrics=_metrics(
                    np.concatenate([[equity], curve]), periods, _years(times, [window])
                ),
                fitted=fitted,
            )
        )
        equity = float(curve[-1])
    stitched = np.concatenate([result.equity for result in results])
    bars = np.concatenate([np.arange(w.test.start, w.test.stop) for w in windows]).astype(np.int64)
    return WalkForwardResult(
        windows=tuple(results),
        initial_equity=float(initial_equity),
        equity=stitched,
        bars=bars,
        metrics=_metrics(
            np.concatenate([[initial_equity], stitched]), periods, _years(times, windows)
        ),
        labels=None if isinstance(timeline, int) else timeline,
    )


def _bar_count(timeline: Labels | int) -> int:
    if isinstance(timeline, bool):
        raise ValidationError(f"timeline {timeline!r} is neither a number of bars nor labels")
    if isinstance(timeline, int):
        if timeline < 1:
            raise ValidationError(f"timeline of {timeline} bars: need at least 1")
        return timeline
    return len(timeline)


def _positive(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValidationError(f"{name} {value!r} must be a positive integer")


def _range(start: int, stop: int, labels: Labels | None) -> BarRange:
    if labels is None:
        return BarRange(start, stop)
    return BarRange(start, stop, labels[start], labels[stop - 1])


def _window_equity(values: npt.ArrayLike, window: WalkForwardWindow) -> FloatArray:
    curve = np.asarray(values, dtype=np.float64)
    test = window.test
    where = f"run_window for window {window.number} (test bars {test.start}-{test.stop - 1})"
    if curve.shape != (window.test.length,):
        raise ValidationError(
            f"{where} returned shape {curve.shape}; expected ({window.test.length},), "
            "the equity after each test bar"
        )
    bad = np.flatnonzero(~(np.isfinite(curve) & (curve > 0)))
    if bad.size:
        raise ValidationError(f"{where} returned equity[{bad[0]}] = {curve[bad[0]]}, not positive")
    return curve


def _years(times: pd.DatetimeIndex | None, windows: Sequence[WalkForwardWindow]) -> float | None:
    """Elapsed years of the windows' test ranges, each from the bar before it; None without
    timestamps (the metrics then count bars)."""
    if times is None:
        return None
    elapsed = sum(
        (times[window.test.stop - 1] - times[window.test.start - 1] for window in windows),
        start=pd.Timedelta(0),
    )
    return float(elapsed / pd.Timedelta(days=DAYS_PER_YEAR))


def _metrics(curve: FloatArray, periods_per_year: float, years: float | None) -> dict[str, float]:
    returns = simple_returns(curve)
    return {
        "total_return": float(curve[-1] / curve[0] - 1.0),
        "cagr": cagr(curve, periods_per_year, years=years),
        "sharpe": sharpe_ratio(returns, periods_per_year),
        "sortino": sortino_ratio(returns, periods_per_year),
        "max_drawdown": max_drawdown(curve),
        "calmar": calmar_ratio(curve, periods_per_year, years=years),
        "probabilistic_sharpe": probabilistic_sharpe_ratio(returns),
    }
