"""BacktestResult.report's fills, costs per symbol, look-ahead marking and trade Monte Carlo,
from backtest_weights runs worked by hand (no commission or slippage unless a case says so,
10 000 of cash, volume 1 000 a bar)."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.analytics.report_analytics import ALL_SYMBOLS
from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel

nan = np.nan
FREE = CommissionSchedule(per_share=Decimal(0), minimum=Decimal(0))


def backtest(
    fakes: ModuleType,
    prices: dict[str, tuple[list[float], list[float]]],
    weights: dict[str, list[float]],
    **options: object,
) -> BacktestResult:
    """prices: symbol -> (opens, closes); weights: symbol -> weight per bar."""
    days = fakes.utc_days(len(next(iter(weights.values()))))
    bars = pd.concat(
        [fakes.bar_frame(name, days, opens, closes) for name, (opens, closes) in prices.items()],
        ignore_index=True,
    )
    return backtest_weights(
        bars,
        pd.DataFrame(weights, index=days),
        commission=options.pop("commission", FREE),  # type: ignore[arg-type]
        slippage=SlippageModel(),
        initial_cash=Decimal(10_000),
        **options,  # type: ignore[arg-type]
    )


def flat(count: int, price: float = 100.0) -> tuple[list[float], list[float]]:
    return [price] * count, [price] * count


def test_costs_are_attributed_to_the_symbol_that_paid_them(fakes: ModuleType) -> None:
    # Long 40 AAA and short 40 BBB at bar 1's open; impact 0.1 × 40 / 1 000 = 0.4 %: AAA fills
    # at 100.4, BBB at 99.6, 16 of impact each. Borrow 36.525 % / 365.25 (a bar every
    # calendar day) = 0.1 % of BBB's 4 000 short at each of three closes: 12, all BBB's.
    result = backtest(
        fakes,
        {"AAA": flat(4), "BBB": flat(4)},
        {"AAA": [0.4, nan, nan, nan], "BBB": [-0.4, nan, nan, nan]},
        costs=kernels.CostModel(temporary_impact=0.1, borrow_rate=0.36525),
    )

    report = result.report("attribution", {}, monte_carlo_paths=0)

    assert result.borrow_by_symbol == pytest.approx({"BBB": 12.0})
    table = report.cost_attribution
    assert table is not None
    assert list(table.index) == ["AAA", "BBB", ALL_SYMBOLS]
    assert table.loc["AAA", ["n_fills", "traded_notional", "impact", "borrow"]].tolist() == (
        pytest.approx([1, 40 * 100.4, 16.0, 0.0])
    )
    assert table.loc["BBB", ["n_fills", "traded_notional", "impact", "borrow"]].tolist() == (
        pytest.approx([1, 40 * 99.6, 16.0, 12.0])
    )
    assert table.loc["BBB", "total_costs"] == pytest.approx(28.0)
    # The total row reconciles with the simulator's totals and the cost breakdown.
    assert result.costs is not None
    for name in ("commission", "slippage", "impact", "borrow"):
        assert table.loc[ALL_SYMBOLS, name] == pytest.approx(result.costs[name])
    assert table.loc[ALL_SYMBOLS, "total_costs"] == pytest.approx(
        report.cost_breakdown["total_costs"]
    )
    assert report.fills is result.fills


def test_a_forced_liquidation_is_a_fill_of_its_own_reason_in_the_report(
    fakes: ModuleType,
) -> None:
    # Long 200 at 100 (cash -10 000); the 55 close breaches 50 % maintenance: sold at 60.
    result = backtest(
        fakes,
        {"AAA": ([100.0, 100.0, 60.0, 60.0], [100.0, 55.0, 60.0, 60.0])},
        {"AAA": [2.0, nan, nan, nan]},
        margin=kernels.MarginRules(maintenance_margin=0.5),
    )

    report = result.report("margin", {}, monte_carlo_paths=0)

    assert report.fills is not None
    assert report.fills[["side", "quantity", "price", "reason"]].values.tolist() == [
        ["BUY", 200.0, 100.0, "signal"],
        ["SELL", 200.0, 60.0, "liquidation"],
    ]
    assert report.metrics["margin_calls"] == 1.0
    assert report.lookahead_warning is None


def test_same_bar_close_fills_are_labelled_and_warned_about(fakes: ModuleType) -> None:
    # Decided at bar 0's close (101), filled there: trunc(0.5 × 10 000 / 101) = 49 shares.
    opens, closes = [100.0, 100.0, 110.0, 110.0], [101.0, 102.0, 111.0, 109.0]
    result = backtest(
        fakes, {"AAA": (opens, closes)}, {"AAA": [0.5, nan, 0.0, nan]}, fill_at_close=True
    )

    assert result.fills is not None
    assert result.fills[["quantity", "price", "reason"]].values.tolist() == [
        [49.0, 101.0, "same_bar_close"],
        [49.0, 111.0, "same_bar_close"],
    ]
    report = result.report("close fills", {}, monte_carlo_paths=0)
    assert report.lookahead_warning == (
        "2 fills traded at the close of the bar whose close decided them (same-bar close)."
    )
    given = result.report("close fills", {}, monte_carlo_paths=0, lookahead_warning="model")
    assert given.lookahead_warning == "model"
    next_open = backtest(fakes, {"AAA": (opens, closes)}, {"AAA": [0.5, nan, 0.0, nan]})
    assert next_open.fills is not None
    assert set(next_open.fills["reason"]) == {"signal"}


def test_the_trade_bootstrap_resamples_the_round_trips_from_the_starting_cash(
    fakes: ModuleType,
) -> None:
    # In and out every other bar on a rising then falling price: 12 round trips.
    opens = [100.0 + (i % 4) for i in range(26)]
    weights = [0.5 if i % 2 == 0 else 0.0 for i in range(25)] + [nan]
    result = backtest(fakes, {"AAA": (opens, opens)}, {"AAA": weights})
    assert result.round_trips is not None
    pnl = result.round_trips["pnl"].to_numpy()
    assert len(pnl) == 12

    report = result.report("trades", {}, monte_carlo_paths=300, monte_carlo_seed=5)

    trades = report.trade_monte_carlo
    assert (trades["method"], trades["n_paths"], trades["seed"]) == ("trades", 300, 5)
    assert trades["n_periods"] == 12
    assert trades["confidence_level"] == 0.90
    final = trades["metrics"]["final_return"]
    assert final["point_estimate"] == pytest.approx(pnl.sum() / 10_000.0)
    paths = np.asarray(trades["distributions"]["final_return"])
    assert paths.shape == (300,)
    assert final["lower"] == pytest.approx(np.percentile(paths, 5))
    assert final["upper"] == pytest.approx(np.percentile(paths, 95))
    returns = report.monte_carlo
    assert (returns["method"], returns["n_paths"], returns["seed"]) == ("stationary", 300, 5)
    assert len(returns["distributions"]["sharpe"]) == 300


def test_too_few_round_trips_are_reported_as_skipped_and_no_paths_means_no_monte_carlo(
    fakes: ModuleType,
) -> None:
    result = backtest(fakes, {"AAA": flat(6)}, {"AAA": [0.5, 0.0, 0.5, 0.0, nan, nan]})
    assert result.round_trips is not None
    assert len(result.round_trips) == 2

    report = result.report("few", {}, monte_carlo_paths=100)
    off = result.report("few", {}, monte_carlo_paths=0)

    assert report.trade_monte_carlo["n_periods"] == 2
    assert report.trade_monte_carlo["skipped"].startswith("only 2 round trips; ")
    assert "metrics" not in report.trade_monte_carlo
    assert report.monte_carlo["n_paths"] == 100
    assert (off.monte_carlo, off.trade_monte_carlo) == ({}, {})
