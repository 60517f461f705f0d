"""Ledger rows ↔ domain records: orders, fills and replace requests, exact to the last digit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from quantcli.adapters.storage.sqlite_codecs import (
    datetime_to_ns,
    decimal_to_text,
    ns_to_datetime,
    optional_datetime,
    optional_decimal,
    optional_ns,
    optional_text,
    text_to_decimal,
)
from quantcli.adapters.storage.sqlite_database import Row
from quantcli.domain.errors import QuantCLIError, StorageError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order, OrderAmendment, ReplaceMethod
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

ORDER_COLUMNS = (
    "client_order_id",
    "symbol",
    "side",
    "quantity",
    "created_at",
    "order_type",
    "time_in_force",
    "limit_price",
    "stop_price",
    "status",
    "filled_quantity",
    "average_fill_price",
    "filled_notional",
    "broker_order_id",
    "reject_reason",
    "updated_at",
    "account",
    "replaces",
    "cancel_reason",
)
FILL_COLUMNS = (
    "fill_id",
    "client_order_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "commission",
    "ts",
)
AMENDMENT_COLUMNS = (
    "client_order_id",
    "sequence",
    "method",
    "requested_at",
    "quantity",
    "limit_price",
    "stop_price",
    "replacement_id",
)

_T = TypeVar("_T")


def rebuild(what: str, build: Callable[[], _T]) -> _T:
    """Run `build`; a stored row the domain refuses is reported as corrupt storage."""
    try:
        return build()
    except StorageError:
        raise
    except (ValueError, QuantCLIError) as exc:
        raise StorageError(f"{what}: stored row is invalid ({exc})") from exc


def order_row(order: Order) -> tuple[Any, ...]:
    what = f"order {order.client_order_id}"
    return (
        order.client_order_id,
        order.symbol,
        order.side.value,
        decimal_to_text(order.quantity, f"{what} quantity"),
        datetime_to_ns(order.created_at, f"{what} created_at"),
        order.order_type.value,
        order.time_in_force.value,
        optional_text(order.limit_price, f"{what} limit_price"),
        optional_text(order.stop_price, f"{what} stop_price"),
        order.status.value,
        decimal_to_text(order.filled_quantity, f"{what} filled_quantity"),
        optional_text(order.average_fill_price, f"{what} average_fill_price"),
        decimal_to_text(order.filled_notional, f"{what} filled_notional"),
        order.broker_order_id,
        order.reject_reason,
        optional_ns(order.updated_at, f"{what} updated_at"),
        order.account,
        order.replaces,
        order.cancel_reason,
    )


def order_from_row(row: Row, database: str) -> Order:
    values = dict(zip(ORDER_COLUMNS, row, strict=True))
    order_id = values["client_order_id"]
    what = f"database {database}: order {order_id}"
    # Built directly with its stored status: replaying transitions would need its fills.
    return rebuild(
        what,
        lambda: Order(
            client_order_id=order_id,
            symbol=values["symbol"],
            side=OrderSide(values["side"]),
            quantity=text_to_decimal(values["quantity"], f"{what} quantity"),
            created_at=ns_to_datetime(values["created_at"]),
            order_type=OrderType(values["order_type"]),
            time_in_force=TimeInForce(values["time_in_force"]),
            limit_price=optional_decimal(values["limit_price"], f"{what} limit_price"),
            stop_price=optional_decimal(values["stop_price"], f"{what} stop_price"),
            status=OrderStatus(values["status"]),
            filled_quantity=text_to_decimal(values["filled_quantity"], f"{what} filled_quantity"),
            average_fill_price=optional_decimal(
                values["average_fill_price"], f"{what} average_fill_price"
            ),
            filled_notional=text_to_decimal(values["filled_notional"], f"{what} filled_notional"),
            broker_order_id=values["broker_order_id"],
            reject_reason=values["reject_reason"],
            updated_at=optional_datetime(values["updated_at"]),
            account=values["account"],
            replaces=values["replaces"],
            cancel_reason=values["cancel_reason"],
        ),
    )


def fill_row(fill: Fill) -> tuple[Any, ...]:
    what = f"fill {fill.fill_id}"
    return (
        fill.fill_id,
        fill.client_order_id,
        fill.symbol,
        fill.side.value,
        decimal_to_text(fill.quantity, f"{what} quantity"),
        decimal_to_text(fill.price, f"{what} price"),
        decimal_to_text(fill.commission, f"{what} commission"),
        datetime_to_ns(fill.timestamp, f"{what} timestamp"),
    )


def fill_from_row(row: Row, database: str) -> Fill:
    values = dict(zip(FILL_COLUMNS, row, strict=True))
    what = f"database {database}: fill {values['fill_id']}"
    return rebuild(
        what,
        lambda: Fill(
            fill_id=values["fill_id"],
            client_order_id=values["client_order_id"],
            symbol=values["symbol"],
            side=OrderSide(values["side"]),
            quantity=text_to_decimal(values["quantity"], f"{what} quantity"),
            price=text_to_decimal(values["price"], f"{what} price"),
            commission=text_to_decimal(values["commission"], f"{what} commission"),
            timestamp=ns_to_datetime(values["ts"]),
        ),
    )


def amendment_row(amendment: OrderAmendment) -> tuple[Any, ...]:
    what = f"order {amendment.client_order_id} amendment {amendment.sequence}"
    return (
        amendment.client_order_id,
        amendment.sequence,
        amendment.method.value,
        datetime_to_ns(amendment.requested_at, f"{what} requested_at"),
        optional_text(amendment.quantity, f"{what} quantity"),
        optional_text(amendment.limit_price, f"{what} limit_price"),
        optional_text(amendment.stop_price, f"{what} stop_price"),
        amendment.replacement_id,
    )


def amendment_from_row(row: Row, database: str) -> OrderAmendment:
    values = dict(zip(AMENDMENT_COLUMNS, row, strict=True))
    what = f"database {database}: order {values['client_order_id']} amendment {values['sequence']}"
    return rebuild(
        what,
        lambda: OrderAmendment(
            client_order_id=values["client_order_id"],
            sequence=int(values["sequence"]),
            method=ReplaceMethod(values["method"]),
            requested_at=ns_to_datetime(values["requested_at"]),
            quantity=optional_decimal(values["quantity"], f"{what} quantity"),
            limit_price=optional_decimal(values["limit_price"], f"{what} limit_price"),
            stop_price=optional_decimal(values["stop_price"], f"{what} stop_price"),
            replacement_id=values["replacement_id"],
        ),
    )
