"""The same SMA-crossover rules through QuantCLI and through backtesting.py and vectorbt on GOOG.

Both reference tools run in the test, on the `backtesting` package's GOOG.csv (daily, 2004-2013);
QuantCLI must reproduce their trades (dates, sizes, prices) and equity.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

from quantcli import kernels

CASH, COMMISSION, FAST, SLOW = 10_000.0, 0.002, 10, 20


def crossover_events(close: np.ndarray) -> np.ndarray:
    """+1 where SMA(FAST) crosses above SMA(SLOW), -1 below: QuantCLI's own indicators."""
    difference = kernels.sma(close, FAST) - kernels.sma(close, SLOW)
    events = np.full(close.size, np.nan)
    events[1:][(difference[:-1] < 0) & (difference[1:] > 0)] = 1.0
    events[1:][(difference[:-1] > 0) & (difference[1:] < 0)] = -1.0
    return events


class SmaCross(Strategy):
    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, FAST)
        self.slow = self.I(SMA, self.data.Close, SLOW)

    def next(self) -> None:
        if crossover(self.fast, self.slow):
            self.position.close()
            self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()
            self.sell()


@pytest.fixture(scope="module")
def goog() -> pd.DataFrame:
    return GOOG.copy()


def test_backtesting_py_all_in_next_open_gives_the_same_trades_and_equity(
    goog: pd.DataFrame,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(
            goog, SmaCross, cash=CASH, commission=COMMISSION, exclusive_orders=True
        ).run()
    close, open_ = goog.Close.to_numpy(float), goog.Open.to_numpy(float)

    ours = kernels.signal_backtest(
        open_,
        close,
        crossover_events(close),
        initial_cash=CASH,
        rules=kernels.BACKTESTING_PY.with_commission(COMMISSION),
    )

    theirs = stats["_trades"]
    closed = ours.trades.exit_bar >= 0
    assert len(theirs) == closed.sum() == 93
    np.testing.assert_array_equal(goog.index[ours.trades.entry_bar[closed]], theirs.EntryTime)
    np.testing.assert_array_equal(goog.index[ours.trades.exit_bar[closed]], theirs.ExitTime)
    np.testing.assert_array_equal(ours.trades.size[closed], theirs.Size)
    np.testing.assert_array_equal(ours.trades.entry_price[closed], theirs.EntryPrice)
    np.testing.assert_array_equal(ours.trades.exit_price[closed], theirs.ExitPrice)
    assert ours.equity[-1] == pytest.approx(stats["Equity Final [$]"], rel=0, abs=1e-6)
    np.testing.assert_allclose(ours.equity, stats["_equity_curve"].Equity, rtol=0, atol=1e-6)


# vectorbt 1.2 still passes inplace= to pandas 3; that is its business, not this test's.
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_vectorbt_from_signals_gives_the_same_trades_and_equity(goog: pd.DataFrame) -> None:
    close, open_ = goog.Close.to_numpy(float), goog.Open.to_numpy(float)
    events = crossover_events(close)
    portfolio = vbt.Portfolio.from_signals(
        goog.Close, entries=events == 1, exits=events == -1, init_cash=CASH, fees=COMMISSION
    )

    ours = kernels.signal_backtest(
        open_, close, events, initial_cash=CASH, rules=kernels.VECTORBT.with_commission(COMMISSION)
    )

    theirs = portfolio.trades.records_readable
    assert len(theirs) == len(ours.trades.size) == 47
    np.testing.assert_array_equal(goog.index[ours.trades.entry_bar], theirs["Entry Timestamp"])
    np.testing.assert_allclose(ours.trades.size, theirs["Size"], rtol=1e-12)
    # vectorbt reports entry prices as averages, which carry its own rounding.
    np.testing.assert_allclose(ours.trades.entry_price, theirs["Avg Entry Price"], rtol=1e-14)
    assert ours.equity[-1] == pytest.approx(portfolio.final_value(), rel=0, abs=1e-6)
    np.testing.assert_allclose(ours.equity, portfolio.value(), rtol=0, atol=1e-6)
