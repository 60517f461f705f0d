"""run_backtest: a 2-symbol, 4-bar case computed by hand, and the accounting identity."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.backtest.run_backtest import run_backtest
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError

STRATEGY = ThresholdStrategy(long_threshold=0.6, short_threshold=0.4, weight_per_symbol=0.5)
COMMISSION = CommissionSchedule(per_share=Decimal("0.01"), minimum=Decimal("1.00"))
SLIPPAGE = SlippageModel(bps=Decimal(10))
DAYS = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
WINDOW = DAYS[1:5]  # the predicted bars; the store holds one more on each side
# (open, close) per bar of the window.
AAA = [(100.0, 100.0), (101.0, 102.0), (104.0, 103.0), (100.0, 105.0)]
BBB = [(50.0, 50.0), (50.0, 49.0), (48.0, 50.0), (52.0, 51.0)]
# P(up) decided at each bar's close: weights +0.5 above 0.6, -0.5 below 0.4, else 0.
P_UP = {"AAA": [0.7, 0.7, 0.5, 0.9], "BBB": [0.5, 0.3, 0.3, 0.9]}


def store(fakes: ModuleType) -> object:
    frames = []
    for symbol, prices in (("AAA", AAA), ("BBB", BBB)):
        opens = [999.0, *(o for o, _ in prices), 999.0]
        closes = [999.0, *(c for _, c in prices), 999.0]
        frames.append(fakes.bar_frame(symbol, DAYS, opens, closes))
    return fakes.FakeBarStore(pd.concat(frames, ignore_index=True))


def predictions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"symbol": symbol, "timestamp": stamp, "probability_up": p}
            for symbol, ps in P_UP.items()
            for stamp, p in zip(WINDOW, ps, strict=True)
        ]
    )


def backtest(fakes: ModuleType, **overrides: object) -> object:
    arguments: dict[str, object] = {
        "strategy": STRATEGY,
        "commission": COMMISSION,
        "slippage": SLIPPAGE,
        "initial_cash": Decimal(10_000),
    }
    arguments.update(overrides)
    return run_backtest(store(fakes), predictions(), **arguments)  # type: ignore[arg-type]


# Worked by hand. Weights decided at bar t trade at bar t+1's open, whole shares toward zero,
# fill = open × (1 ± 0.001), commission = max(0.01 × shares, 1.00).
# bar 1: equity at open 10 000. AAA trunc(5000 / 101) = 49: buy 49 @ 101.101, fee 1.00
#        cash 10 000 - 4 953.949 - 1 = 5 045.051; equity 5 045.051 + 49 × 102 = 10 043.051
# bar 2: equity at open 5 045.051 + 49 × 104 = 10 141.051.
#        AAA trunc(5 070.5255 / 104) = 48: sell 1 @ 103.896, fee 1.00
#        BBB trunc(-5 070.5255 / 48) = -105: sell 105 @ 47.952, fee 1.05
#        cash 5 045.051 + 103.896 - 1 + 5 034.96 - 1.05 = 10 181.857
#        equity 10 181.857 + 48 × 103 - 105 × 50 = 9 875.857
# bar 3: equity at open 10 181.857 + 48 × 100 - 105 × 52 = 9 521.857.
#        AAA 0: sell 48 @ 99.9, fee 1.00; BBB trunc(-4 760.9285 / 52) = -91: buy 14 @ 52.052,
#        fee 1.00; cash 10 181.857 + 4 795.2 - 1 - 728.728 - 1 = 14 246.329
#        equity 14 246.329 - 91 × 51 = 9 605.329
EQUITY = [10_000.0, 10_043.051, 9_875.857, 9_605.329]
TRADES = [
    (WINDOW[1], "AAA", "BUY", 49.0, 101.101, 1.00),
    (WINDOW[2], "AAA", "SELL", 1.0, 103.896, 1.00),
    (WINDOW[2], "BBB", "SELL", 105.0, 47.952, 1.05),
    (WINDOW[3], "AAA", "SELL", 48.0, 99.9, 1.00),
    (WINDOW[3], "BBB", "BUY", 14.0, 52.052, 1.00),
]


def test_equity_by_hand(fakes: ModuleType) -> None:
    result = backtest(fakes)

    assert result.equity.index.tolist() == WINDOW.tolist()
    np.testing.assert_allclose(result.equity.to_numpy(), EQUITY, rtol=0, atol=1e-9)
    assert result.equity.name == "equity"


def test_positions_by_hand(fakes: ModuleType) -> None:
    result = backtest(fakes)

    assert list(result.positions.columns) == ["AAA", "BBB"]
    assert result.positions.index.tolist() == WINDOW.tolist()
    np.testing.assert_array_equal(
        result.positions.to_numpy(), [[0, 0], [49, 0], [48, -105], [0, -91]]
    )


def test_trade_list_by_hand(fakes: ModuleType) -> None:
    trades = backtest(fakes).trades

    assert list(trades.columns) == [
        "timestamp",
        "symbol",
        "side",
        "quantity",
        "price",
        "commission",
    ]
    rows = list(trades.itertuples(index=False, name=None))
    assert len(rows) == len(TRADES)
    for row, expected in zip(rows, TRADES, strict=True):
        assert row[:4] == expected[:4]
        assert row[4:] == pytest.approx(expected[4:], abs=1e-12)


def test_summary_counts_the_trades_and_the_return(fakes: ModuleType) -> None:
    summary = backtest(fakes).summary

    assert summary.trade_count == 5
    assert summary.total_return == pytest.approx(9_605.329 / 10_000 - 1)


def test_the_backtest_reads_only_the_predicted_symbols_and_window(fakes: ModuleType) -> None:
    bar_store = store(fakes)

    run_backtest(
        bar_store,
        predictions(),
        strategy=STRATEGY,
        commission=COMMISSION,
        slippage=SLIPPAGE,
        initial_cash=Decimal(10_000),
    )

    assert bar_store.read_calls == [
        (("AAA", "BBB"), WINDOW[0].to_pydatetime(), WINDOW[-1].to_pydatetime())
    ]


def test_a_symbol_without_a_prediction_on_a_bar_is_taken_flat(fakes: ModuleType) -> None:
    partial = predictions()
    partial = partial[~((partial["symbol"] == "AAA") & (partial["timestamp"] == WINDOW[1]))]

    result = run_backtest(
        store(fakes),
        partial,
        strategy=STRATEGY,
        commission=COMMISSION,
        slippage=SLIPPAGE,
        initial_cash=Decimal(10_000),
    )

    # No AAA prediction at bar 1: AAA sells its 49 shares at bar 2 instead of holding 48.
    assert result.positions["AAA"].tolist() == [0, 49, 0, 0]


def test_trade_costs_reconcile_with_the_equity_curve(fakes: ModuleType) -> None:
    commission = CommissionSchedule(
        per_share=Decimal("0.005"), minimum=Decimal("0.5"), bps=Decimal(3)
    )

    result = backtest(fakes, commission=commission, slippage=SlippageModel(bps=Decimal(25)))

    trades = result.trades
    signed = np.where(trades["side"] == "BUY", 1.0, -1.0) * trades["quantity"]
    shares = trades["quantity"].to_numpy()
    fills = trades["price"].to_numpy()
    expected_fees = np.maximum(0.005 * shares, 0.5) + 3e-4 * shares * fills
    np.testing.assert_allclose(trades["commission"], expected_fees)
    held = result.positions.iloc[-1].to_numpy()
    last_close = np.array([AAA[-1][1], BBB[-1][1]])
    cash = 10_000 - float((signed * trades["price"]).sum()) - float(trades["commission"].sum())
    assert result.equity.iloc[-1] == pytest.approx(cash + float(held @ last_close), abs=1e-6)
    assert result.summary.trade_count == len(trades)


def test_no_predictions_raise_data_error(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match="no out-of-sample predictions"):
        run_backtest(
            store(fakes),
            predictions().iloc[:0],
            strategy=STRATEGY,
            commission=COMMISSION,
            slippage=SLIPPAGE,
            initial_cash=Decimal(10_000),
        )


def test_no_stored_bars_in_the_window_raise_data_error(fakes: ModuleType) -> None:
    later = predictions()
    later["timestamp"] = later["timestamp"] + pd.Timedelta(days=30)
    with pytest.raises(DataError, match="no stored bars between"):
        run_backtest(
            store(fakes),
            later,
            strategy=STRATEGY,
            commission=COMMISSION,
            slippage=SLIPPAGE,
            initial_cash=Decimal(10_000),
        )


def test_the_report_carries_equity_drawdown_metrics_and_trades(fakes: ModuleType) -> None:
    result = backtest(fakes)

    report = result.report("hand case", {"seed": 1})

    assert report.title == "hand case"
    assert report.configuration == {"seed": 1}
    np.testing.assert_allclose(
        report.drawdown.to_numpy(),
        [0.0, 0.0, 9_875.857 / 10_043.051 - 1, 9_605.329 / 10_043.051 - 1],
    )
    assert report.metrics["trade_count"] == 5
    assert report.trades is result.trades


# With a 2 % no-trade band: at bar 2 AAA's resize 49 → 48 is worth 104 < 2 % of 10 141.051, so
# it is skipped; BBB opens (always trades). At bar 3, AAA closes all 49 (always trades):
# equity at open 10 078.961 + 49 × 100 - 105 × 52 = 9 518.961; BBB trunc(-91.53) = -91: buy 14,
# worth 728 > 190.38. Cash 10 078.961 + 4 895.1 - 1 - 728.728 - 1 = 14 243.333.
def test_the_rebalance_band_skips_small_resizes_but_never_opening_or_closing(
    fakes: ModuleType,
) -> None:
    result = backtest(fakes, rebalance_band=0.02)

    np.testing.assert_array_equal(
        result.positions.to_numpy(), [[0, 0], [49, 0], [49, -105], [0, -91]]
    )
    np.testing.assert_allclose(
        result.equity.to_numpy(), [10_000.0, 10_043.051, 9_875.961, 9_602.333], rtol=0, atol=1e-9
    )
    assert [(row.symbol, row.side, row.quantity) for row in result.trades.itertuples()] == [
        ("AAA", "BUY", 49.0),
        ("BBB", "SELL", 105.0),
        ("AAA", "SELL", 49.0),
        ("BBB", "BUY", 14.0),
    ]
    assert result.summary.trade_count == 4
