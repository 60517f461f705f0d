"""sweep_sma_crossover: each row equals a single signal backtest of the same windows."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.backtest.parameter_sweep import (
    SWEEP_COLUMNS,
    sweep_sma_crossover,
    window_pairs,
)
from quantcli.domain.errors import DataError, ValidationError
from quantcli.kernels import BACKTESTING_PY, VECTORBT, SignalRules

CASH = 10_000.0
BARS = 160
# The fake bars fall on every calendar day: 365.25 a year, inferred from their timestamps.
BARS_PER_YEAR = 365.25


def random_walk(seed: int, count: int = BARS) -> tuple[np.ndarray, np.ndarray]:
    """(open, close) of a seeded log-normal walk: enough swings for several crosses."""
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


def single_run(
    open_: np.ndarray,
    close: np.ndarray,
    fast: int,
    slow: int,
    rules: SignalRules,
) -> tuple[float, float, int]:
    """(final equity, Sharpe, trades) of one crossover run: strict crosses of the two SMAs."""
    difference = kernels.sma(close, fast) - kernels.sma(close, slow)
    events = np.full(close.size, math.nan)
    events[1:][(difference[:-1] < 0) & (difference[1:] > 0)] = 1.0
    events[1:][(difference[:-1] > 0) & (difference[1:] < 0)] = -1.0
    run = kernels.signal_backtest(open_, close, events, initial_cash=CASH, rules=rules)
    returns = run.equity[1:] / run.equity[:-1] - 1.0
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(BARS_PER_YEAR)
    return float(run.equity[-1]), float(sharpe), int(run.trades.size.size)


def sweep(store: object, **overrides: object) -> pd.DataFrame:
    arguments: dict[str, object] = {
        "fast_windows": [3, 5],
        "slow_windows": [10, 20],
        "rules": BACKTESTING_PY,
        "initial_cash": CASH,
    }
    arguments.update(overrides)
    return sweep_sma_crossover(store, **arguments)  # type: ignore[arg-type]


# --- window_pairs ------------------------------------------------------------------------------


def test_window_pairs_keeps_fast_below_slow_in_sorted_grid_order_without_duplicates() -> None:
    fast, slow = window_pairs([10, 5, 5, 20], [20, 10])

    assert fast.dtype == np.int64
    assert slow.dtype == np.int64
    assert list(zip(fast.tolist(), slow.tolist(), strict=True)) == [(5, 10), (5, 20), (10, 20)]


def test_window_pairs_without_any_fast_below_slow_is_a_validation_error_naming_both_grids() -> None:
    with pytest.raises(ValidationError, match=r"fast < slow in fast=\[20, 30\], slow=\[10, 20\]"):
        window_pairs([20, 30], [10, 20])


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [BACKTESTING_PY, SignalRules(commission_rate=0.001, allow_short=False), VECTORBT],
    ids=["backtesting_py", "long_only_with_commission", "vectorbt"],
)
def test_every_row_equals_a_single_signal_backtest_of_its_windows(
    fakes: ModuleType, rules: SignalRules
) -> None:
    walks = {"AAA": random_walk(1), "BBB": random_walk(2)}

    table = sweep(store_of(fakes, walks), rules=rules)

    assert tuple(table.columns) == SWEEP_COLUMNS
    assert len(table) == 8  # 2 symbols × 4 pairs, all with fast < slow
    assert {(row.symbol, row.fast, row.slow) for row in table.itertuples()} == {
        (symbol, fast, slow) for symbol in walks for fast in (3, 5) for slow in (10, 20)
    }
    for row in table.itertuples():
        final, sharpe, trades = single_run(*walks[row.symbol], row.fast, row.slow, rules)
        assert trades > 0
        assert row.trades == trades
        assert row.final_equity == pytest.approx(final, rel=1e-12)
        assert row.total_return == pytest.approx(final / CASH - 1.0, rel=1e-12)
        assert row.sharpe == pytest.approx(sharpe, rel=1e-9)


def test_rows_are_sorted_by_sharpe_best_first(fakes: ModuleType) -> None:
    table = sweep(store_of(fakes, {"AAA": random_walk(1), "BBB": random_walk(2)}))

    sharpes = table["sharpe"].to_numpy()
    assert np.isfinite(sharpes).all()
    assert len(set(sharpes.tolist())) == len(sharpes)  # distinct, so the order is the sort's
    assert sharpes.tolist() == sorted(sharpes.tolist(), reverse=True)
    assert table.index.tolist() == list(range(len(table)))


def test_equal_sharpes_are_ordered_by_symbol(fakes: ModuleType) -> None:
    same = random_walk(5)

    table = sweep(store_of(fakes, {"ZZZ": same, "AAA": same}), fast_windows=[4], slow_windows=[12])

    assert table["symbol"].tolist() == ["AAA", "ZZZ"]
    assert table["sharpe"].iloc[0] == table["sharpe"].iloc[1]
    assert table["final_equity"].iloc[0] == table["final_equity"].iloc[1]


def test_periods_per_year_scales_the_sharpe_by_its_square_root(fakes: ModuleType) -> None:
    store = store_of(fakes, {"AAA": random_walk(1)})

    daily = sweep(store, fast_windows=[5], slow_windows=[20], periods_per_year=252.0)
    weekly = sweep(store, fast_windows=[5], slow_windows=[20], periods_per_year=52.0)

    assert weekly["sharpe"].iloc[0] == pytest.approx(
        daily["sharpe"].iloc[0] * math.sqrt(52.0 / 252.0), rel=1e-9
    )
    assert weekly["final_equity"].iloc[0] == daily["final_equity"].iloc[0]


def test_each_symbol_is_annualized_by_its_own_bars_per_year(fakes: ModuleType) -> None:
    open_, close = random_walk(1)
    weeks = pd.date_range("2020-01-03", periods=BARS, freq="W-FRI", tz="UTC")
    store = fakes.FakeBarStore(
        pd.concat(
            [
                fakes.bar_frame("DAY", fakes.utc_days(BARS), open_, close),
                fakes.bar_frame("WEEK", weeks, open_, close),
            ],
            ignore_index=True,
        )
    )

    table = sweep(store, fast_windows=[5], slow_windows=[20]).set_index("symbol")

    assert table.loc["WEEK", "final_equity"] == table.loc["DAY", "final_equity"]
    assert table.loc["WEEK", "sharpe"] == pytest.approx(
        table.loc["DAY", "sharpe"] * math.sqrt((365.25 / 7) / 365.25), rel=1e-9
    )


def test_symbols_limit_the_sweep_to_those_symbols(fakes: ModuleType) -> None:
    store = store_of(fakes, {"AAA": random_walk(1), "BBB": random_walk(2), "CCC": random_walk(3)})

    table = sweep(store, symbols=["BBB"])

    assert set(table["symbol"]) == {"BBB"}
    assert len(table) == 4
    assert store.read_calls == [(("BBB",), None, None)]  # type: ignore[attr-defined]


def test_one_bar_more_than_the_slowest_window_is_enough_and_flat_equity_has_zero_sharpe(
    fakes: ModuleType,
) -> None:
    open_, close = random_walk(4, count=21)

    table = sweep(store_of(fakes, {"AAA": (open_, close)}), fast_windows=[3], slow_windows=[20])

    # SMA(20) first exists at bar 19, so no cross can fill before the data ends.
    assert table[["fast", "slow", "final_equity", "total_return", "sharpe", "trades"]].to_dict(
        "records"
    ) == [
        {
            "fast": 3,
            "slow": 20,
            "final_equity": CASH,
            "total_return": 0.0,
            "sharpe": 0.0,
            "trades": 0,
        }
    ]


# --- errors ------------------------------------------------------------------------------------


def test_a_grid_without_a_valid_pair_fails_before_reading_any_bars(fakes: ModuleType) -> None:
    store = store_of(fakes, {"AAA": random_walk(1)})

    with pytest.raises(ValidationError, match="no window pair with fast < slow"):
        sweep(store, fast_windows=[20], slow_windows=[10, 20])
    assert store.read_calls == []  # type: ignore[attr-defined]


def test_an_empty_bar_store_is_a_data_error_saying_so(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match="bar store is empty"):
        sweep(fakes.FakeBarStore())


def test_an_unknown_symbol_is_a_data_error_naming_it(fakes: ModuleType) -> None:
    store = store_of(fakes, {"AAA": random_walk(1)})

    with pytest.raises(DataError, match=r"^no bars for NOPE \(stored: AAA\)$"):
        sweep(store, symbols=["AAA", "NOPE"])


def test_too_few_bars_for_the_slowest_window_is_a_data_error_naming_symbol_and_counts(
    fakes: ModuleType,
) -> None:
    store = store_of(fakes, {"AAA": random_walk(1), "SHORT": random_walk(2, count=20)})

    with pytest.raises(DataError, match="SHORT has 20 bars, too few for a 20-bar average"):
        sweep(store)
