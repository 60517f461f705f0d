"""walk_forward_sma_crossover: refit on training bars only, trade out of sample, stitch."""

from __future__ import annotations

import itertools
import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.backtest import walk_forward_sweep as module
from quantcli.application.backtest.parameter_sweep import sweep_sma_crossover
from quantcli.application.backtest.walk_forward import BarRange
from quantcli.application.backtest.walk_forward_sweep import (
    WINDOW_COLUMNS,
    ChosenPair,
    WalkForwardSweep,
    trade_test_window,
    walk_forward_sma_crossover,
)
from quantcli.domain.errors import DataError, ValidationError
from quantcli.kernels import SignalRules

CASH = 10_000.0
BARS = 400
TRAIN = 120
TEST = 40
FAST = [3, 5, 8, 13]
SLOW = [10, 20, 30, 50]
RULES = SignalRules(commission_rate=0.001)


def random_walk(seed: int, count: int = BARS) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, count)))
    open_ = close * np.exp(rng.normal(0.0, 0.005, count))
    return open_, close


def store_of(fakes: ModuleType, walks: dict[str, tuple[np.ndarray, np.ndarray]]) -> object:
    frames = [
        fakes.bar_frame(symbol, fakes.utc_days(len(close)), open_, close)
        for symbol, (open_, close) in walks.items()
    ]
    return fakes.FakeBarStore(pd.concat(frames, ignore_index=True))


def run(store: object, **overrides: object) -> WalkForwardSweep:
    arguments: dict[str, object] = {
        "fast_windows": FAST,
        "slow_windows": SLOW,
        "rules": RULES,
        "initial_cash": CASH,
        "train_length": TRAIN,
        "test_length": TEST,
    }
    arguments.update(overrides)
    return walk_forward_sma_crossover(store, **arguments)  # type: ignore[arg-type]


def test_each_pair_is_the_best_sharpe_of_the_sweep_over_that_training_window(
    fakes: ModuleType,
) -> None:
    open_, close = random_walk(1)
    result = run(store_of(fakes, {"AAA": (open_, close)})).symbols[0]

    assert len(result.pairs) == (BARS - TRAIN) // TEST
    for window, pair in zip(result.walk.windows, result.pairs, strict=True):
        train = window.window.train.as_slice()
        only_training = store_of(fakes, {"AAA": (open_[train], close[train])})
        table = sweep_sma_crossover(
            only_training, fast_windows=FAST, slow_windows=SLOW, rules=RULES, initial_cash=CASH
        )
        best = table.loc[table["sharpe"].idxmax()]
        assert pair.train_sharpe == table["sharpe"].max()
        chosen = table[(table.fast == pair.fast) & (table.slow == pair.slow)]
        assert chosen["sharpe"].item() == best["sharpe"]


def test_changing_bars_after_a_training_window_never_changes_the_pair_it_chose(
    fakes: ModuleType,
) -> None:
    open_, close = random_walk(2)
    baseline = run(store_of(fakes, {"AAA": (open_, close)})).symbols[0]
    other_open, other_close = random_walk(99)

    for number, window in enumerate(baseline.walk.windows):
        cut = window.window.train.stop
        scale = close[cut - 1] / other_close[cut - 1]  # keep prices continuous at the cut
        changed_open = np.concatenate([open_[:cut], other_open[cut:] * scale])
        changed_close = np.concatenate([close[:cut], other_close[cut:] * scale])
        changed = run(store_of(fakes, {"AAA": (changed_open, changed_close)})).symbols[0]

        assert changed.pairs[: number + 1] == baseline.pairs[: number + 1]
        assert not np.array_equal(changed.walk.equity, baseline.walk.equity)


def test_the_refit_reads_no_bar_after_its_training_window(
    fakes: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[pd.Timestamp] = []

    def spy(bar_store: object, **kwargs: object) -> pd.DataFrame:
        seen.append(bar_store.read_bars()["timestamp"].max())  # type: ignore[attr-defined]
        return sweep_sma_crossover(bar_store, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "sweep_sma_crossover", spy)
    result = run(store_of(fakes, {"AAA": random_walk(3)})).symbols[0]

    assert seen == [window.window.train.last_at for window in result.walk.windows]


def test_the_stitched_equity_is_continuous_from_the_initial_cash(fakes: ModuleType) -> None:
    result = run(store_of(fakes, {"AAA": random_walk(4), "BBB": random_walk(5)}))

    for symbol_run in result.symbols:
        windows = symbol_run.walk.windows
        assert windows[0].starting_equity == CASH
        for previous, current in itertools.pairwise(windows):
            assert current.starting_equity == previous.equity[-1]
        stitched = symbol_run.walk.equity
        assert np.array_equal(stitched, np.concatenate([w.equity for w in windows]))
        assert symbol_run.total_return == pytest.approx(stitched[-1] / CASH - 1.0)
        assert symbol_run.max_drawdown <= 0.0
        assert math.isfinite(symbol_run.sharpe)


def test_a_test_window_trades_only_inside_itself_with_past_bars_as_warm_up() -> None:
    open_, close = random_walk(6)
    pair = ChosenPair(fast=5, slow=20, train_sharpe=0.0)
    window = BarRange(TRAIN, TRAIN + TEST)

    equity = trade_test_window(open_, close, pair, window, starting_equity=5_000.0, rules=RULES)

    # By hand: the crosses of the averages over the whole history, kept inside the window.
    difference = kernels.sma(close, 5) - kernels.sma(close, 20)
    events = np.full(close.size, math.nan)
    events[1:][(difference[:-1] < 0) & (difference[1:] > 0)] = 1.0
    events[1:][(difference[:-1] > 0) & (difference[1:] < 0)] = -1.0
    inside = events[window.as_slice()]
    expected = kernels.signal_backtest(
        open_[window.as_slice()],
        close[window.as_slice()],
        inside,
        initial_cash=5_000.0,
        rules=RULES,
    ).equity
    assert np.array_equal(equity, expected)
    # Bars after the window are never read.
    later = close.copy()
    later[window.stop :] *= 3.0
    assert np.array_equal(
        trade_test_window(open_, later, pair, window, starting_equity=5_000.0, rules=RULES),
        equity,
    )


def test_rolling_windows_slide_and_anchored_windows_grow_over_the_same_test_windows(
    fakes: ModuleType,
) -> None:
    store = store_of(fakes, {"AAA": random_walk(7)})
    rolling = run(store).symbols[0].walk.windows
    anchored = run(store, mode="anchored").symbols[0].walk.windows

    assert [w.window.test for w in rolling] == [w.window.test for w in anchored]
    assert all(w.window.train.length == TRAIN for w in rolling)
    assert [w.window.train.start for w in anchored] == [0] * len(anchored)
    assert [w.window.train.length for w in anchored] == [
        TRAIN + TEST * n for n in range(len(anchored))
    ]
    assert [w.window.test.start for w in rolling] == [TRAIN + TEST * n for n in range(len(rolling))]


def test_the_window_table_has_one_row_per_symbol_and_window(fakes: ModuleType) -> None:
    result = run(store_of(fakes, {"AAA": random_walk(8), "BBB": random_walk(9)}))
    table = result.window_table()

    windows = (BARS - TRAIN) // TEST
    assert tuple(table.columns) == WINDOW_COLUMNS
    assert len(table) == 2 * windows
    assert table.groupby("symbol").size().to_dict() == {"AAA": windows, "BBB": windows}
    assert (table.test_start > table.train_end).all()
    assert table.test_return.to_numpy() == pytest.approx(
        (table.ending_equity / table.starting_equity - 1.0).to_numpy()
    )


def test_a_symbol_too_short_for_one_window_is_named_with_the_lengths(fakes: ModuleType) -> None:
    store = store_of(fakes, {"AAA": random_walk(10), "BBB": random_walk(11, TRAIN + TEST - 1)})

    with pytest.raises(DataError, match=r"BBB has 159 bars.*train 120 \+ test 40"):
        run(store)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"slow_windows": [10, 120]}, ValidationError, "slow window 120 needs more bars"),
        ({"fast_windows": [50], "slow_windows": [10]}, ValidationError, "no window pair"),
        ({"initial_cash": 0.0}, ValidationError, "initial_cash 0.0"),
        ({"test_length": 0}, ValidationError, "test_length 0"),
        ({"symbols": ["ZZZ"]}, DataError, r"no bars for ZZZ \(stored: "),
    ],
)
def test_bad_inputs_are_refused_with_a_message(
    fakes: ModuleType, overrides: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        run(store_of(fakes, {"AAA": random_walk(12)}), **overrides)


def test_an_empty_store_is_a_data_error(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match="bar store is empty"):
        run(fakes.FakeBarStore())
