"""The Ledger port on SQLite: orders, fills and portfolio snapshots, exact to the last digit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
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
from quantcli.adapters.storage.sqlite_database import Row, SqliteDatabase
from quantcli.domain.errors import QuantCLIError, StorageError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio, Position
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

_ORDER_COLUMNS = (
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
)
_FILL_COLUMNS = (
    "fill_id",
    "client_order_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "commission",
    "ts",
)


def _upsert_sql(table: str, columns: tuple[str, ...], key: str) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


_T = TypeVar("_T")

_UPSERT_ORDER = _upsert_sql("orders", _ORDER_COLUMNS, "client_order_id")
_SELECT_ORDERS = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM orders"
_INSERT_FILL = f"INSERT INTO fills ({', '.join(_FILL_COLUMNS)}) VALUES ({', '.join('?' * 8)})"
_SELECT_FILLS = f"SELECT {', '.join(_FILL_COLUMNS)} FROM fills"


class SqliteLedger:
    """Orders, fills and portfolio snapshots in the shared SQLite file; writes are idempotent."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def atomic(self) -> AbstractContextManager[None]:
        """A transaction: everything written inside commits together or not at all; nests."""
        return self._db.transaction()

    # -- orders ---------------------------------------------------------------------------

    def save_order(self, order: Order) -> None:
        """Insert or update by client_order_id."""
        row = _order_row(order)
        with self._db.transaction():
            self._db.execute(_UPSERT_ORDER, row, what=f"save order {order.client_order_id}")

    def orders(self, status: OrderStatus | None = None) -> list[Order]:
        """Saved orders (only those in `status` when given), oldest first."""
        where, parameters = ("", ()) if status is None else (" WHERE status = ?", (status.value,))
        rows = self._db.fetch_all(
            f"{_SELECT_ORDERS}{where} ORDER BY created_at, client_order_id",
            parameters,
            what="read orders",
        )
        return [self._order_from_row(row) for row in rows]

    def _order_from_row(self, row: Row) -> Order:
        values = dict(zip(_ORDER_COLUMNS, row, strict=True))
        order_id = values["client_order_id"]
        what = f"database {self._db.path}: order {order_id}"
        # Built directly with its stored status: replaying transitions would need its fills.
        return _rebuild(
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
                filled_quantity=text_to_decimal(
                    values["filled_quantity"], f"{what} filled_quantity"
                ),
                average_fill_price=optional_decimal(
                    values["average_fill_price"], f"{what} average_fill_price"
                ),
                filled_notional=text_to_decimal(
                    values["filled_notional"], f"{what} filled_notional"
                ),
                broker_order_id=values["broker_order_id"],
                reject_reason=values["reject_reason"],
                updated_at=optional_datetime(values["updated_at"]),
            ),
        )

    # -- fills ----------------------------------------------------------------------------

    def save_fill(self, fill: Fill) -> None:
        """Insert by fill_id; the same fill again is a no-op, a different one is an error."""
        row = _fill_row(fill)
        with self._db.transaction():
            stored = self._db.fetch_one(
                f"{_SELECT_FILLS} WHERE fill_id = ?", (fill.fill_id,), what="look up a fill"
            )
            if stored is not None:
                existing = self._fill_from_row(stored)
                if existing != fill:
                    raise StorageError(
                        f"database {self._db.path}: fill {fill.fill_id} is already recorded "
                        f"with different values ({existing}); refusing to overwrite it with {fill}"
                    )
                return
            # Checked here (the foreign key would also refuse) to name both ids in the error.
            order = self._db.fetch_one(
                "SELECT 1 FROM orders WHERE client_order_id = ?",
                (fill.client_order_id,),
                what="look up a fill's order",
            )
            if order is None:
                raise StorageError(
                    f"database {self._db.path}: fill {fill.fill_id} references order "
                    f"{fill.client_order_id}, which is not in the ledger; save the order first"
                )
            self._db.execute(_INSERT_FILL, row, what=f"save fill {fill.fill_id}")

    def fills(self) -> list[Fill]:
        """Every saved fill in time order (ties by fill_id)."""
        rows = self._db.fetch_all(f"{_SELECT_FILLS} ORDER BY ts, fill_id", what="read fills")
        return [self._fill_from_row(row) for row in rows]

    def _fill_from_row(self, row: Row) -> Fill:
        values = dict(zip(_FILL_COLUMNS, row, strict=True))
        what = f"database {self._db.path}: fill {values['fill_id']}"
        return _rebuild(
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

    # -- portfolio ------------------------------------------------------------------------

    def save_portfolio(self, account: str, portfolio: Portfolio, as_of: datetime) -> None:
        """Replace the account's cash, commission total and positions with this snapshot."""
        _check_account(account)
        what = f"portfolio {account}"
        header = (
            account,
            decimal_to_text(portfolio.cash, f"{what} cash"),
            decimal_to_text(portfolio.total_commission, f"{what} total_commission"),
            datetime_to_ns(as_of, f"{what} as_of"),
        )
        positions = [_position_row(account, key, p) for key, p in portfolio.positions.items()]
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO portfolios (account, cash, total_commission, as_of) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET "
                "cash = excluded.cash, total_commission = excluded.total_commission, "
                "as_of = excluded.as_of",
                header,
                what=f"save {what}",
            )
            self._db.execute(
                "DELETE FROM positions WHERE account = ?", (account,), what=f"replace {what}"
            )
            self._db.executemany(
                "INSERT INTO positions "
                "(account, symbol, quantity, average_cost, cost_basis, realized_pnl) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                positions,
                what=f"save {what} positions",
            )

    def load_portfolio(self, account: str) -> Portfolio | None:
        """The account's last snapshot, or None if it was never saved."""
        _check_account(account)
        header = self._db.fetch_one(
            "SELECT cash, total_commission FROM portfolios WHERE account = ?",
            (account,),
            what=f"read portfolio {account}",
        )
        if header is None:
            return None
        rows = self._db.fetch_all(
            "SELECT symbol, quantity, average_cost, cost_basis, realized_pnl FROM positions "
            "WHERE account = ? ORDER BY symbol",
            (account,),
            what=f"read portfolio {account} positions",
        )
        what = f"database {self._db.path}: portfolio {account}"
        positions = {
            symbol: Position(
                symbol=symbol,
                quantity=text_to_decimal(quantity, f"{what} {symbol} quantity"),
                average_cost=text_to_decimal(average_cost, f"{what} {symbol} average_cost"),
                cost_basis=text_to_decimal(cost_basis, f"{what} {symbol} cost_basis"),
                realized_pnl=text_to_decimal(realized_pnl, f"{what} {symbol} realized_pnl"),
            )
            for symbol, quantity, average_cost, cost_basis, realized_pnl in rows
        }
        return Portfolio(
            cash=text_to_decimal(header[0], f"{what} cash"),
            positions=positions,
            total_commission=text_to_decimal(header[1], f"{what} total_commission"),
        )

    def portfolio_as_of(self, account: str) -> datetime | None:
        """When the account's snapshot was taken, or None if it was never saved."""
        _check_account(account)
        row = self._db.fetch_one(
            "SELECT as_of FROM portfolios WHERE account = ?",
            (account,),
            what=f"read portfolio {account} as_of",
        )
        return None if row is None else ns_to_datetime(row[0])


def _rebuild(what: str, build: Callable[[], _T]) -> _T:
    """Run `build`; a stored row the domain refuses is reported as corrupt storage."""
    try:
        return build()
    except StorageError:
        raise
    except (ValueError, QuantCLIError) as exc:
        raise StorageError(f"{what}: stored row is invalid ({exc})") from exc


def _check_account(account: str) -> None:
    if not isinstance(account, str) or not account.strip():
        raise ValidationError(f"account {account!r}: expected a non-empty name")


def _order_row(order: Order) -> tuple[Any, ...]:
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
    )


def _fill_row(fill: Fill) -> tuple[Any, ...]:
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


def _position_row(account: str, key: str, position: Position) -> tuple[str, ...]:
    what = f"portfolio {account} position {key}"
    if key != position.symbol:
        raise StorageError(f"{what}: keyed by {key!r} but holds symbol {position.symbol!r}")
    return (
        account,
        position.symbol,
        decimal_to_text(position.quantity, f"{what} quantity"),
        decimal_to_text(position.average_cost, f"{what} average_cost"),
        decimal_to_text(position.cost_basis, f"{what} cost_basis"),
        decimal_to_text(position.realized_pnl, f"{what} realized_pnl"),
    )
