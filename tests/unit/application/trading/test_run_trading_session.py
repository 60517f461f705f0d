"""TradingSession with FakeBroker and FakeLedger: sizing, ledger-first submission, fills, risk."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.application.strategy.order_sizing import SignalSizer, SizingMethod, SizingPolicy
from quantcli.application.trading.ports import OrderCancelled, OrderRejected
from quantcli.application.trading.run_trading_session import TradingSession, client_order_id
from quantcli.domain.bar import Bar
from quantcli.domain.errors import ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

ACCOUNT = "paper-1"
CASH = Decimal(100_000)


def day(number: int) -> datetime:
    return datetime(2024, 1, number, tzinfo=UTC)


def bars_at(fakes: ModuleType, moment: datetime, **closes: float) -> dict[str, Bar]:
    """One bar per symbol; the open is 1 % below the close."""
    return {
        symbol: fakes.bar(symbol, moment, round(close * 0.99, 4), close)
        for symbol, close in closes.items()
    }


def signal(symbol: str, moment: datetime, weight: float) -> Signal:
    return Signal(symbol, moment, weight, 0.5 + weight / 2)


def make_session(
    fakes: ModuleType,
    signals: Mapping[datetime, Sequence[Signal]],
    *,
    limits: RiskLimits | None = None,
    portfolio: Portfolio | None = None,
    ledger: object | None = None,
    broker: object | None = None,
    rebalance_band: float = 0.0,
) -> TradingSession:
    ledger = ledger if ledger is not None else fakes.FakeLedger()
    return TradingSession(
        account=ACCOUNT,
        broker=broker if broker is not None else fakes.FakeBroker(ledger),
        ledger=ledger,
        limits=limits if limits is not None else RiskLimits(),
        signal_source=lambda moment: list(signals.get(moment, [])),
        portfolio=portfolio if portfolio is not None else Portfolio(cash=CASH),
        rebalance_band=rebalance_band,
    )


# --- from signal to order ---------------------------------------------------------------------


def test_a_signal_becomes_a_market_day_order_sized_on_equity_and_close(fakes: ModuleType) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]})

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (order,) = session.broker.submitted
    assert order.client_order_id == "paper-1-AAA-20240102T000000"
    assert order.symbol == "AAA"
    assert order.side is OrderSide.BUY
    assert order.quantity == Decimal(200)  # 10 % of 100 000 at the close 50
    assert order.order_type is OrderType.MARKET
    assert order.time_in_force is TimeInForce.DAY
    assert order.created_at == day(2)
    assert order.status is OrderStatus.NEW


def test_order_size_rounds_toward_zero_and_counts_held_shares(fakes: ModuleType) -> None:
    portfolio = Portfolio(cash=Decimal(90_000))
    portfolio.apply_fill(
        Fill("F0", "seed", "AAA", OrderSide.BUY, Decimal(100), Decimal(40), Decimal(0), day(1))
    )
    session = make_session(
        fakes,
        {day(2): [signal("AAA", day(2), -0.1), signal("BBB", day(2), 0.1)]},
        portfolio=portfolio,
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0, BBB=33.0))

    # Equity 86 000 cash + 100 × 50 = 91 000. AAA: -9 100 / 50 = -182 → sell 282.
    # BBB: 9 100 / 33 = 275.75... → buy 275.
    sides = {o.symbol: (o.side, o.quantity) for o in session.broker.submitted}
    assert sides == {
        "AAA": (OrderSide.SELL, Decimal(282)),
        "BBB": (OrderSide.BUY, Decimal(275)),
    }


def test_no_order_when_the_position_already_matches_the_target(fakes: ModuleType) -> None:
    portfolio = Portfolio(cash=CASH)  # buying 200 @ 50 leaves equity 100 000 at a close of 50
    portfolio.apply_fill(
        Fill("F0", "seed", "AAA", OrderSide.BUY, Decimal(200), Decimal(50), Decimal(0), day(1))
    )
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, portfolio=portfolio)

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    assert session.broker.submitted == []
    assert session.ledger.orders() == []


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (0.102, None),  # 200 → 204 shares: worth 200 < 1 % of equity, same side: skipped
        (0.12, (OrderSide.BUY, Decimal(40))),  # 200 → 240: worth 2 000, trades
        (-0.001, (OrderSide.SELL, Decimal(202))),  # 200 → -2: a flip always trades
        (0.0, (OrderSide.SELL, Decimal(200))),  # closing always trades
    ],
)
def test_the_rebalance_band_skips_only_small_same_side_resizes(
    fakes: ModuleType, weight: float, expected: tuple[OrderSide, Decimal] | None
) -> None:
    portfolio = Portfolio(cash=CASH)
    portfolio.apply_fill(
        Fill("F0", "seed", "AAA", OrderSide.BUY, Decimal(200), Decimal(50), Decimal(0), day(1))
    )
    session = make_session(
        fakes, {day(2): [signal("AAA", day(2), weight)]}, portfolio=portfolio, rebalance_band=0.01
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    submitted = [(o.side, o.quantity) for o in session.broker.submitted]
    assert submitted == ([] if expected is None else [expected])


def test_a_signal_for_a_symbol_without_a_bar_is_ignored(fakes: ModuleType) -> None:
    session = make_session(fakes, {day(2): [signal("ZZZ", day(2), 0.1)]})

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    assert session.broker.submitted == []


def test_the_order_is_in_the_ledger_as_new_before_it_reaches_the_broker(
    fakes: ModuleType,
) -> None:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]})

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    order_id = "paper-1-AAA-20240102T000000"
    assert session.broker.ledger_status_at_submit == {order_id: OrderStatus.NEW}
    assert session.ledger.order_history == [
        (order_id, OrderStatus.NEW),
        (order_id, OrderStatus.SUBMITTED),
    ]
    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.SUBMITTED
    assert saved.broker_order_id == "BRK-1"
    assert saved.updated_at == day(2)
    assert session.summary().orders_submitted == 1
    assert session.summary().open_orders == 1


# --- broker events ----------------------------------------------------------------------------


def submitted_session(fakes: ModuleType) -> tuple[TradingSession, str]:
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]})
    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))
    return session, "paper-1-AAA-20240102T000000"


def test_a_fill_moves_order_portfolio_and_ledger(fakes: ModuleType) -> None:
    session, order_id = submitted_session(fakes)
    fill = session.broker.fill(order_id, 200, "50.10", day(3), commission=Decimal("1.00"))

    session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    assert session.portfolio.cash == CASH - Decimal("10020.00") - Decimal("1.00")
    assert session.portfolio.quantity("AAA") == Decimal(200)
    assert session.ledger.fills() == [fill]
    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.FILLED
    assert saved.filled_quantity == Decimal(200)
    assert saved.average_fill_price == Decimal("50.10")
    assert session.engine.order(order_id).status is OrderStatus.FILLED
    assert order_id not in session.orders  # only open orders are kept at hand
    summary = session.summary()
    assert summary.fills == 1
    assert summary.open_orders == 0
    assert summary.final_equity == CASH - Decimal("10021.00") + 200 * Decimal("51.0")


def test_a_fill_booked_between_bars_refreshes_the_snapshot_at_the_last_bar(
    fakes: ModuleType,
) -> None:
    session, order_id = submitted_session(fakes)
    session.broker.fill(order_id, 200, "50.10", day(3), commission=Decimal("1.00"))

    session.heartbeat(day(2) + timedelta(hours=15))

    # The snapshot holds the fill at once; its stamp stays the last finished bar (the resume
    # checkpoint), since the fill belongs to that bar's decision.
    assert session.ledger.load_portfolio(ACCOUNT).quantity("AAA") == Decimal(200)
    assert session.ledger.portfolio_as_of(ACCOUNT) == day(2)
    assert session.summary().fills == 1


def test_a_heartbeat_without_fills_writes_no_snapshot(fakes: ModuleType) -> None:
    session, _ = submitted_session(fakes)
    saved = list(session.ledger.portfolio_history)

    session.heartbeat(day(2) + timedelta(hours=15))

    assert session.ledger.portfolio_history == saved


def test_a_partial_fill_leaves_the_order_partially_filled(fakes: ModuleType) -> None:
    session, order_id = submitted_session(fakes)
    session.broker.fill(order_id, 80, "50", day(3))

    session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.PARTIALLY_FILLED
    assert saved.filled_quantity == Decimal(80)
    assert session.portfolio.quantity("AAA") == Decimal(80)


def test_a_fill_is_written_in_one_transaction_that_rolls_back_together(
    fakes: ModuleType,
) -> None:
    session, order_id = submitted_session(fakes)
    session.broker.fill(order_id, 200, "50", day(3))
    session.ledger.fail_on = "save_order"  # after save_fill, inside the same transaction

    with pytest.raises(OSError, match="injected failure"):
        session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    assert session.ledger.fills() == []
    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.SUBMITTED


def test_each_event_gets_its_own_transaction(fakes: ModuleType) -> None:
    session, order_id = submitted_session(fakes)
    before = session.ledger.transactions
    session.broker.fill(order_id, 50, "50", day(3))
    session.broker.fill(order_id, 50, "50", day(3))

    session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    # One per fill, then the bar's checkpoint (portfolio snapshot and equity point).
    assert session.ledger.transactions - before == 3
    assert len(session.ledger.fills()) == 2


def test_a_cancel_event_cancels_the_order(fakes: ModuleType) -> None:
    session, order_id = submitted_session(fakes)
    session.broker.cancel(order_id, day(3))

    session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.CANCELLED
    assert saved.updated_at == day(3)
    assert session.portfolio.cash == CASH
    assert session.summary().open_orders == 0


def test_a_broker_rejection_rejects_the_order_with_its_reason(fakes: ModuleType) -> None:
    session, order_id = submitted_session(fakes)
    session.broker.reject(order_id, day(3), "no shares to borrow")

    session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))

    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.REJECTED
    assert saved.reject_reason == "no shares to borrow"


@pytest.mark.parametrize(
    "event",
    [
        OrderCancelled("ghost-1", "expired", day(3)),
        OrderRejected("ghost-1", "no", day(3)),
        Fill("F9", "ghost-1", "AAA", OrderSide.BUY, Decimal(1), Decimal(50), Decimal(0), day(3)),
    ],
)
def test_an_event_for_an_unknown_order_raises_execution_error(
    fakes: ModuleType, event: object
) -> None:
    session = make_session(fakes, {})
    session.broker.push(event)

    with pytest.raises(ExecutionError, match=f"{type(event).__name__} for unknown order ghost-1"):
        session.on_bars(day(3), bars_at(fakes, day(3), AAA=51.0))
    assert session.ledger.fills() == []


# --- risk -------------------------------------------------------------------------------------


def test_a_risk_violation_rejects_the_order_before_the_broker_sees_it(fakes: ModuleType) -> None:
    limits = RiskLimits(max_order_quantity=Decimal(100), restricted_symbols=frozenset({"AAA"}))
    session = make_session(fakes, {day(2): [signal("AAA", day(2), 0.1)]}, limits=limits)

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    assert session.broker.submitted == []
    (saved,) = session.ledger.orders()
    assert saved.status is OrderStatus.REJECTED
    assert saved.reject_reason == (
        "restricted_list: AAA is restricted; max_order_quantity: quantity 200 > limit 100"
    )
    assert session.ledger.order_history == [(saved.client_order_id, OrderStatus.REJECTED)]
    summary = session.summary()
    assert (summary.orders_rejected, summary.orders_submitted, summary.open_orders) == (1, 0, 0)


def test_a_position_weight_violation_names_its_rule(fakes: ModuleType) -> None:
    session = make_session(
        fakes,
        {day(2): [signal("AAA", day(2), 0.3)]},
        limits=RiskLimits(max_position_weight=0.25),
    )

    session.on_bars(day(2), bars_at(fakes, day(2), AAA=50.0))

    (saved,) = session.ledger.orders(OrderStatus.REJECTED)
    assert saved.reject_reason.startswith("max_position_weight: AAA would be 0.300 of equity")


# --- ids, snapshots, runs ---------------------------------------------------------------------


def test_client_order_id_is_deterministic_per_account_symbol_and_bar() -> None:
    moment = datetime(2024, 3, 5, 15, 30, 12, tzinfo=UTC)
    assert client_order_id("acct", "AAA", moment) == "acct-AAA-20240305T153012"
    assert client_order_id("acct", "AAA", moment) == client_order_id("acct", "AAA", moment)
    assert client_order_id("acct", "BBB", moment) != client_order_id("acct", "AAA", moment)
    assert client_order_id("other", "AAA", moment) != client_order_id("acct", "AAA", moment)


def replay_of(fakes: ModuleType, closes: Mapping[int, Mapping[str, float]]) -> object:
    return fakes.ListBarReplay(
        [(day(d), bars_at(fakes, day(d), **prices)) for d, prices in sorted(closes.items())]
    )


CLOSES = {
    2: {"AAA": 50.0, "BBB": 20.0},
    3: {"AAA": 51.0, "BBB": 19.5},
    4: {"AAA": 52.0, "BBB": 20.5},
}
SIGNALS = {
    day(2): [signal("AAA", day(2), 0.1), signal("BBB", day(2), -0.05)],
    day(3): [signal("AAA", day(3), 0.05), signal("BBB", day(3), -0.05)],
}


def test_a_rerun_over_the_same_bars_sends_no_order_twice(fakes: ModuleType) -> None:
    ledger = fakes.FakeLedger()
    first = make_session(
        fakes, SIGNALS, ledger=ledger, broker=fakes.FakeBroker(ledger, fill_at_open=True)
    )
    first.run(replay_of(fakes, CLOSES))
    orders_after_first = {o.client_order_id: o for o in ledger.orders()}
    fills_after_first = ledger.fills()

    second = make_session(
        fakes, SIGNALS, ledger=ledger, broker=fakes.FakeBroker(ledger, fill_at_open=True)
    )
    second.run(replay_of(fakes, CLOSES))

    assert sorted(orders_after_first) == [
        "paper-1-AAA-20240102T000000",
        "paper-1-AAA-20240103T000000",
        "paper-1-BBB-20240102T000000",
        "paper-1-BBB-20240103T000000",
    ]
    # Every decision already has its order in the ledger: the rerun sends nothing again.
    assert second.broker.submitted == []
    assert {o.client_order_id: o for o in ledger.orders()} == orders_after_first
    assert ledger.fills() == fills_after_first


def test_a_portfolio_snapshot_is_saved_every_bar(fakes: ModuleType) -> None:
    ledger = fakes.FakeLedger()
    session = make_session(
        fakes, SIGNALS, ledger=ledger, broker=fakes.FakeBroker(ledger, fill_at_open=True)
    )

    session.run(replay_of(fakes, CLOSES))

    history = ledger.portfolio_history
    assert [(account, moment) for account, _, moment in history] == [
        (ACCOUNT, day(2)),
        (ACCOUNT, day(3)),
        (ACCOUNT, day(4)),
    ]
    # Day 2 decides; day 3's open fills 200 AAA @ 50.49 and short 250 BBB @ 19.305.
    assert history[0][1].cash == CASH
    assert history[1][1].quantity("AAA") == Decimal(200)
    assert history[1][1].quantity("BBB") == Decimal(-250)
    assert history[1][1].cash == CASH - 200 * Decimal("50.49") + 250 * Decimal("19.305")
    assert ledger.load_portfolio(ACCOUNT) == session.portfolio


def test_run_summarizes_the_session_and_reports_progress(fakes: ModuleType) -> None:
    ledger = fakes.FakeLedger()
    session = make_session(
        fakes, SIGNALS, ledger=ledger, broker=fakes.FakeBroker(ledger, fill_at_open=True)
    )
    progress: list[int] = []

    summary = session.run(replay_of(fakes, CLOSES), on_bar=progress.append)

    assert progress == [1, 2, 3]
    assert summary.account == ACCOUNT
    assert summary.bars_processed == 3
    # Day 3: equity 100 000 - 10 098 + 4 826.25 + 200 × 51 - 250 × 19.5 = 100 053.25;
    # AAA 5 % → trunc(98.09) = 98 shares (sell 102), BBB -5 % → trunc(-256.55) = -256 (sell 6).
    assert summary.orders_submitted == 4
    assert summary.fills == 4
    assert summary.open_orders == 0
    assert summary.marks == {"AAA": Decimal("52.0"), "BBB": Decimal("20.5")}
    assert summary.portfolio.quantity("AAA") == Decimal(98)
    assert summary.portfolio.quantity("BBB") == Decimal(-256)
    # Day 4's open: sell 102 AAA @ 51.48 and 6 BBB @ 20.295.
    assert summary.portfolio.cash == Decimal("100100.98")
    assert summary.final_equity == Decimal("100100.98") + 98 * Decimal(52) - 256 * Decimal("20.5")


def test_the_broker_sees_each_bar_before_the_signals_of_that_bar(fakes: ModuleType) -> None:
    ledger = fakes.FakeLedger()
    broker = fakes.FakeBroker(ledger, fill_at_open=True)
    session = make_session(fakes, SIGNALS, ledger=ledger, broker=broker)

    session.run(replay_of(fakes, CLOSES))

    # Orders decided on day 2 fill at day 3's open, never at day 2's own prices.
    assert {fill.timestamp for fill in ledger.fills()} == {day(3), day(4)}
    assert [sorted(bars) for bars in broker.market_data] == [["AAA", "BBB"]] * 3


def test_an_empty_feed_raises_execution_error(fakes: ModuleType) -> None:
    session = make_session(fakes, SIGNALS)
    with pytest.raises(ExecutionError, match="account paper-1: the bar feed is empty"):
        session.run(fakes.ListBarReplay([]))


# --- property: the portfolio is what the ledger's fills say -----------------------------------

price = st.decimals(min_value=Decimal(5), max_value=Decimal(200), places=2)
weight = st.floats(min_value=-0.2, max_value=0.2, allow_nan=False)
has_signal = st.sampled_from([True, True, True, False])


@st.composite
def trading_days(draw: st.DrawFn) -> list[dict[str, tuple[Decimal, Decimal, float | None]]]:
    """Per day and symbol: open, close and the target weight decided at the close (or none)."""
    n_days = draw(st.integers(2, 8))
    return [
        {
            symbol: (draw(price), draw(price), draw(weight) if draw(has_signal) else None)
            for symbol in ("AAA", "BBB")
        }
        for _ in range(n_days)
    ]


@settings(deadline=None, max_examples=60)
@given(days=trading_days(), commission=st.decimals(min_value=0, max_value=5, places=2))
def test_final_cash_and_positions_equal_what_the_ledger_fills_say(
    fakes: ModuleType,
    days: list[dict[str, tuple[Decimal, Decimal, float | None]]],
    commission: Decimal,
) -> None:
    slices = []
    signals: dict[datetime, list[Signal]] = {}
    for number, row in enumerate(days, start=1):
        moment = day(number)
        bars = {}
        for symbol, (open_, close, target) in row.items():
            high, low = max(open_, close), min(open_, close)
            bars[symbol] = Bar(
                symbol, moment, float(open_), float(high), float(low), float(close), 1e4
            )
            if target is not None:
                signals.setdefault(moment, []).append(signal(symbol, moment, target))
        slices.append((moment, bars))
    ledger = fakes.FakeLedger()
    broker = fakes.FakeBroker(ledger, fill_at_open=True, commission_per_fill=commission)
    session = make_session(fakes, signals, ledger=ledger, broker=broker)

    summary = session.run(fakes.ListBarReplay(slices))

    fills = ledger.fills()
    cash = CASH + sum((fill.cash_flow for fill in fills), Decimal(0))
    held: dict[str, Decimal] = {}
    for fill in fills:
        held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + fill.signed_quantity
    assert session.portfolio.cash == cash
    for symbol in ("AAA", "BBB"):
        assert session.portfolio.quantity(symbol) == held.get(symbol, Decimal(0))
    assert session.portfolio.total_commission == commission * len(fills)
    assert ledger.load_portfolio(ACCOUNT) == session.portfolio
    assert summary.fills == len(fills)
    for order in ledger.orders():
        filled = sum(
            (f.quantity for f in fills if f.client_order_id == order.client_order_id), Decimal(0)
        )
        assert order.filled_quantity == filled
        if filled:
            assert order.status is OrderStatus.FILLED
    expected_equity = cash + sum(
        (quantity * Decimal(repr(float(days[-1][s][1]))) for s, quantity in held.items()),
        Decimal(0),
    )
    assert summary.final_equity == expected_equity


def test_seeding_from_history_gives_marks_and_sizing_history_but_no_trading_state(
    fakes: ModuleType,
) -> None:
    session = make_session(fakes, {})
    session.sizer = SignalSizer(SizingPolicy(method=SizingMethod.VOLATILITY_TARGET))
    history = replay_of(fakes, {1: {"AAA": 50.0}, 2: {"AAA": 51.0}, 3: {"AAA": 49.5}})

    session.seed(history)

    assert session.marks == {"AAA": Decimal("49.5")}
    returns = [51.0 / 50.0 - 1, 49.5 / 51.0 - 1]
    expected = statistics.stdev(returns) * math.sqrt(252)
    assert session.sizer.annualized_volatility("AAA") == pytest.approx(expected, rel=1e-12)
    summary = session.summary()
    assert (summary.bars_processed, summary.bars_skipped, summary.orders_submitted) == (0, 0, 0)
    assert session.ledger.portfolio_history == []
