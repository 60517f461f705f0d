"""The kill switch: every trigger, persistence across restarts, and what a trip does to orders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from quantcli.application.risk.kill_switch import (
    KillSwitch,
    KillSwitchPolicy,
    kill_switch_status,
    record_reset,
    record_trip,
)
from quantcli.application.trading.run_trading_session import TradingSession
from quantcli.domain.bar import Bar
from quantcli.domain.errors import ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.kill_switch import KillTrigger
from quantcli.domain.loss_limits import EquityPoint, LossLimits
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import OrderSide, OrderStatus

ACCOUNT = "acct"
CASH = Decimal(100_000)
T0 = datetime(2024, 1, 8, tzinfo=UTC)  # a Monday


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


# --- triggers ---------------------------------------------------------------------------------


def switch(fakes: ModuleType, **policy: Any) -> KillSwitch:
    return KillSwitch(fakes.FakeKillSwitchStore(), KillSwitchPolicy(**policy))


def test_a_loss_beyond_the_daily_limit_trips(fakes: ModuleType) -> None:
    kill = switch(fakes, loss_limits=LossLimits(daily=Decimal("0.02")))
    history = [EquityPoint(day(0), Decimal(100_000)), EquityPoint(day(1), Decimal(97_000))]

    trigger, reason = kill.check(day(1), equity_history=history) or (None, "")

    assert trigger is KillTrigger.LOSS_LIMIT
    assert reason.startswith("daily loss 3.00% of start-of-day equity 100000.00")
    assert kill.check(day(1), equity_history=history[:1]) is None


def test_more_rejects_than_allowed_within_the_window_trip(fakes: ModuleType) -> None:
    kill = switch(fakes, max_rejects=2, reject_window=timedelta(hours=1))
    for minutes in (0, 10):
        kill.record_reject(T0 + timedelta(minutes=minutes))
    assert kill.check(T0 + timedelta(minutes=20)) is None
    kill.record_reject(T0 + timedelta(minutes=30))

    assert kill.check(T0 + timedelta(minutes=30)) == (
        KillTrigger.REJECTS,
        "3 order rejections within 1:00:00 (max_rejects 2)",
    )
    # An hour after the first, it has left the window.
    assert kill.check(T0 + timedelta(minutes=61)) is None


def test_a_broker_down_longer_than_allowed_trips_and_a_reconnect_clears_it(
    fakes: ModuleType,
) -> None:
    kill = switch(fakes, max_disconnected=timedelta(seconds=60))
    assert kill.check(T0, broker_connected=False) is None
    assert kill.check(T0 + timedelta(seconds=30), broker_connected=True) is None
    assert kill.check(T0 + timedelta(seconds=40), broker_connected=False) is None

    found = kill.check(T0 + timedelta(seconds=101), broker_connected=False)

    assert found is not None
    assert found[0] is KillTrigger.BROKER_DISCONNECTED
    assert "61s > 60s" in found[1]


def test_stale_market_data_trips_by_time_and_by_missing_sessions(fakes: ModuleType) -> None:
    kill = switch(fakes, max_stale=timedelta(minutes=5), max_missing_sessions=2)
    assert kill.check(T0 + timedelta(minutes=5), last_data_at=T0) is None
    by_time = kill.check(T0 + timedelta(minutes=6), last_data_at=T0)
    by_sessions = kill.check(T0, missing_sessions=3)

    assert by_time is not None
    assert by_time[0] is KillTrigger.STALE_DATA
    assert by_sessions == (KillTrigger.STALE_DATA, "no bar for 3 exchange sessions (limit 2)")
    assert kill.check(T0, missing_sessions=2) is None


def test_a_plugged_in_check_can_trip_for_drift(fakes: ModuleType) -> None:
    kill = switch(fakes)
    kill.checks.append(lambda now: (KillTrigger.DRIFT, "PSI 0.4 > 0.25") if now > T0 else None)
    assert kill.check(T0) is None
    assert kill.check(day(1)) == (KillTrigger.DRIFT, "PSI 0.4 > 0.25")


def test_policy_refuses_non_positive_thresholds() -> None:
    with pytest.raises(ValidationError, match="max_rejects: 0 is not positive"):
        KillSwitchPolicy(max_rejects=0)
    with pytest.raises(ValidationError, match="max_disconnected"):
        KillSwitchPolicy(max_disconnected=timedelta(0))


def test_a_trip_persists_until_a_reset_is_recorded(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    record_trip(store, KillTrigger.MANUAL, "fat finger", "alice", T0, flatten=True)

    # A new process reads the same store: still tripped.
    assert KillSwitch(store).status().tripped
    record_reset(store, "bob", day(1), "checked")
    status = kill_switch_status(store)
    assert not status.tripped
    assert [(e.action.value, e.actor) for e in store.events] == [
        ("TRIP", "alice"),
        ("RESET", "bob"),
    ]


# --- a session with a kill switch -------------------------------------------------------------


def bars(n: int, close: float = 50.0, open_: float | None = None) -> dict[str, Bar]:
    open_ = close if open_ is None else open_
    return {"AAA": Bar("AAA", day(n), open_, max(open_, close), min(open_, close), close, 1e6)}


def session_with(
    fakes: ModuleType,
    weights: Mapping[int, float],
    *,
    store: Any = None,
    policy: KillSwitchPolicy | None = None,
    limits: RiskLimits | None = None,
    calendar: Any = None,
    broker: Any = None,
    portfolio: Portfolio | None = None,
) -> TradingSession:
    ledger = fakes.FakeLedger()
    signals = {
        day(n): [Signal("AAA", day(n), weight, 0.5 + weight / 2)] for n, weight in weights.items()
    }
    return TradingSession(
        account=ACCOUNT,
        broker=broker or fakes.FakeBroker(ledger, fill_at_open=True, confirm_cancels=True),
        ledger=ledger,
        limits=limits or RiskLimits(max_position_weight=1.0),
        signal_source=lambda moment: signals.get(moment, []),
        portfolio=portfolio or Portfolio(cash=CASH),
        calendar=calendar,
        kill_switch=KillSwitch(
            store if store is not None else fakes.FakeKillSwitchStore(),
            policy or KillSwitchPolicy(),
        ),
    )


def test_a_trip_from_another_process_cancels_working_orders_and_blocks_new_ones(
    fakes: ModuleType,
) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(fakes, {0: 0.1, 1: 0.2, 2: 0.3}, store=store)
    session.broker.fill_at_open = False  # the day-0 order stays working
    session.on_bars(day(0), bars(0))
    assert session.summary().open_orders == 1

    record_trip(store, KillTrigger.MANUAL, "halt", "alice", day(1))
    session.on_bars(day(1), bars(1))
    session.on_bars(day(2), bars(2))

    summary = session.summary()
    assert summary.open_orders == 0
    assert summary.signals_blocked == 2
    assert [o.client_order_id for o in session.broker.submitted] == ["acct-AAA-20240108T000000"]
    (cancelled,) = session.ledger.orders(OrderStatus.CANCELLED)
    assert cancelled.cancel_reason == "kill switch tripped: halt"
    # The session keeps running: every bar still ends with its checkpoint.
    assert session.ledger.portfolio_as_of(ACCOUNT) == day(2)
    assert summary.kill_switch is not None
    assert summary.kill_switch.tripped


def test_a_trip_with_flatten_closes_positions_with_market_orders_once(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    portfolio = Portfolio(cash=CASH)
    portfolio.apply_fill(
        Fill("F0", "seed", "AAA", OrderSide.BUY, Decimal(300), Decimal(50), Decimal(0), day(0))
    )
    session = session_with(fakes, {1: 0.5}, store=store, portfolio=portfolio)
    record_trip(store, KillTrigger.MANUAL, "halt", "alice", day(0), flatten=True)

    session.on_bars(day(1), bars(1))
    (flatten,) = session.broker.submitted
    session.on_bars(day(2), bars(2, close=49.0, open_=49.5))
    session.on_bars(day(3), bars(3))

    assert flatten.client_order_id == "acct-AAA-20240109T000000-FLAT"
    assert (flatten.side, flatten.quantity) == (OrderSide.SELL, Decimal(300))
    assert session.portfolio.quantity("AAA") == 0
    assert len(session.broker.submitted) == 1
    summary = session.summary()
    assert (summary.orders_submitted, summary.flatten_orders) == (1, 1)


def test_too_many_risk_rejections_trip_the_switch_inside_the_session(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(
        fakes,
        {0: 0.1, 1: 0.1, 2: 0.1, 3: 0.1},
        store=store,
        policy=KillSwitchPolicy(max_rejects=1, reject_window=timedelta(days=7)),
        limits=RiskLimits(max_order_quantity=Decimal(1)),
    )

    for n in range(4):
        session.on_bars(day(n), bars(n))

    (event,) = store.events
    assert (event.trigger, event.actor, event.account) == (
        KillTrigger.REJECTS,
        "session:acct",
        ACCOUNT,
    )
    assert event.at == day(2)  # the third bar sees the two rejections of the first two
    assert session.summary().orders_rejected == 2
    assert session.summary().signals_blocked == 2


def test_a_loss_limit_trips_the_switch_inside_the_session(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(
        fakes,
        {0: 1.0},
        store=store,
        policy=KillSwitchPolicy(loss_limits=LossLimits(daily=Decimal("0.05"))),
    )
    session.on_bars(day(0), bars(0, close=50.0))
    session.on_bars(day(1), bars(1, close=50.0))  # buys 2 000 at 50
    session.on_bars(day(2), bars(2, close=45.0))  # -10 %

    (event,) = store.events
    assert event.trigger is KillTrigger.LOSS_LIMIT
    assert "daily loss 10.00%" in event.reason


def test_a_broker_down_too_long_trips_on_a_heartbeat(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(
        fakes, {}, store=store, policy=KillSwitchPolicy(max_disconnected=timedelta(seconds=60))
    )
    session.broker.connected = False

    session.heartbeat(T0)
    session.heartbeat(T0 + timedelta(seconds=90))

    (event,) = store.events
    assert event.trigger is KillTrigger.BROKER_DISCONNECTED


def test_after_a_reset_the_next_bar_trades_again(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    record_trip(store, KillTrigger.MANUAL, "halt", "alice", T0)
    session = session_with(fakes, {0: 0.1, 1: 0.1}, store=store)
    session.on_bars(day(0), bars(0))
    assert session.broker.submitted == []

    record_reset(store, "bob", day(0), "ok")
    session.on_bars(day(1), bars(1))

    assert [o.client_order_id for o in session.broker.submitted] == ["acct-AAA-20240109T000000"]


def test_the_session_can_trip_the_switch_itself(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(fakes, {}, store=store)

    session.trip(KillTrigger.ERROR_RATE, "5 errors a minute", T0)

    assert store.events[0].trigger is KillTrigger.ERROR_RATE
    assert session.engine.blocked_reason == "kill switch tripped: 5 errors a minute"


# --- the exchange calendar --------------------------------------------------------------------


def test_a_bar_on_a_non_session_day_is_rejected_by_name(fakes: ModuleType) -> None:
    session = session_with(fakes, {5: 0.1}, calendar=fakes.FakeTradingCalendar())

    session.on_bars(day(5), bars(5))  # Saturday

    assert session.summary().bars_rejected == (
        "bar at 2024-01-13T00:00:00+00:00 rejected: 2024-01-13 is not a XTST session (Saturday)",
    )
    assert session.broker.market_data == []
    assert session.broker.submitted == []
    assert session.summary().bars_processed == 0


def test_sessions_without_a_bar_trip_the_switch_as_stale_data(fakes: ModuleType) -> None:
    store = fakes.FakeKillSwitchStore()
    session = session_with(
        fakes,
        {},
        store=store,
        calendar=fakes.FakeTradingCalendar(holidays=[day(1).date()]),
        policy=KillSwitchPolicy(max_missing_sessions=2),
    )
    session.on_bars(day(0), bars(0))  # Monday
    session.on_bars(day(3), bars(3))  # Thursday: Tuesday is a holiday, Wednesday is missing
    assert store.events == []

    session.on_bars(day(7), bars(7))  # next Monday: Friday and ... only Friday is missing

    assert store.events == []
    session.on_bars(day(11), bars(11))  # Friday: Tuesday to Thursday missing

    (event,) = store.events
    assert event.trigger is KillTrigger.STALE_DATA
