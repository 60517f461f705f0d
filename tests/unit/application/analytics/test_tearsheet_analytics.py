"""Worst drawdowns, exposure over time, P&L by symbol and trade statistics, worked by hand,
and the tearsheet of a real backtest (P&L by symbol adds up to the change in equity)."""

from __future__ import annotations

import math
from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.analytics.tearsheet_analytics import (
    exposure_over_time,
    pnl_by_symbol,
    trade_statistics,
    worst_drawdowns,
)
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import ValidationError

nan = np.nan


def days(count: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=count, freq="D", tz="UTC")


def test_worst_drawdowns_deepest_first_with_recovery_or_not() -> None:
    # 100 → 90 → 95 → 100: -10 %, peak bar 0, trough 1, recovered at bar 3 (3 bars).
    # 100 → 80 → 85 (end): -20 %, peak bar 3, trough 4, not recovered (2 bars to the end).
    index = days(6)
    equity = pd.Series([100.0, 90.0, 95.0, 100.0, 80.0, 85.0], index=index)

    table = worst_drawdowns(equity, count=5)

    assert table.columns.tolist() == ["start", "trough", "recovery", "depth", "length_bars"]
    assert table["start"].tolist() == [index[3], index[0]]
    assert table["trough"].tolist() == [index[4], index[1]]
    assert pd.isna(table["recovery"].iloc[0])
    assert table["recovery"].iloc[1] == index[3]
    assert table["depth"].tolist() == pytest.approx([-0.2, -0.1])
    assert table["length_bars"].tolist() == [2, 3]


def test_worst_drawdowns_keeps_only_count_and_is_empty_for_a_rising_curve() -> None:
    equity = pd.Series([100.0, 90.0, 100.0, 95.0, 100.0, 99.0, 100.0], index=days(7))

    assert worst_drawdowns(equity, count=2)["depth"].tolist() == pytest.approx([-0.1, -0.05])
    assert worst_drawdowns(pd.Series([1.0, 2.0, 3.0], index=days(3))).empty
    with pytest.raises(ValidationError, match="count 0"):
        worst_drawdowns(equity, count=0)


def test_exposure_is_market_value_over_equity_long_short_gross_net() -> None:
    index = days(2)
    positions = pd.DataFrame({"A": [10.0, 0.0], "B": [-5.0, -5.0]}, index=index)
    marks = pd.DataFrame({"A": [10.0, 12.0], "B": [20.0, nan]}, index=index)
    equity = pd.Series([1000.0, 500.0], index=index)

    table = exposure_over_time(positions, marks, equity)

    # Bar 0: long 100, short -100 of 1 000. Bar 1: B's mark carries 20 forward: short -100 of 500.
    assert table["long"].tolist() == pytest.approx([0.1, 0.0])
    assert table["short"].tolist() == pytest.approx([-0.1, -0.2])
    assert table["gross"].tolist() == pytest.approx([0.2, 0.2])
    assert table["net"].tolist() == pytest.approx([0.0, -0.2])


def test_exposure_names_a_bar_without_positive_equity() -> None:
    positions = pd.DataFrame({"A": [1.0]}, index=days(1))

    with pytest.raises(ValidationError, match="equity at 2024-01-01"):
        exposure_over_time(positions, positions, pd.Series([0.0], index=days(1)))


def test_pnl_by_symbol_by_hand() -> None:
    # A: buy 10 at 100, sell 10 at 110, commission 1 + 1: +98. B: short 5 at 50, still short
    # at a last mark of 40: 5 × (50 - 40) = +50, less 2 of commission and 3 of borrow: +45.
    # C never traded: 0.
    index = days(3)
    fills = pd.DataFrame(
        {
            "timestamp": [index[0], index[0], index[2]],
            "symbol": ["A", "B", "A"],
            "side": ["BUY", "SELL", "SELL"],
            "quantity": [10.0, 5.0, 10.0],
            "price": [100.0, 50.0, 110.0],
            "commission": [1.0, 2.0, 1.0],
        }
    )
    positions = pd.DataFrame(
        {"A": [10.0, 10.0, 0.0], "B": [-5.0, -5.0, -5.0], "C": [0.0] * 3}, index=index
    )
    marks = pd.DataFrame({"A": [100, 105, 110], "B": [50, 45, 40], "C": [1, 1, 1]}, index=index)

    pnl = pnl_by_symbol(fills, positions, marks.astype(float), borrow={"B": 3.0})

    assert pnl.to_dict() == pytest.approx({"A": 98.0, "B": 45.0, "C": 0.0})
    assert pnl.index.tolist() == ["A", "B", "C"]


def test_trade_statistics_by_hand() -> None:
    index = days(10)
    pnl = [10.0, -5.0, 3.0, 4.0, -2.0, -1.0, -1.0, 0.0]
    entries = [0, 1, 1, 2, 3, 4, 5, 6]
    exits = [2, 3, 4, 5, 6, 7, 8, 9]  # holding 2, 2, 3, 3, 3, 3, 3, 3 bars
    trips = pd.DataFrame(
        {
            "entry_timestamp": index[entries],
            "exit_timestamp": index[exits],
            "pnl": pnl,
        }
    ).iloc[::-1]  # out of order on purpose: streaks follow the exits

    stats = trade_statistics(trips, index)

    assert stats == pytest.approx(
        {
            "round_trips": 8.0,
            "average_holding_bars": 22 / 8,
            "average_win": 17 / 3,
            "average_loss": -9 / 4,
            "largest_win": 10.0,
            "largest_loss": -5.0,
            "longest_winning_streak": 2.0,
            "longest_losing_streak": 3.0,
        }
    )


def test_trade_statistics_without_losses_or_trades() -> None:
    index = days(3)
    winners = pd.DataFrame(
        {"entry_timestamp": index[:1], "exit_timestamp": index[2:], "pnl": [5.0]}
    )

    stats = trade_statistics(winners, index)

    assert math.isnan(stats["average_loss"])
    assert stats["longest_losing_streak"] == 0.0
    assert trade_statistics(winners.iloc[:0], index) == {"round_trips": 0.0}


def test_real_backtest_pnl_by_symbol_adds_up_to_the_change_in_equity(fakes: ModuleType) -> None:
    count = 60
    index = fakes.utc_days(count)
    rng = np.random.default_rng(11)
    bars = []
    for symbol in ("AAA", "BBB", "CCC"):
        closes = 100 * np.cumprod(1 + rng.normal(0, 0.01, count))
        bars.append(
            fakes.bar_frame(symbol, index, closes * (1 + rng.normal(0, 0.002, count)), closes)
        )
    weights = pd.DataFrame(
        rng.choice([-0.3, 0.0, 0.3], size=(count, 3)), index=index, columns=["AAA", "BBB", "CCC"]
    )
    result = backtest_weights(
        pd.concat(bars, ignore_index=True),
        weights,
        commission=CommissionSchedule(per_share=Decimal("0.01"), minimum=Decimal(1)),
        slippage=SlippageModel(bps=Decimal(5)),
        initial_cash=Decimal(100_000),
        costs=kernels.CostModel(borrow_rate=0.05),
    )

    report = result.report("real", {}, monte_carlo_paths=0)

    sheet = report.tearsheet
    assert sheet is not None
    assert sheet.pnl_by_symbol is not None
    change = float(result.equity.iloc[-1]) - 100_000.0
    assert float(sheet.pnl_by_symbol.sum()) == pytest.approx(change, abs=1e-6)
    assert sheet.exposure is not None
    assert (sheet.exposure["gross"] >= sheet.exposure["net"].abs() - 1e-12).all()
    assert sheet.benchmark is not None
    assert sheet.benchmark.iloc[0] == pytest.approx(100_000.0)
    assert sheet.benchmark_name == "equal-weight buy-and-hold of AAA, BBB, CCC"
    assert {"alpha", "beta", "benchmark_total_return"} <= set(report.metrics)
    assert result.round_trips is not None
    assert sheet.trade_statistics["round_trips"] == float(len(result.round_trips))
