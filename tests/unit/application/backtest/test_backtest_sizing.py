"""run_backtest with a SizingPolicy: the weights a paper session's SignalSizer would trade."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.run_backtest import backtest_weights, run_backtest
from quantcli.application.strategy.order_sizing import SignalSizer, SizingMethod, SizingPolicy
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.bar import Bar
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.signals import Signal

SYMBOLS = ["AAA", "BBB", "CCC"]
DAYS = pd.date_range("2024-01-01", periods=80, freq="D", tz="UTC")
STRATEGY = ThresholdStrategy(weight_per_symbol=0.05)
COSTS = {
    "commission": CommissionSchedule(per_share=Decimal("0.005"), minimum=Decimal("1.00")),
    "slippage": SlippageModel(bps=Decimal(5)),
    "initial_cash": Decimal(1_000_000),
    "rebalance_band": 0.005,
}


def market(fakes: ModuleType) -> tuple[object, pd.DataFrame]:
    """Seeded bars (daily volatility 1 %, 2 % and 4 %) and P(up) for every bar."""
    rng = np.random.default_rng(7)
    frames, rows = [], []
    for symbol, daily in zip(SYMBOLS, (0.01, 0.02, 0.04), strict=True):
        closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, daily, len(DAYS))))
        opens = closes * np.exp(rng.normal(0.0, daily / 4, len(DAYS)))
        frames.append(fakes.bar_frame(symbol, DAYS, opens, closes))
        for stamp, p in zip(DAYS, rng.uniform(0.3, 0.7, len(DAYS)), strict=True):
            rows.append({"symbol": symbol, "timestamp": stamp, "probability_up": p})
    return fakes.FakeBarStore(pd.concat(frames, ignore_index=True)), pd.DataFrame(rows)


def paper_weights(
    bars: pd.DataFrame, predictions: pd.DataFrame, policy: SizingPolicy
) -> pd.DataFrame:
    """Each bar's weights as a paper session sizes them: observe the bars, size the signals."""
    sizer = SignalSizer(policy)
    signals = {(s.symbol, pd.Timestamp(s.as_of)): s for s in STRATEGY.signals(predictions)}
    weights = pd.DataFrame(0.0, index=DAYS, columns=SYMBOLS)
    for stamp, slice_ in bars.groupby("timestamp"):
        sizer.observe(
            {
                row.symbol: Bar(
                    row.symbol, stamp.to_pydatetime(), row.open, row.high, row.low, row.close, 1e3
                )
                for row in slice_.itertuples()
            }
        )
        for symbol in SYMBOLS:
            signal: Signal = signals[(symbol, stamp)]
            weights.loc[stamp, symbol] = sizer.target_weight(signal)
    return weights


def sized_backtest(fakes: ModuleType, policy: SizingPolicy | None) -> BacktestResult:
    bar_store, predictions = market(fakes)
    return run_backtest(
        bar_store,  # type: ignore[arg-type]
        predictions,
        strategy=STRATEGY,
        sizing=policy,
        **COSTS,  # type: ignore[arg-type]
    )


def test_fixed_fraction_trades_the_strategy_weights_as_before(fakes: ModuleType) -> None:
    unsized = sized_backtest(fakes, None)

    sized = sized_backtest(fakes, SizingPolicy(max_weight=0.05, rebalance_band=0.005))

    pd.testing.assert_series_equal(sized.equity, unsized.equity)
    pd.testing.assert_frame_equal(sized.trades, unsized.trades)


@pytest.mark.parametrize(
    "policy",
    [
        SizingPolicy(max_weight=0.03),
        SizingPolicy(SizingMethod.VOLATILITY_TARGET, max_weight=0.05, target_volatility=0.05),
        SizingPolicy(SizingMethod.FRACTIONAL_KELLY, max_weight=0.05, kelly_fraction=0.5),
    ],
    ids=lambda policy: policy.method.value,
)
def test_the_backtest_trades_what_the_paper_sessions_sizer_would(
    fakes: ModuleType, policy: SizingPolicy
) -> None:
    bar_store, predictions = market(fakes)
    bars = bar_store.read_bars(SYMBOLS)  # type: ignore[attr-defined]

    result = sized_backtest(fakes, policy)

    expected = backtest_weights(bars, paper_weights(bars, predictions, policy), **COSTS)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(result.positions, expected.positions)
    pd.testing.assert_series_equal(result.equity, expected.equity)


def test_volatility_target_holds_less_of_the_more_volatile_symbols(fakes: ModuleType) -> None:
    policy = SizingPolicy(SizingMethod.VOLATILITY_TARGET, max_weight=0.05, target_volatility=0.01)

    fixed = sized_backtest(fakes, SizingPolicy(max_weight=0.05))
    targeted = sized_backtest(fakes, policy)

    bar_store, _ = market(fakes)
    closes = bar_store.read_bars(SYMBOLS).pivot(index="timestamp", columns="symbol", values="close")  # type: ignore[attr-defined]
    fixed_value = (fixed.positions * closes).abs().mean()
    targeted_value = (targeted.positions * closes).abs().mean()
    # 1 % / AAA's 16 % a year is above the 5 % cap; BBB (32 %) gets about 3 %, CCC (64 %) 1.6 %.
    assert targeted_value["AAA"] == pytest.approx(fixed_value["AAA"], rel=0.15)
    assert targeted_value["BBB"] < 0.8 * fixed_value["BBB"]
    assert targeted_value["CCC"] < 0.5 * fixed_value["CCC"]
    assert targeted_value["CCC"] < targeted_value["BBB"] < targeted_value["AAA"]
    assert targeted.summary.annualized_volatility < fixed.summary.annualized_volatility
