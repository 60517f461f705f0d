"""Trading vocabulary: sides, statuses and exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderSide, OrderStatus, to_decimal


def test_side_sign_is_the_direction_of_the_position_change() -> None:
    assert OrderSide.BUY.sign == 1
    assert OrderSide.SELL.sign == -1


@pytest.mark.parametrize(
    ("delta", "side"),
    [(Decimal(5), OrderSide.BUY), (Decimal("0.1"), OrderSide.BUY), (Decimal(-3), OrderSide.SELL)],
)
def test_side_for_a_quantity_change_follows_its_sign(delta: Decimal, side: OrderSide) -> None:
    assert OrderSide.for_quantity_change(delta) is side


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (OrderStatus.NEW, False),
        (OrderStatus.SUBMITTED, False),
        (OrderStatus.PARTIALLY_FILLED, False),
        (OrderStatus.FILLED, True),
        (OrderStatus.CANCELLED, True),
        (OrderStatus.REJECTED, True),
    ],
)
def test_filled_cancelled_and_rejected_are_the_terminal_statuses(
    status: OrderStatus, terminal: bool
) -> None:
    assert status.is_terminal is terminal
    assert status.is_open is not terminal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Decimal("0.1")),
        (187.23, Decimal("187.23")),
        (1e-7, Decimal("1E-7")),
        (42, Decimal(42)),
        ("12.345", Decimal("12.345")),
        (Decimal("3.50"), Decimal("3.50")),
    ],
)
def test_to_decimal_is_exact_for_each_input_type(
    value: float | int | str | Decimal, expected: Decimal
) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected


def test_to_decimal_takes_a_float_through_its_shortest_repr_not_its_binary_value() -> None:
    binary_value = Decimal.from_float(0.1)
    assert binary_value != Decimal("0.1")
    assert to_decimal(0.1) == Decimal("0.1")
    assert str(to_decimal(0.1)) == "0.1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "price: expected a number, got a boolean"),
        ("abc", "price: 'abc' is not a number"),
        (float("nan"), "price: nan is not a finite number"),
        (float("inf"), "price: inf is not a finite number"),
        ("NaN", "price: 'NaN' is not a finite number"),
        (Decimal("-Infinity"), "is not a finite number"),
    ],
)
def test_to_decimal_rejects_non_numbers_naming_the_input(
    value: float | str | Decimal, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        to_decimal(value, "price")
