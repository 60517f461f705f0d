"""ExecutionEngine with FakeBroker and FakeLedger: place, refuse, cancel, replace, partial fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.ports import OrderAmended
from quantcli.domain.errors import ExecutionError
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order, ReplaceMethod
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

ACCOUNT = "acct"
T0 = datetime(2024, 1, 2, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)


def limit_order(client_order_id: str = "acct-AAA-1", quantity: int = 100, **extra: Any) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol="AAA",
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        created_at=T0,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        limit_price=Decimal("50"),
        **extra,
    )


def engine_with(fakes: ModuleType, broker: Any = None) -> ExecutionEngine:
    ledger = fakes.FakeLedger()
    return ExecutionEngine(
        account=ACCOUNT,
        broker=broker if broker is not None else fakes.FakeBroker(ledger),
        ledger=ledger,
        portfolio=Portfolio(cash=Decimal(100_000)),
    )


def statuses(engine: ExecutionEngine) -> dict[str, OrderStatus]:
    return {o.client_order_id: o.status for o in engine.ledger.orders()}


# --- placing ----------------------------------------------------------------------------------


def test_an_order_is_saved_new_before_the_broker_sees_it_then_submitted(fakes: ModuleType) -> None:
    engine = engine_with(fakes)

    order = engine.place(limit_order(), T0)

    assert engine.broker.ledger_status_at_submit == {"acct-AAA-1": OrderStatus.NEW}
    assert engine.ledger.order_history == [
        ("acct-AAA-1", OrderStatus.NEW),
        ("acct-AAA-1", OrderStatus.SUBMITTED),
    ]
    assert (order.status, order.broker_order_id, order.account) == (
        OrderStatus.SUBMITTED,
        "BRK-1",
        ACCOUNT,
    )


def test_a_client_order_id_is_never_used_twice(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)

    with pytest.raises(ExecutionError, match="client order id already used"):
        engine.place(limit_order(), T0)
    assert len(engine.broker.submitted) == 1


def test_an_order_of_another_account_is_refused(fakes: ModuleType) -> None:
    with pytest.raises(ExecutionError, match="belongs to account other, not acct"):
        engine_with(fakes).place(limit_order(account="other"), T0)


def test_a_broker_refusal_rejects_the_order_with_the_brokers_words(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.broker.refuse.add("acct-AAA-1")

    order = engine.place(limit_order(), T0)

    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == "broker refused the order: FakeBroker: refused order acct-AAA-1"
    assert statuses(engine) == {"acct-AAA-1": OrderStatus.REJECTED}


def test_a_blocked_engine_refuses_new_orders_but_not_risk_reducing_ones(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.blocked_reason = "kill switch tripped: halt"

    with pytest.raises(ExecutionError, match=r"new orders are blocked \(kill switch tripped: halt"):
        engine.place(limit_order(), T0)
    assert engine.ledger.orders() == []
    engine.place(limit_order("acct-AAA-FLAT"), T0, risk_reducing=True)
    assert statuses(engine) == {"acct-AAA-FLAT": OrderStatus.SUBMITTED}


def test_a_risk_rejection_is_saved_without_reaching_the_broker(fakes: ModuleType) -> None:
    engine = engine_with(fakes)

    engine.record_rejection(limit_order(), "max_order_quantity: too big", T0)

    assert engine.broker.submitted == []
    (saved,) = engine.ledger.orders()
    assert (saved.status, saved.reject_reason) == (
        OrderStatus.REJECTED,
        "max_order_quantity: too big",
    )


# --- fills ------------------------------------------------------------------------------------


def test_partial_fills_move_the_order_through_partially_filled_to_filled(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)

    engine.broker.fill("acct-AAA-1", 40, "50", T1)
    first = engine.process_broker_events()
    assert statuses(engine) == {"acct-AAA-1": OrderStatus.PARTIALLY_FILLED}
    engine.broker.fill("acct-AAA-1", 60, "49.5", T1)
    second = engine.process_broker_events()

    assert [len(first.fills), len(second.fills)] == [1, 1]
    order = engine.order("acct-AAA-1")
    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, Decimal(100))
    assert order.average_fill_price == Decimal("49.7")
    assert engine.portfolio.quantity("AAA") == Decimal(100)
    assert engine.portfolio.cash == Decimal(100_000) - 40 * Decimal(50) - 60 * Decimal("49.5")


def test_a_partly_filled_order_cancelled_keeps_its_fills(fakes: ModuleType) -> None:
    engine = engine_with(fakes, fakes.FakeBroker(confirm_cancels=True))
    engine.place(limit_order(), T0)
    engine.broker.fill("acct-AAA-1", 40, "50", T1)
    engine.process_broker_events()

    engine.cancel("acct-AAA-1", T1, "no longer wanted")
    engine.process_broker_events()

    order = engine.order("acct-AAA-1")
    assert (order.status, order.filled_quantity, order.cancel_reason) == (
        OrderStatus.CANCELLED,
        Decimal(40),
        "no longer wanted",
    )
    assert engine.working_quantity("AAA") == 0
    assert engine.portfolio.quantity("AAA") == Decimal(40)


def test_a_failed_ledger_write_leaves_order_and_portfolio_untouched(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    engine.broker.fill("acct-AAA-1", 40, "50", T1)
    engine.ledger.fail_on = "save_order"

    with pytest.raises(OSError, match="injected failure"):
        engine.process_broker_events()

    assert engine.order("acct-AAA-1").status is OrderStatus.SUBMITTED
    assert engine.portfolio.quantity("AAA") == 0
    assert engine.ledger.fills() == []


def test_a_broker_rejection_is_reported(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    engine.broker.reject("acct-AAA-1", T1, "no shares to borrow")

    applied = engine.process_broker_events()

    assert [o.client_order_id for o in applied.rejected] == ["acct-AAA-1"]
    assert engine.order("acct-AAA-1").reject_reason == "no shares to borrow"


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_asks_the_broker_once_and_waits_for_its_confirmation(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)

    engine.cancel("acct-AAA-1", T1, "kill switch")
    engine.cancel("acct-AAA-1", T1, "kill switch")

    assert engine.broker.cancel_requests == ["acct-AAA-1"]
    assert engine.order("acct-AAA-1").status is OrderStatus.SUBMITTED
    engine.broker.cancel("acct-AAA-1", T1, "cancelled by request")
    engine.process_broker_events()
    assert engine.order("acct-AAA-1").cancel_reason == "kill switch"


def test_an_order_that_never_left_is_cancelled_at_once(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    order = limit_order()
    engine.orders[order.client_order_id] = order  # saved NEW, never sent (a crash in between)

    engine.cancel(order.client_order_id, T1, "stale")

    assert engine.broker.cancel_requests == []
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "stale")


def test_cancel_all_spares_what_keep_selects(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order("acct-AAA-1"), T0)
    engine.place(limit_order("acct-AAA-2-FLAT"), T0)

    asked = engine.cancel_all(T1, "halt", keep=lambda o: o.client_order_id.endswith("FLAT"))

    assert asked == ["acct-AAA-1"]


@pytest.mark.parametrize("client_order_id", ["ghost", "acct-AAA-1"])
def test_cancel_of_an_unknown_or_finished_order_raises(
    fakes: ModuleType, client_order_id: str
) -> None:
    engine = engine_with(fakes)
    engine.record_rejection(limit_order(), "no", T0)
    with pytest.raises(ExecutionError):
        engine.cancel(client_order_id, T1)


# --- replace: cancel then new -----------------------------------------------------------------


def test_replace_saves_a_linked_new_order_and_sends_it_once_the_cancel_is_confirmed(
    fakes: ModuleType,
) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)

    new_id = engine.replace("acct-AAA-1", T1, quantity=Decimal(150), limit_price=Decimal(51))

    assert new_id == "acct-AAA-1-R1"
    replacement = engine.ledger.order(new_id)
    assert (replacement.status, replacement.replaces, replacement.limit_price) == (
        OrderStatus.NEW,
        "acct-AAA-1",
        Decimal(51),
    )
    (amendment,) = engine.ledger.amendments("acct-AAA-1")
    assert (amendment.method, amendment.quantity, amendment.replacement_id) == (
        ReplaceMethod.CANCEL_REPLACE,
        Decimal(150),
        new_id,
    )
    assert engine.broker.cancel_requests == ["acct-AAA-1"]
    # Until the cancel is confirmed only the old order's remainder counts as working.
    assert engine.working_quantity("AAA") == Decimal(100)
    assert [o.client_order_id for o in engine.broker.submitted] == ["acct-AAA-1"]

    engine.broker.cancel("acct-AAA-1", T1, "cancelled by request")
    engine.process_broker_events()

    assert statuses(engine) == {"acct-AAA-1": OrderStatus.CANCELLED, new_id: OrderStatus.SUBMITTED}
    assert engine.ledger.order("acct-AAA-1").cancel_reason == f"replaced by {new_id}"
    assert engine.broker.submitted[-1].quantity == Decimal(150)
    assert engine.working_quantity("AAA") == Decimal(150)


def test_a_fill_racing_the_cancel_shrinks_the_replacement(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    new_id = engine.replace("acct-AAA-1", T1, quantity=Decimal(150))
    engine.broker.fill("acct-AAA-1", 30, "50", T1)
    engine.broker.cancel("acct-AAA-1", T1, "cancelled by request")

    engine.process_broker_events()

    sent = engine.broker.submitted[-1]
    assert (sent.client_order_id, sent.quantity) == (new_id, Decimal(120))
    assert engine.portfolio.quantity("AAA") + engine.working_quantity("AAA") == Decimal(150)


def test_a_replacement_is_dropped_when_the_old_order_fills_first(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    new_id = engine.replace("acct-AAA-1", T1, quantity=Decimal(150))
    engine.broker.fill("acct-AAA-1", 100, "50", T1)

    engine.process_broker_events()

    replacement = engine.ledger.order(new_id)
    assert replacement.status is OrderStatus.CANCELLED
    assert "ended FILLED before the cancel" in replacement.cancel_reason
    assert len(engine.broker.submitted) == 1


def test_replacing_the_replacement_numbers_from_the_first_order(fakes: ModuleType) -> None:
    engine = engine_with(fakes, fakes.FakeBroker(confirm_cancels=True))
    engine.place(limit_order(), T0)
    first = engine.replace("acct-AAA-1", T1, quantity=Decimal(120))
    engine.process_broker_events()

    second = engine.replace(first, T2, limit_price=Decimal(49))

    assert (first, second) == ("acct-AAA-1-R1", "acct-AAA-1-R2")


def test_replace_refuses_a_quantity_already_filled_and_a_second_pending_replace(
    fakes: ModuleType,
) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    engine.broker.fill("acct-AAA-1", 60, "50", T1)
    engine.process_broker_events()

    with pytest.raises(ExecutionError, match="must exceed the 60 already filled"):
        engine.replace("acct-AAA-1", T1, quantity=Decimal(60))
    engine.replace("acct-AAA-1", T1, quantity=Decimal(90))
    with pytest.raises(ExecutionError, match="a replace is already pending"):
        engine.replace("acct-AAA-1", T1, quantity=Decimal(80))


def test_cancelling_an_order_drops_its_pending_replacement(fakes: ModuleType) -> None:
    engine = engine_with(fakes)
    engine.place(limit_order(), T0)
    new_id = engine.replace("acct-AAA-1", T1, quantity=Decimal(150))

    engine.cancel(new_id, T1, "changed my mind")

    assert engine.ledger.order(new_id).status is OrderStatus.CANCELLED


# --- replace: modify in place ----------------------------------------------------------------


class ModifyingBroker:
    """FakeBroker plus a modify the broker confirms with an OrderAmended event."""

    supports_modify = True

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        self.inner.push(OrderAmended(client_order_id, T1, quantity, limit_price, stop_price))


def test_replace_modifies_in_place_when_the_broker_can(fakes: ModuleType) -> None:
    engine = engine_with(fakes, ModifyingBroker(fakes.FakeBroker()))
    engine.place(limit_order(), T0)

    same = engine.replace("acct-AAA-1", T1, quantity=Decimal(80), limit_price=Decimal("50.5"))
    engine.process_broker_events()

    assert same == "acct-AAA-1"
    order = engine.ledger.order("acct-AAA-1")
    assert (order.quantity, order.limit_price, order.status) == (
        Decimal(80),
        Decimal("50.5"),
        OrderStatus.SUBMITTED,
    )
    (amendment,) = engine.ledger.amendments()
    assert (amendment.method, amendment.sequence) == (ReplaceMethod.MODIFY, 1)
    assert engine.broker.cancel_requests == []


def test_a_modify_the_order_itself_refuses_never_reaches_the_broker(fakes: ModuleType) -> None:
    engine = engine_with(fakes, ModifyingBroker(fakes.FakeBroker()))
    engine.place(limit_order(), T0)

    with pytest.raises(ExecutionError, match="LIMIT takes no stop_price"):
        engine.replace("acct-AAA-1", T1, stop_price=Decimal(40))
    assert engine.broker.drain_events() == []
    assert engine.ledger.amendments() == []


# --- whole shares -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", [ReplaceMethod.MODIFY, ReplaceMethod.CANCEL_REPLACE])
def test_a_replace_to_a_fraction_of_a_share_is_refused_naming_order_and_quantity(
    fakes: ModuleType, method: ReplaceMethod
) -> None:
    engine = engine_with(fakes, ModifyingBroker(fakes.FakeBroker()))
    engine.place(limit_order(), T0)

    with pytest.raises(
        ExecutionError,
        match=r"order acct-AAA-1: quantity 10\.5 is not a whole number of shares; "
        "AAA trades whole shares only",
    ):
        engine.replace("acct-AAA-1", T1, quantity=Decimal("10.5"), method=method)
    assert engine.broker.drain_events() == []
    assert engine.broker.cancel_requests == []
    assert engine.ledger.amendments() == []
    assert [o.client_order_id for o in engine.ledger.orders()] == ["acct-AAA-1"]
    assert engine.order("acct-AAA-1").quantity == Decimal(100)


def test_an_order_for_a_fraction_of_a_share_is_refused_before_it_is_saved(
    fakes: ModuleType,
) -> None:
    engine = engine_with(fakes)
    order = limit_order()
    order.quantity = Decimal("0.25")

    with pytest.raises(ExecutionError, match=r"quantity 0\.25 is not a whole number of shares"):
        engine.place(order, T0)
    assert engine.ledger.orders() == []
    assert engine.broker.submitted == []


def test_an_instrument_that_allows_fractions_takes_a_fractional_quantity(
    fakes: ModuleType,
) -> None:
    engine = engine_with(fakes, ModifyingBroker(fakes.FakeBroker()))
    engine.instruments = {"AAA": Instrument("AAA", fractional=True)}
    engine.place(limit_order(), T0)

    engine.replace("acct-AAA-1", T1, quantity=Decimal("10.5"))
    engine.process_broker_events()

    assert engine.ledger.order("acct-AAA-1").quantity == Decimal("10.5")
