"""backtest_weights with the simulator's other cost models and margin rules, worked by hand.

One symbol, 10 000 of cash, no commission or slippage unless a case says so, volume 1 000 a bar.
Weights decided at bar t's close trade at bar t+1's open; NaN holds.
"""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.backtest.backtest_result import FILL_COLUMNS, BacktestResult
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import ValidationError

nan = np.nan
FREE = CommissionSchedule(per_share=Decimal(0), minimum=Decimal(0))


def backtest(
    fakes: ModuleType,
    opens: list[float],
    weights: list[float],
    *,
    closes: list[float] | None = None,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
    commission: CommissionSchedule = FREE,
) -> BacktestResult:
    days = fakes.utc_days(len(opens))
    bars = fakes.bar_frame("AAA", days, opens, opens if closes is None else closes)
    return backtest_weights(
        bars,
        pd.DataFrame({"AAA": weights}, index=days),
        commission=commission,
        slippage=SlippageModel(),
        initial_cash=Decimal(10_000),
        costs=costs,
        margin=margin,
    )


def test_the_participation_cap_leaves_the_rest_of_each_order_unfilled(fakes: ModuleType) -> None:
    # Target trunc(0.5 × 10 000 / 100) = 50 shares; 1 % of 1 000 = 10 fill per bar and the DAY
    # order's remainder is cancelled, so the position grows by 10 a bar.
    capped = kernels.CostModel(participation_rate=0.01)

    result = backtest(fakes, [100.0] * 4, [0.5, 0.5, 0.5, nan], costs=capped)
    uncapped = backtest(fakes, [100.0] * 4, [0.5, 0.5, 0.5, nan])

    assert result.positions["AAA"].tolist() == [0, 10, 20, 30]
    assert uncapped.positions["AAA"].tolist() == [0, 50, 50, 50]
    assert result.trades["quantity"].tolist() == [10.0, 10.0, 10.0]


def test_the_borrow_fee_reduces_a_shorts_equity_by_the_hand_computed_amount(
    fakes: ModuleType,
) -> None:
    # Short 50 at 100 from bar 1; a bar every calendar day is 365.25 bars a year (inferred
    # from the timestamps), so 36.525 % a year is 0.1 % of the 5 000 short each close: 5 a bar.
    borrowing = kernels.CostModel(borrow_rate=0.36525)

    result = backtest(fakes, [100.0] * 4, [-0.5, nan, nan, nan], costs=borrowing)
    free = backtest(fakes, [100.0] * 4, [-0.5, nan, nan, nan])

    assert result.positions["AAA"].tolist() == [0, -50, -50, -50]
    np.testing.assert_allclose(free.equity.to_numpy(), [10_000.0] * 4)
    np.testing.assert_allclose(result.equity.to_numpy(), [10_000.0, 9_995.0, 9_990.0, 9_985.0])
    assert result.costs is not None
    assert result.costs["borrow"] == pytest.approx(15.0)


def test_temporary_impact_raises_the_buy_fill_price(fakes: ModuleType) -> None:
    # Buy 50 of a 1 000 bar: p = 0.05, impact 0.1 × 0.05 = 0.5 %, fill 100.5, impact cost 25.
    result = backtest(
        fakes, [100.0] * 3, [0.5, nan, nan], costs=kernels.CostModel(temporary_impact=0.1)
    )

    assert result.fills is not None
    assert list(result.fills.columns) == list(FILL_COLUMNS)
    fill = result.fills.iloc[0]
    assert (fill["side"], fill["quantity"], fill["reason"]) == ("BUY", 50.0, "signal")
    assert fill["price"] == pytest.approx(100.5)
    assert fill["impact"] == pytest.approx(25.0)
    assert fill["slippage"] == 0.0
    # Bought 50 × 100.5 = 5 025, marked at 100: equity 9 975.
    np.testing.assert_allclose(result.equity.to_numpy(), [10_000.0, 9_975.0, 9_975.0])


def test_the_report_cost_breakdown_has_the_simulators_impact_and_borrow(
    fakes: ModuleType,
) -> None:
    costs = kernels.CostModel(temporary_impact=0.1, borrow_rate=0.36525)
    # Short 50 at 99.5 (sells fill lower), then borrow 0.1 % of 50 × 100 each daily close.
    result = backtest(fakes, [100.0] * 4, [-0.5, nan, nan, nan], costs=costs)

    breakdown = result.report("costs", {}, monte_carlo_paths=0).cost_breakdown

    assert breakdown["impact"] == pytest.approx(25.0)
    assert breakdown["borrow"] == pytest.approx(15.0)
    assert breakdown["commission"] == 0.0
    assert breakdown["slippage"] == 0.0
    assert breakdown["total_costs"] == pytest.approx(40.0)
    np.testing.assert_allclose(result.equity.iloc[-1], 10_000.0 - 25.0 - 15.0)


def test_win_rate_and_profit_factor_come_from_round_trips(fakes: ModuleType) -> None:
    # Buy 50 at 100, sell at 110 (+500); buy trunc(0.5 × 10 500 / 110) = 47 at 110, sell at 90
    # (-940). Commission 1.00 minimum per fill comes off each trip: +498, -942.
    commission = CommissionSchedule(per_share=Decimal(0), minimum=Decimal(1))
    opens = [100.0, 100.0, 110.0, 110.0, 90.0, 90.0]

    result = backtest(fakes, opens, [0.5, 0.0, 0.5, 0.0, nan, nan], commission=commission)

    assert result.round_trips is not None
    assert result.round_trips["pnl"].tolist() == pytest.approx([498.0, -942.0])
    assert result.round_trips["quantity"].tolist() == [50.0, 47.0]
    assert result.summary.win_rate == 0.5
    assert result.summary.profit_factor == pytest.approx(498.0 / 942.0)
    metrics = result.report("trips", {}, monte_carlo_paths=0).metrics
    assert metrics["win_rate"] == 0.5


def test_a_leverage_limit_cuts_the_order_and_the_report_counts_it(fakes: ModuleType) -> None:
    # 1.5 × 10 000 / 100 = 150 shares wanted, 1× leverage allows 100.
    result = backtest(
        fakes, [100.0] * 3, [1.5, nan, nan], margin=kernels.MarginRules(max_leverage=1.0)
    )

    assert result.positions["AAA"].tolist() == [0, 100, 100]
    assert (result.counts.orders_cut, result.counts.orders_rejected) == (1, 0)
    metrics = result.report("margin", {}, monte_carlo_paths=0).metrics
    assert (metrics["orders_cut"], metrics["margin_calls"]) == (1.0, 0.0)


def test_a_maintenance_margin_breach_liquidates_the_book(fakes: ModuleType) -> None:
    # Long 200 at 100 (cash -10 000); close 55: equity 1 000 < 0.5 × 11 000 of exposure, so
    # the next open sells all 200 at 60 (reason liquidation): cash and equity 2 000.
    result = backtest(
        fakes,
        [100.0, 100.0, 60.0, 60.0],
        [2.0, nan, nan, nan],
        closes=[100.0, 55.0, 60.0, 60.0],
        margin=kernels.MarginRules(maintenance_margin=0.5),
    )

    assert result.positions["AAA"].tolist() == [0, 200, 0, 0]
    assert result.counts.margin_calls == 1
    assert result.fills is not None
    assert result.fills["reason"].tolist() == ["signal", "liquidation"]
    np.testing.assert_allclose(result.equity.to_numpy(), [10_000.0, 1_000.0, 2_000.0, 2_000.0])


def test_commission_or_slippage_rates_in_the_cost_model_are_refused(fakes: ModuleType) -> None:
    with pytest.raises(ValidationError, match=r"^costs\.slippage_bps is 3\.0"):
        backtest(fakes, [100.0] * 3, [0.5, nan, nan], costs=kernels.CostModel(slippage_bps=3.0))


def test_the_borrow_rate_is_spread_over_the_bars_a_year_of_these_bars_holds(
    fakes: ModuleType,
) -> None:
    # Hourly bars around the clock: 8 766 a year, so 87.66 % a year is 0.01 % of the 5 000
    # short each close, 0.5 a bar (with 252 bars a year it was 17.39 a bar).
    hours = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    bars = fakes.bar_frame("AAA", hours, [100.0] * 4, [100.0] * 4)

    result = backtest_weights(
        bars,
        pd.DataFrame({"AAA": [-0.5, nan, nan, nan]}, index=hours),
        commission=FREE,
        slippage=SlippageModel(),
        initial_cash=Decimal(10_000),
        costs=kernels.CostModel(borrow_rate=0.8766),
    )

    assert result.annualization is not None
    assert result.annualization.periods_per_year == pytest.approx(8_766.0)
    assert result.costs is not None
    assert result.costs["borrow"] == pytest.approx(1.5)
