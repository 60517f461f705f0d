"""Targets: direction and forward return over a horizon, triple-barrier labels and end times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    SymbolBars,
    TargetDefinition,
    TargetKind,
    compute_labels,
    horizon_labels,
    triple_barrier_labels,
)
from quantcli.domain.errors import ValidationError

CLOSE = np.array([100.0, 102.0, 105.0, 101.0, 96.0, 99.0, 104.0, 100.0, 100.5, 101.0, 100.8, 101.5])
DAYS = pd.date_range("2024-01-01", periods=len(CLOSE), freq="D")
TIMES = DAYS.to_numpy(dtype="datetime64[ns]")


def ends(labels_end: np.ndarray) -> list[object]:
    return [
        None if np.isnat(end) else int((end - TIMES[0]) // np.timedelta64(1, "D"))
        for end in labels_end
    ]


def test_triple_barrier_by_hand() -> None:
    # σ = 2%: profit-take at +2 × 2% = +4%, stop-loss at -1 × 2% = -2%, vertical 3 bars later.
    labels = triple_barrier_labels(
        CLOSE, TIMES, np.full(len(CLOSE), 0.02), horizon=3, profit_take=2.0, stop_loss=1.0
    )

    # 0: 102 (+2%), 105 (+5%) → profit-take at bar 2.
    # 1: 105 (+2.9%), 101 (-1.0%), 96 (-5.9%) → stop-loss at bar 4.
    # 2: 101 (-3.8%) → stop-loss at 3.   3: 96 (-5.0%) → stop-loss at 4.
    # 4: 99 (+3.1%), 104 (+8.3%) → profit-take at 6.   5: 104 (+5.1%) → profit-take at 6.
    # 6: 100 (-3.8%) → stop-loss at 7.
    # 7: 100.5, 101, 100.8 (+0.8%): no barrier → vertical at 10.   8: vertical at 11.
    # 9, 10, 11: the path ends before any barrier or the vertical one: no label yet.
    assert ends(labels.label_end) == [2, 4, 3, 4, 6, 6, 7, 10, 11, None, None, None]
    np.testing.assert_array_equal(
        labels.barrier, [1, -1, -1, -1, 1, 1, -1, 0, 0, np.nan, np.nan, np.nan]
    )
    np.testing.assert_array_equal(
        labels.target, [1, 0, 0, 0, 1, 1, 0, 1, 1, np.nan, np.nan, np.nan]
    )
    assert labels.forward_return[:9] == pytest.approx(
        [
            0.05,
            96 / 102 - 1,
            101 / 105 - 1,
            96 / 101 - 1,
            104 / 96 - 1,
            104 / 99 - 1,
            100 / 104 - 1,
            0.008,
            101.5 / 100.5 - 1,
        ]
    )
    assert np.isnan(labels.forward_return[9:]).all()


def test_a_zero_multiple_switches_that_barrier_off() -> None:
    labels = triple_barrier_labels(
        CLOSE, TIMES, np.full(len(CLOSE), 0.02), horizon=3, profit_take=0.0, stop_loss=1.0
    )

    # Bar 0 no longer takes profit at 105: the path 102, 105, 101 ends at the vertical barrier.
    assert ends(labels.label_end)[:2] == [3, 4]
    assert labels.barrier[0] == 0
    assert labels.forward_return[0] == pytest.approx(0.01)
    # Bar 4 rises 8% but can only stop out or time out: vertical at 7, 100 / 96 - 1.
    assert ends(labels.label_end)[4] == 7
    assert labels.target[4] == 1


def test_no_label_while_the_volatility_is_unknown() -> None:
    volatility = np.full(len(CLOSE), 0.02)
    volatility[:2] = np.nan

    labels = triple_barrier_labels(
        CLOSE, TIMES, volatility, horizon=3, profit_take=2.0, stop_loss=1.0
    )

    assert np.isnan(labels.target[:2]).all()
    assert np.isnat(labels.label_end[:2]).all()
    assert labels.barrier[2] == -1


def test_triple_barrier_target_uses_the_rolling_volatility_of_one_bar_returns() -> None:
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 60)))
    times = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    bars = SymbolBars(times, close, close, close, close, np.ones(60))
    target = TargetDefinition(
        kind="triple_barrier", horizon=5, profit_take=1.5, stop_loss=1.0, volatility_window=10
    )

    labels = compute_labels(bars, target)

    returns = pd.Series(close).pct_change()
    sigma = returns.rolling(10).std().to_numpy()
    for start in range(60):
        end, barrier = None, np.nan
        if not np.isnan(sigma[start]):
            for step in range(1, 6):
                if start + step >= 60:
                    break
                move = close[start + step] / close[start] - 1
                if move <= -1.0 * sigma[start]:
                    end, barrier = start + step, -1.0
                    break
                if move >= 1.5 * sigma[start]:
                    end, barrier = start + step, 1.0
                    break
            else:
                end, barrier = start + 5, 0.0
        if end is None:
            assert np.isnan(labels.target[start]), start
            assert np.isnat(labels.label_end[start]), start
            continue
        assert labels.barrier[start] == barrier, start
        assert labels.label_end[start] == times[end].tz_localize(None).to_datetime64(), start
        assert labels.forward_return[start] == pytest.approx(close[end] / close[start] - 1)
        assert labels.target[start] == float(close[end] > close[start])
    assert np.isnan(labels.target[:10]).all()
    assert (~np.isnan(labels.target[10:-5])).all()


def test_direction_is_one_only_when_the_close_h_bars_later_is_higher() -> None:
    close = np.array([10.0, 11.0, 12.0, 11.0, 13.0, 12.0])

    labels = horizon_labels(close, TIMES[:6], 2)

    # 10 → 12 up, 11 → 11 flat (not up), 12 → 13 up, 11 → 12 up.
    np.testing.assert_array_equal(labels.target, [1, 0, 1, 1, np.nan, np.nan])
    assert labels.forward_return[:4] == pytest.approx([0.2, 0.0, 13 / 12 - 1, 12 / 11 - 1])
    assert ends(labels.label_end) == [2, 3, 4, 5, None, None]
    np.testing.assert_array_equal(labels.barrier, [0, 0, 0, 0, np.nan, np.nan])


def test_the_forward_return_target_is_the_return_itself() -> None:
    close = np.array([10.0, 11.0, 12.0, 11.0])
    bars = SymbolBars(pd.DatetimeIndex(DAYS[:4], tz="UTC"), close, close, close, close, close)

    labels = compute_labels(bars, TargetDefinition(kind=TargetKind.FORWARD_RETURN, horizon=1))

    np.testing.assert_allclose(labels.target, [0.1, 1 / 11, -1 / 12, np.nan])
    np.testing.assert_array_equal(labels.target, labels.forward_return)
    assert not TargetDefinition(kind="forward_return").is_binary
    assert TargetDefinition(kind="triple_barrier").is_binary


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("horizon", 0, "horizon 0 is not positive"),
        ("profit_take", -1.0, "profit_take -1.0 is negative"),
        ("volatility_window", 1, "volatility_window 1 is below 2"),
    ],
)
def test_bad_target_values_are_named(field: str, value: float, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        TargetDefinition(**{field: value})  # type: ignore[arg-type]


def test_target_description_names_barriers_only_for_triple_barrier() -> None:
    assert TargetDefinition(horizon=5).describe() == {
        "kind": "direction",
        "version": 1,
        "horizon": 5,
    }
    assert TargetDefinition(kind="triple_barrier", horizon=5).describe() == {
        "kind": "triple_barrier",
        "version": 1,
        "horizon": 5,
        "profit_take": 2.0,
        "stop_loss": 2.0,
        "volatility_window": 20,
        "price": "close",
    }
