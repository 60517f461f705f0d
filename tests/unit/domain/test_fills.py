"""Fills: validation, signed quantity and cash flow."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantcli.domain.errors import DataError, ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def make_fill(**overrides: object) -> Fill:
    fields: dict[str, object] = {
        "fill_id": "O-1-F1",
        "client_order_id": "O-1",
        "symbol": "AAPL",
        "side": OrderSide.BUY,
        "quantity": Decimal(100),
        "price": Decimal("187.25"),
        "commission": Decimal("1.00"),
        "timestamp": T0,
    }
    fields.update(overrides)
    return Fill(**fields)  # type: ignore[arg-type]


def test_buy_fill_pays_notional_plus_commission() -> None:
    fill = make_fill()
    assert fill.signed_quantity == 100
    assert fill.cash_flow == Decimal("-18726.00")


def test_sell_fill_receives_notional_less_commission() -> None:
    fill = make_fill(side=OrderSide.SELL)
    assert fill.signed_quantity == -100
    assert fill.cash_flow == Decimal("18724.00")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", Decimal(0), "quantity 0 is not positive"),
        ("quantity", Decimal(-1), "quantity -1 is not positive"),
        ("price", Decimal(0), "price 0 is not positive"),
        ("commission", Decimal("-0.01"), "commission -0.01 is negative"),
    ],
)
def test_invalid_amounts_are_rejected_naming_the_fill(
    field: str, value: Decimal, message: str
) -> None:
    with pytest.raises(ExecutionError, match=f"fill O-1-F1: {message}"):
        make_fill(**{field: value})


def test_zero_commission_is_allowed() -> None:
    assert make_fill(commission=Decimal(0)).cash_flow == Decimal("-18725.00")


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(DataError, match="fill O-1-F1"):
        make_fill(timestamp=datetime(2024, 1, 2, 14, 30))


def test_fill_is_immutable() -> None:
    fill = make_fill()
    with pytest.raises(AttributeError):
        fill.price = Decimal(1)  # type: ignore[misc]
