"""The walk-forward report's numbers: window table, stitched drawdown and the Sharpe efficiency
ratio, on a walk whose every equity value is set by hand (no kernels)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.backtest.walk_forward import BarRange, WalkForwardResult, walk_forward
from quantcli.application.backtest.walk_forward_analytics import (
    efficiency_ratio,
    walk_forward_run,
    window_table,
)
from quantcli.application.backtest.walk_forward_sweep import (
    ChosenPair,
    SymbolWalkForward,
    WalkForwardSweep,
)
from quantcli.domain.errors import ValidationError

DAYS = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC")
# Test windows start at bars 4, 6 and 8; each multiplies its starting equity by these.
GROWTH = {4: [1.10, 0.99], 6: [1.0, 1.2], 8: [0.9, 0.95]}
PAIRS = {0: ChosenPair(5, 20, 1.0), 2: ChosenPair(10, 30, 2.0), 4: ChosenPair(5, 50, -0.5)}


def hand_walk() -> WalkForwardResult:
    def refit(train: BarRange) -> ChosenPair:
        return PAIRS[train.start]

    def run_window(pair: ChosenPair, test: BarRange, start: float) -> np.ndarray:
        return start * np.array(GROWTH[test.start])

    return walk_forward(
        DAYS,
        train_length=4,
        test_length=2,
        refit=refit,
        run_window=run_window,
        initial_equity=100.0,
    )


def annualized_sharpe(curve: list[float]) -> float:
    returns = np.diff(curve) / np.asarray(curve[:-1])
    std = returns.std(ddof=1)
    # DAYS has a bar every calendar day: 365.25 a year, inferred from the timestamps.
    return 0.0 if std < 1e-12 else returns.mean() / std * math.sqrt(365.25)


def test_efficiency_ratio_is_mean_oos_sharpe_over_mean_in_sample_sharpe() -> None:
    assert efficiency_ratio([1.0, 2.0, 3.0], [0.5, 1.0, -0.3]) == pytest.approx(0.4 / 2.0)
    assert efficiency_ratio([1.0, math.nan, 3.0], [0.5, 9.0, 1.5]) == pytest.approx(1.0 / 2.0)
    assert math.isnan(efficiency_ratio([1.0, -1.0], [0.5, 0.5]))  # no in-sample edge
    assert math.isnan(efficiency_ratio([], []))
    with pytest.raises(ValidationError, match="2 in-sample Sharpe ratios for 1 out-of-sample"):
        efficiency_ratio([1.0, 2.0], [1.0])


def test_window_table_has_ranges_parameters_and_both_sharpes() -> None:
    walk = hand_walk()

    table = window_table(
        walk,
        parameters=[{"fast": p.fast, "slow": p.slow} for p in PAIRS.values()],
        in_sample_sharpe=[p.train_sharpe for p in PAIRS.values()],
    )

    assert list(table.columns) == [
        "window",
        "train_start",
        "train_end",
        "test_start",
        "test_end",
        "fast",
        "slow",
        "in_sample_sharpe",
        "oos_sharpe",
        "oos_return",
        "oos_max_drawdown",
        "efficiency_ratio",
    ]
    assert table["window"].tolist() == [0, 1, 2]
    assert table["train_start"].tolist() == [DAYS[0], DAYS[2], DAYS[4]]
    assert table["train_end"].tolist() == [DAYS[3], DAYS[5], DAYS[7]]
    assert table["test_start"].tolist() == [DAYS[4], DAYS[6], DAYS[8]]
    assert table["test_end"].tolist() == [DAYS[5], DAYS[7], DAYS[9]]
    assert table[["fast", "slow"]].values.tolist() == [[5, 20], [10, 30], [5, 50]]
    assert table["in_sample_sharpe"].tolist() == [1.0, 2.0, -0.5]
    # Window curves, each from its starting equity: 100 -> 110, 99; 99 -> 99, 118.8;
    # 118.8 -> 106.92, 112.86.
    curves = [[100, 110, 99], [99, 99, 118.8], [118.8, 106.92, 112.86]]
    assert table["oos_sharpe"].tolist() == pytest.approx([annualized_sharpe(c) for c in curves])
    assert table["oos_return"].tolist() == pytest.approx([-0.01, 0.2, -0.05])
    assert table["oos_max_drawdown"].tolist() == pytest.approx([-0.1, 0.0, -0.1])
    ratios = table["efficiency_ratio"].tolist()
    assert ratios[:2] == pytest.approx(
        [annualized_sharpe(curves[0]), annualized_sharpe(curves[1]) / 2]
    )
    assert math.isnan(ratios[2])  # negative in-sample Sharpe: no ratio


def test_walk_forward_run_stitches_curve_drawdown_and_metrics() -> None:
    walk = hand_walk()
    in_sample = [p.train_sharpe for p in PAIRS.values()]

    run = walk_forward_run(
        "AAA",
        walk,
        parameters=[{"fast": p.fast, "slow": p.slow} for p in PAIRS.values()],
        in_sample_sharpe=in_sample,
    )

    assert run.name == "AAA"
    assert run.equity.tolist() == pytest.approx([110, 99, 99, 118.8, 106.92, 112.86])
    assert list(run.equity.index) == list(DAYS[4:])
    # The initial 100 is the first peak; 110 then 118.8 the later ones.
    assert run.drawdown.tolist() == pytest.approx([0, -0.1, -0.1, 0, -0.1, 112.86 / 118.8 - 1])
    assert list(run.drawdown.index) == list(DAYS[4:])
    oos = run.windows["oos_sharpe"].to_numpy()
    assert run.metrics["n_windows"] == 3.0
    assert run.metrics["mean_in_sample_sharpe"] == pytest.approx(2.5 / 3)
    assert run.metrics["mean_oos_sharpe"] == pytest.approx(oos.mean())
    assert run.metrics["efficiency_ratio"] == pytest.approx(oos.mean() / (2.5 / 3))
    assert run.metrics["total_return"] == pytest.approx(0.1286)
    assert run.metrics["max_drawdown"] == pytest.approx(-0.1)


def test_window_table_refuses_mismatched_or_clashing_parameters() -> None:
    walk = hand_walk()
    with pytest.raises(ValidationError, match="3 windows but 2 parameter sets"):
        window_table(walk, parameters=[{}, {}], in_sample_sharpe=[1.0, 1.0, 1.0])
    with pytest.raises(ValidationError, match="parameter 'window' clashes"):
        window_table(walk, parameters=[{"window": 1}] * 3, in_sample_sharpe=[1.0, 1.0, 1.0])


def test_the_sweep_report_has_one_run_per_symbol_with_its_chosen_pairs() -> None:
    sweep = WalkForwardSweep(
        (SymbolWalkForward("AAA", hand_walk()), SymbolWalkForward("BBB", hand_walk())),
        train_length=4,
        test_length=2,
        mode="rolling",
    )

    report = sweep.report("wf", {"strategy": "sma_cross"}, lookahead_warning="same close")

    assert report.title == "wf"
    assert [run.name for run in report.runs] == ["AAA", "BBB"]
    windows = report.runs[0].windows
    assert windows[["fast", "slow", "in_sample_sharpe"]].values.tolist() == [
        [5, 20, 1.0],
        [10, 30, 2.0],
        [5, 50, -0.5],
    ]
    assert dict(report.configuration) == {
        "train_length": 4,
        "test_length": 2,
        "mode": "rolling",
        "strategy": "sma_cross",
    }
    assert report.lookahead_warning == "same close"
