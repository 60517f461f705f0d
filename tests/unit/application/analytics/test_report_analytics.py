"""Report analytics: monthly returns, rolling Sharpe and cost breakdown by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.performance import summarize
from quantcli.application.analytics.report_analytics import (
    MONTHS,
    cost_breakdown,
    monthly_returns,
    rolling_sharpe,
)
from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.domain.errors import ValidationError


def series(values: list[float], stamps: list[str]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(stamps, tz="UTC"), name="equity")


def test_monthly_returns_by_hand_across_a_year_end() -> None:
    equity = series(
        [100.0, 105.0, 110.0, 99.0, 108.9],
        ["2023-11-15", "2023-11-30", "2023-12-29", "2024-01-31", "2024-03-01"],
    )

    table = monthly_returns(equity)

    assert list(table.columns) == [*MONTHS, "Year"]
    assert list(table.index) == [2023, 2024]
    assert table.loc[2023, "Nov"] == pytest.approx(0.05)  # from the first point: 100 → 105 is 5 %
    assert table.loc[2023, "Dec"] == pytest.approx(110 / 105 - 1)
    assert table.loc[2023, "Year"] == pytest.approx(0.10)
    assert table.loc[2024, "Jan"] == pytest.approx(-0.10)
    assert math.isnan(table.loc[2024, "Feb"])
    assert table.loc[2024, "Mar"] == pytest.approx(0.10)
    assert table.loc[2024, "Year"] == pytest.approx(108.9 / 110 - 1)
    assert math.isnan(table.loc[2023, "Jan"])


def test_monthly_returns_compound_to_the_yearly_return() -> None:
    index = pd.date_range("2021-01-04", periods=500, freq="B", tz="UTC")
    equity = pd.Series(1e5 * np.cumprod(1 + np.random.default_rng(2).normal(0, 0.01, 500)), index)

    table = monthly_returns(equity)

    for year, row in table.iterrows():
        months = row[list(MONTHS)].dropna()
        assert np.prod(1 + months) - 1 == pytest.approx(row["Year"]), year
    assert np.prod(1 + table["Year"]) - 1 == pytest.approx(equity.iloc[-1] / equity.iloc[0] - 1)


def test_monthly_returns_of_an_empty_curve_is_an_empty_table() -> None:
    empty = pd.Series([], dtype=np.float64, index=pd.DatetimeIndex([], tz="UTC"))
    assert monthly_returns(empty).empty


def test_rolling_sharpe_by_hand() -> None:
    equity = series(
        [100.0, 102.0, 102.0, 104.04, 104.04 * 0.99],
        ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"],
    )

    sharpe = rolling_sharpe(equity, window=3, periods_per_year=4)

    returns = np.array([0.02, 0.0, 0.02, -0.01])
    first = returns[:3].mean() / returns[:3].std(ddof=1) * 2
    second = returns[1:].mean() / returns[1:].std(ddof=1) * 2
    assert sharpe.index.equals(equity.index[1:])
    assert sharpe.isna().tolist() == [True, True, False, False]
    assert sharpe.iloc[2] == pytest.approx(first)
    assert sharpe.iloc[3] == pytest.approx(second)


def test_rolling_sharpe_of_a_steady_curve_is_zero_not_huge() -> None:
    index = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    sharpe = rolling_sharpe(pd.Series(100.0 * 1.001 ** np.arange(30), index), window=5)
    assert (sharpe.dropna() == 0.0).all()


def test_cost_breakdown_by_hand() -> None:
    # Buy 10 filled at 101 (open 100, 100 bps): slippage 10 × 101 × 0.01 / 1.01 = 10.
    # Sell 10 filled at 99 (open 100): 10 × 99 × 0.01 / 0.99 = 10.
    trades = pd.DataFrame(
        {
            "side": ["BUY", "SELL"],
            "quantity": [10.0, 10.0],
            "price": [101.0, 99.0],
            "commission": [1.0, 1.5],
        }
    )

    costs = cost_breakdown(trades, slippage_bps=100, extra={"borrow": 0.5})

    assert costs == pytest.approx(
        {
            "commission": 2.5,
            "slippage": 20.0,
            "borrow": 0.5,
            "total_costs": 23.0,
            "traded_notional": 2000.0,
            "costs_bps_of_notional": 23.0 / 2000.0 * 1e4,
        }
    )


def test_cost_breakdown_without_trades_or_slippage_rate() -> None:
    assert cost_breakdown(pd.DataFrame()) == {
        "commission": 0.0,
        "total_costs": 0.0,
        "traded_notional": 0.0,
        "costs_bps_of_notional": 0.0,
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: monthly_returns(pd.Series([1.0, 2.0])), "equity must be indexed by timestamps"),
        (
            lambda: monthly_returns(series([1.0, -1.0], ["2024-01-01", "2024-01-02"])),
            "equity[1] is -1.0, not positive",
        ),
        (lambda: rolling_sharpe(series([1.0], ["2024-01-01"]), window=1), "window 1"),
        (
            lambda: rolling_sharpe(series([1.0], ["2024-01-01"]), periods_per_year=0),
            "periods_per_year 0",
        ),
        (
            lambda: cost_breakdown(pd.DataFrame({"quantity": [1.0], "price": [1.0]})),
            "trades has no 'commission' column",
        ),
        (
            lambda: cost_breakdown(
                pd.DataFrame({"quantity": [1], "price": [1], "commission": [0]}),
                slippage_bps=-1,
            ),
            "slippage_bps -1",
        ),
    ],
)
def test_bad_input_raises_validation_error_naming_it(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        call()  # type: ignore[operator]


def backtest_result(points: int = 300) -> BacktestResult:
    index = pd.date_range("2022-01-03", periods=points, freq="B", tz="UTC")
    rng = np.random.default_rng(12)
    equity = pd.Series(1e4 * np.cumprod(1 + rng.normal(5e-4, 0.01, points)), index, name="equity")
    positions = pd.DataFrame({"AAA": np.where(np.arange(points) % 3 == 0, 0.0, 5.0)}, index=index)
    trades = pd.DataFrame(
        {
            "timestamp": index[:2],
            "symbol": ["AAA", "AAA"],
            "side": ["BUY", "SELL"],
            "quantity": [5.0, 5.0],
            "price": [101.0, 99.0],
            "commission": [1.0, 1.0],
        }
    )
    summary = summarize(equity.to_numpy(), np.zeros(points), trade_count=2)
    return BacktestResult(equity=equity, positions=positions, trades=trades, summary=summary)


def test_backtest_report_fills_the_new_sections() -> None:
    result = backtest_result()

    report = result.report(
        "t", {"slippage_bps": "100"}, rolling_window=20, lookahead_warning="in-sample"
    )

    assert report.monthly_returns is not None
    assert list(report.monthly_returns.index) == [2022, 2023]
    assert report.rolling_sharpe is not None
    assert report.rolling_sharpe.notna().sum() == 300 - 20
    assert report.cost_breakdown["commission"] == 2.0
    assert report.cost_breakdown["slippage"] == pytest.approx(10.0)
    assert report.monte_carlo["n_paths"] == 1000
    assert report.monte_carlo["method"] == "stationary"
    assert set(report.monte_carlo["metrics"]) == {"sharpe", "max_drawdown", "final_return"}
    assert report.metrics["exposure"] == pytest.approx(200 / 300)
    assert report.metrics["max_drawdown_duration"] == result.summary.max_drawdown_duration
    assert report.lookahead_warning == "in-sample"
    # Seeded: the same result reports the same Monte Carlo numbers.
    assert result.report("t", {}, rolling_window=20).monte_carlo == report.monte_carlo


def test_backtest_report_leaves_out_what_it_cannot_compute() -> None:
    report = backtest_result(10).report("t", {}, monte_carlo_paths=0)

    assert report.rolling_sharpe is None  # fewer points than the 63-bar window
    assert report.monte_carlo == {}
    assert "slippage" not in report.cost_breakdown
    assert report.lookahead_warning is None
