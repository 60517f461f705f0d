"""Recovery after a crash: every open ledger order is looked up at the broker before a resend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import (
    PositionBreak,
    rebuild_portfolio,
    reconcile_positions,
    recover_orders,
    restore_account,
)
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderSide, OrderStatus

ACCOUNT = "acct"
CASH = Decimal(100_000)
T0 = datetime(2024, 1, 2, tzinfo=UTC)
T1 = T0 + timedelta(days=1)


def market(client_order_id: str = "acct-AAA-1", at: datetime = T1, quantity: int = 100) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol="AAA",
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        created_at=at,
        account=ACCOUNT,
    )


def fresh_engine(fakes: ModuleType, ledger: Any, broker: Any) -> ExecutionEngine:
    """What a restarted process builds: the account from its ledger, nothing else."""
    restored = restore_account(ledger, ACCOUNT, CASH)
    return ExecutionEngine(ACCOUNT, broker, ledger, restored.portfolio, restored.open_orders)


def setup(fakes: ModuleType) -> tuple[Any, Any]:
    ledger = fakes.FakeLedger()
    return ledger, fakes.FakeBroker(ledger)


def test_an_order_saved_but_never_sent_is_resent_once_after_the_broker_denies_knowing_it(
    fakes: ModuleType,
) -> None:
    ledger, broker = setup(fakes)
    ledger.save_order(market())  # crash between the ledger write and the submit

    engine = fresh_engine(fakes, ledger, broker)
    report = recover_orders(engine, resume_from=T0)

    assert report.resubmitted == ("acct-AAA-1",)
    assert [o.client_order_id for o in broker.submitted] == ["acct-AAA-1"]
    assert ledger.order("acct-AAA-1").status is OrderStatus.SUBMITTED


def test_an_order_the_broker_already_has_is_adopted_not_resent(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    order = market()
    ledger.save_order(order)
    broker.submit_order(order)  # crash after the submit, before the ledger heard back

    engine = fresh_engine(fakes, ledger, broker)
    report = recover_orders(engine, resume_from=T0)

    assert report.adopted == ("acct-AAA-1",)
    assert report.resubmitted == ()
    assert len(broker.submitted) == 1
    saved = ledger.order("acct-AAA-1")
    assert (saved.status, saved.broker_order_id) == (OrderStatus.SUBMITTED, "BRK-1")


def test_a_stale_unsent_order_is_cancelled_not_resent(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    ledger.save_order(market(at=T0))

    report = recover_orders(fresh_engine(fakes, ledger, broker), resume_from=T1)

    assert report.abandoned == ("acct-AAA-1",)
    assert broker.submitted == []
    saved = ledger.order("acct-AAA-1")
    assert saved.status is OrderStatus.CANCELLED
    assert saved.cancel_reason == "never reached the broker; not resubmitted on recovery (stale)"


def test_with_resubmission_off_or_trading_blocked_nothing_is_resent(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    ledger.save_order(market("acct-AAA-1"))
    recover_orders(fresh_engine(fakes, ledger, broker), resume_from=T0, resubmit=False)
    ledger.save_order(market("acct-AAA-2"))
    engine = fresh_engine(fakes, ledger, broker)
    engine.blocked_reason = "kill switch tripped: halt"

    report = recover_orders(engine, resume_from=T0)

    assert broker.submitted == []
    assert report.abandoned == ("acct-AAA-2",)
    assert "kill switch tripped: halt" in ledger.order("acct-AAA-2").cancel_reason


def test_fills_the_ledger_missed_are_booked_from_the_broker(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    first = ExecutionEngine(ACCOUNT, broker, ledger, Portfolio(cash=CASH))
    first.place(market(quantity=100), T1)
    broker.fill("acct-AAA-1", 40, "50", T1)
    first.process_broker_events()
    broker.fill("acct-AAA-1", 60, "51", T1)  # crash before this one reached the ledger

    engine = fresh_engine(fakes, ledger, broker)
    assert engine.portfolio.quantity("AAA") == Decimal(40)
    report = recover_orders(engine, resume_from=T1)

    assert report.fills_recovered == 1
    assert report.closed == ("acct-AAA-1",)
    assert ledger.order("acct-AAA-1").status is OrderStatus.FILLED
    assert engine.portfolio.quantity("AAA") == Decimal(100)
    assert rebuild_portfolio(ledger, ACCOUNT, CASH) == engine.portfolio
    assert reconcile_positions(engine.portfolio, broker.positions(ACCOUNT)) == []


def test_an_order_cancelled_at_the_broker_meanwhile_is_closed(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    ExecutionEngine(ACCOUNT, broker, ledger, Portfolio(cash=CASH)).place(market(), T1)
    broker.cancel("acct-AAA-1", T1, "DAY order expired unfilled")

    report = recover_orders(fresh_engine(fakes, ledger, broker), resume_from=T1)

    assert report.closed == ("acct-AAA-1",)
    saved = ledger.order("acct-AAA-1")
    assert (saved.status, saved.cancel_reason) == (
        OrderStatus.CANCELLED,
        "DAY order expired unfilled",
    )


def test_an_acknowledged_order_the_broker_lost_is_rejected(fakes: ModuleType) -> None:
    ledger, broker = setup(fakes)
    order = market()
    order.submit(T1, "BRK-9")
    ledger.save_order(order)

    report = recover_orders(fresh_engine(fakes, ledger, broker), resume_from=T1)

    assert report.missing_at_broker == ("acct-AAA-1",)
    saved = ledger.order("acct-AAA-1")
    assert (saved.status, saved.reject_reason) == (
        OrderStatus.REJECTED,
        "not found at the broker on recovery",
    )


def test_a_pending_replacement_is_sent_once_its_predecessor_is_cancelled(
    fakes: ModuleType,
) -> None:
    ledger, broker = setup(fakes)
    first = ExecutionEngine(ACCOUNT, broker, ledger, Portfolio(cash=CASH))
    first.place(market(), T1)
    new_id = first.replace("acct-AAA-1", T1, quantity=Decimal(150))
    broker.cancel("acct-AAA-1", T1, "cancelled by request")  # crash before the event is read

    engine = fresh_engine(fakes, ledger, broker)
    recover_orders(engine, resume_from=T1)

    assert ledger.order("acct-AAA-1").status is OrderStatus.CANCELLED
    assert ledger.order(new_id).status is OrderStatus.SUBMITTED
    assert [o.client_order_id for o in broker.submitted] == ["acct-AAA-1", new_id]


def test_position_breaks_name_symbol_and_both_quantities() -> None:
    portfolio = Portfolio(cash=CASH)
    assert reconcile_positions(portfolio, {"AAA": Decimal(5)}) == [
        PositionBreak("AAA", Decimal(0), Decimal(5))
    ]
