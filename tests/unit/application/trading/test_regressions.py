"""Regression tests for bugs found in the use cases: each states the behaviour that must hold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType

import numpy as np
import pytest

from quantcli.application.features import FeatureParameters, build_registry
from quantcli.application.features.build_features import symbol_features
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.application.trading.run_trading_session import TradingSession
from quantcli.domain.errors import ExecutionError
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import OrderSide, OrderStatus

CASH = Decimal(100_000)


def day(number: int) -> datetime:
    return datetime(2024, 1, number, tzinfo=UTC)


def session(fakes: ModuleType, signals: dict[datetime, list[Signal]]) -> TradingSession:
    ledger = fakes.FakeLedger()
    return TradingSession(
        account="paper-1",
        broker=fakes.FakeBroker(ledger),
        ledger=ledger,
        limits=RiskLimits(),
        signal_source=lambda moment: signals.get(moment, []),
        portfolio=Portfolio(cash=CASH),
    )


# bar_replay.py:35, FrameBarReplay.__iter__ — `np.r_[True, times[1:] != times[:-1]]` is [True]
# for zero rows, so the loop reads times[0] of an empty array: IndexError.
def test_replay_of_an_empty_bar_frame_yields_nothing(fakes: ModuleType) -> None:
    empty = fakes.bar_frame("AAA", fakes.utc_days(0), [], [])
    assert list(FrameBarReplay(empty)) == []


def test_a_session_over_an_empty_frame_replay_raises_execution_error(fakes: ModuleType) -> None:
    empty = fakes.bar_frame("AAA", fakes.utc_days(0), [], [])
    with pytest.raises(ExecutionError, match="the bar feed is empty"):
        session(fakes, {}).run(FrameBarReplay(empty))


# run_trading_session.py:117, TradingSession._act_on — `held = self.portfolio.quantity(symbol)`
# ignores the remaining quantity of orders still working at the broker, so an order not yet
# (fully) filled when the next signal arrives is sent again and the target is overshot.
def test_an_order_still_working_counts_toward_the_target(fakes: ModuleType) -> None:
    signals = {
        day(2): [Signal("AAA", day(2), 0.1, 0.9)],
        day(3): [Signal("AAA", day(3), 0.1, 0.9)],
    }
    trading = session(fakes, signals)
    bars = {d: {"AAA": fakes.bar("AAA", day(d), 49.5, 50.0)} for d in (2, 3)}

    trading.on_bars(day(2), bars[2])  # BUY 200 submitted; the broker has not filled it yet
    trading.on_bars(day(3), bars[3])  # same target, same equity and price

    working = [o for o in trading.orders.values() if o.status.is_open]
    committed = sum(
        (o.remaining_quantity * (1 if o.side is OrderSide.BUY else -1) for o in working),
        Decimal(0),
    )
    assert trading.portfolio.quantity("AAA") + committed == Decimal(200)


# run_trading_session.py:102-112, TradingSession._apply_events — the fill is applied to the
# in-memory order and portfolio inside `ledger.atomic()`; when a ledger write fails and rolls
# back, memory keeps the fill (and the drained event is gone), so memory and ledger diverge.
def test_a_fill_whose_ledger_write_fails_leaves_order_and_portfolio_unchanged(
    fakes: ModuleType,
) -> None:
    trading = session(fakes, {day(2): [Signal("AAA", day(2), 0.1, 0.9)]})
    trading.on_bars(day(2), {"AAA": fakes.bar("AAA", day(2), 49.5, 50.0)})
    (order_id,) = trading.orders
    trading.broker.fill(order_id, 200, "50", day(3))
    trading.ledger.fail_on = "save_order"

    with pytest.raises(OSError, match="injected failure"):
        trading.on_bars(day(3), {"AAA": fakes.bar("AAA", day(3), 50.0, 51.0)})

    assert trading.ledger.fills() == []
    assert trading.portfolio.cash == CASH
    assert trading.portfolio.quantity("AAA") == 0
    assert trading.orders[order_id].status is OrderStatus.SUBMITTED


# build_features.py:74, symbol_features — `np.where(volume_std > 0, zscore, 0.0)` also maps the
# NaN warm-up of the rolling std to 0.0: the z-score says "average volume" before it is defined.
def test_volume_zscore_is_missing_before_its_window_fills(fakes: ModuleType) -> None:
    registry = build_registry(FeatureParameters(volume_window=4, ranks=()))
    spec = FeatureSpec((registry.get("volume_zscore_4"),))
    bars = fakes.bar_frame(
        "AAA", fakes.utc_days(6), [10.0] * 6, [10.5] * 6, [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
    )

    zscore = symbol_features(bars, spec)["volume_zscore_4"].to_numpy()

    assert np.isnan(zscore[:3]).all()
    assert np.isfinite(zscore[3:]).all()
