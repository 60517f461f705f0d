"""Amending a working order in place, cancel reasons, and the replace request record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantcli.domain.errors import ExecutionError, IllegalOrderTransition
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order, OrderAmendment, ReplaceMethod
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def limit_order(**overrides: object) -> Order:
    fields: dict[str, object] = {
        "client_order_id": "O-1",
        "symbol": "AAPL",
        "side": OrderSide.BUY,
        "quantity": Decimal(100),
        "created_at": T0,
        "order_type": OrderType.LIMIT,
        "limit_price": Decimal("50.00"),
    }
    fields.update(overrides)
    return Order(**fields)  # type: ignore[arg-type]


def fill(quantity: int) -> Fill:
    return Fill(
        "O-1-F1", "O-1", "AAPL", OrderSide.BUY, Decimal(quantity), Decimal(50), Decimal(0), T1
    )


def test_amend_changes_quantity_and_price_and_keeps_the_status() -> None:
    order = limit_order()
    order.submit(T0)

    order.amend(T1, quantity=Decimal(150), limit_price=Decimal("49.50"))

    assert (order.quantity, order.limit_price) == (Decimal(150), Decimal("49.50"))
    assert order.status is OrderStatus.SUBMITTED
    assert order.updated_at == T1


def test_amend_of_a_partly_filled_order_keeps_its_fills() -> None:
    order = limit_order()
    order.submit(T0)
    order.apply_fill(fill(40))

    order.amend(T1, quantity=Decimal(60))

    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.remaining_quantity == Decimal(20)


def test_amend_to_no_more_than_the_filled_quantity_is_refused() -> None:
    order = limit_order()
    order.submit(T0)
    order.apply_fill(fill(40))

    with pytest.raises(ExecutionError, match="new quantity 40 must exceed the 40 already filled"):
        order.amend(T1, quantity=Decimal(40))
    assert order.quantity == Decimal(100)


def test_amend_with_a_price_the_type_does_not_take_is_refused_and_changes_nothing() -> None:
    order = limit_order()

    with pytest.raises(ExecutionError, match="LIMIT takes no stop_price"):
        order.amend(T1, quantity=Decimal(10), stop_price=Decimal(48))
    assert (order.quantity, order.stop_price) == (Decimal(100), None)


@pytest.mark.parametrize(
    "status", [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED]
)
def test_a_finished_order_cannot_be_amended(status: OrderStatus) -> None:
    order = limit_order(status=status)
    with pytest.raises(IllegalOrderTransition, match=f"cannot amend a {status.value} order"):
        order.amend(T1, quantity=Decimal(200))


def test_cancel_records_its_reason() -> None:
    order = limit_order()
    order.submit(T0)
    order.cancel(T1, "kill switch tripped")
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "kill switch tripped")


def test_a_replacement_links_to_the_order_it_replaces_and_its_account() -> None:
    order = limit_order(client_order_id="O-1-R1", replaces="O-1", account="paper")
    assert (order.replaces, order.account) == ("O-1", "paper")


def test_amendment_record_keeps_method_and_replacement() -> None:
    record = OrderAmendment(
        "O-1", 1, ReplaceMethod.CANCEL_REPLACE, T1, Decimal(150), None, None, "O-1-R1"
    )
    assert record.method is ReplaceMethod.CANCEL_REPLACE
    assert record.replacement_id == "O-1-R1"
