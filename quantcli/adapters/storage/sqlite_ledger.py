"""The Ledger port on SQLite: orders, fills, replace requests, portfolio snapshots and equity,
exact to the last digit."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal

from quantcli.adapters.storage.sqlite_codecs import (
    datetime_to_ns,
    decimal_to_text,
    ns_to_datetime,
    text_to_decimal,
)
from quantcli.adapters.storage.sqlite_database import Row, SqliteDatabase
from quantcli.adapters.storage.sqlite_ledger_rows import (
    AMENDMENT_COLUMNS,
    FILL_COLUMNS,
    ORDER_COLUMNS,
    amendment_from_row,
    amendment_row,
    fill_from_row,
    fill_row,
    order_from_row,
    order_row,
)
from quantcli.domain.errors import StorageError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.orders import Order, OrderAmendment
from quantcli.domain.positions import Portfolio, Position
from quantcli.domain.trading_types import OrderStatus


def _upsert_sql(table: str, columns: tuple[str, ...], key: str) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


_UPSERT_ORDER = _upsert_sql("orders", ORDER_COLUMNS, "client_order_id")
_SELECT_ORDERS = f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders"
_INSERT_FILL = (
    f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * len(FILL_COLUMNS))})"
)
_SELECT_FILLS = f"SELECT {', '.join(f'fills.{c}' for c in FILL_COLUMNS)} FROM fills"
_INSERT_AMENDMENT = (
    f"INSERT INTO order_amendments ({', '.join(AMENDMENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(AMENDMENT_COLUMNS))})"
)
_SELECT_AMENDMENTS = f"SELECT {', '.join(AMENDMENT_COLUMNS)} FROM order_amendments"


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
        row = order_row(order)
        with self._db.transaction():
            self._db.execute(_UPSERT_ORDER, row, what=f"save order {order.client_order_id}")

    def order(self, client_order_id: str) -> Order | None:
        """One order by its client order id, or None."""
        row = self._db.fetch_one(
            f"{_SELECT_ORDERS} WHERE client_order_id = ?",
            (client_order_id,),
            what=f"read order {client_order_id}",
        )
        return None if row is None else self._order_from_row(row)

    def orders(self, status: OrderStatus | None = None, account: str | None = None) -> list[Order]:
        """Saved orders (only those in `status`, of `account`, when given), oldest first."""
        clauses, parameters = [], []
        if status is not None:
            clauses.append("status = ?")
            parameters.append(status.value)
        if account is not None:
            clauses.append("account = ?")
            parameters.append(account)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.fetch_all(
            f"{_SELECT_ORDERS}{where} ORDER BY created_at, client_order_id",
            parameters,
            what="read orders",
        )
        return [self._order_from_row(row) for row in rows]

    def _order_from_row(self, row: Row) -> Order:
        return order_from_row(row, str(self._db.path))

    # -- replace requests -----------------------------------------------------------------

    def save_amendment(self, amendment: OrderAmendment) -> None:
        """Record a replace request; the same (order, sequence) twice is an error."""
        what = f"save amendment {amendment.sequence} of order {amendment.client_order_id}"
        with self._db.transaction():
            self._db.execute(_INSERT_AMENDMENT, amendment_row(amendment), what=what)

    def amendments(self, client_order_id: str | None = None) -> list[OrderAmendment]:
        """Replace requests (of one order when given), in the order they were made."""
        where, parameters = (
            ("", ())
            if client_order_id is None
            else (" WHERE client_order_id = ?", (client_order_id,))
        )
        rows = self._db.fetch_all(
            f"{_SELECT_AMENDMENTS}{where} ORDER BY requested_at, client_order_id, sequence",
            parameters,
            what="read order amendments",
        )
        return [amendment_from_row(row, str(self._db.path)) for row in rows]

    # -- fills ----------------------------------------------------------------------------

    def save_fill(self, fill: Fill) -> None:
        """Insert by fill_id; the same fill again is a no-op, a different one is an error."""
        row = fill_row(fill)
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

    def fills(self, account: str | None = None) -> list[Fill]:
        """Saved fills (of `account`'s orders when given) in time order, ties by fill_id."""
        if account is None:
            sql, parameters = f"{_SELECT_FILLS} ORDER BY fills.ts, fills.fill_id", ()
        else:
            sql = (
                f"{_SELECT_FILLS} JOIN orders USING (client_order_id) "
                "WHERE orders.account = ? ORDER BY fills.ts, fills.fill_id"
            )
            parameters = (account,)
        rows = self._db.fetch_all(sql, parameters, what="read fills")
        return [self._fill_from_row(row) for row in rows]

    def _fill_from_row(self, row: Row) -> Fill:
        return fill_from_row(row, str(self._db.path))

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

    # -- accounts and equity --------------------------------------------------------------

    def open_account(self, account: str, opening_cash: Decimal, at: datetime) -> Decimal:
        """Record the account's opening cash the first time; returns the recorded amount."""
        _check_account(account)
        what = f"account {account}"
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO accounts (account, opening_cash, opened_at) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO NOTHING",
                (
                    account,
                    decimal_to_text(opening_cash, f"{what} opening_cash"),
                    datetime_to_ns(at, f"{what} opened_at"),
                ),
                what=f"open {what}",
            )
            row = self._db.fetch_one(
                "SELECT opening_cash FROM accounts WHERE account = ?",
                (account,),
                what=f"read {what}",
            )
        assert row is not None
        return text_to_decimal(row[0], f"database {self._db.path}: {what} opening_cash")

    def opening_cash(self, account: str) -> Decimal | None:
        _check_account(account)
        row = self._db.fetch_one(
            "SELECT opening_cash FROM accounts WHERE account = ?",
            (account,),
            what=f"read account {account}",
        )
        what = f"database {self._db.path}: account {account} opening_cash"
        return None if row is None else text_to_decimal(row[0], what)

    def accounts(self) -> list[str]:
        """Every account that ever traded, by name."""
        rows = self._db.fetch_all(
            "SELECT account FROM accounts UNION SELECT account FROM portfolios ORDER BY 1",
            what="read accounts",
        )
        return [str(row[0]) for row in rows]

    def save_equity(self, account: str, point: EquityPoint) -> None:
        """Insert or replace the account's equity at point.timestamp."""
        _check_account(account)
        what = f"equity of {account}"
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO equity_history (account, ts, equity) VALUES (?, ?, ?) "
                "ON CONFLICT (account, ts) DO UPDATE SET equity = excluded.equity",
                (
                    account,
                    datetime_to_ns(point.timestamp, f"{what} timestamp"),
                    decimal_to_text(point.equity, what),
                ),
                what=f"save {what}",
            )

    def equity_history(self, account: str) -> list[EquityPoint]:
        """The account's equity at every bar, oldest first."""
        _check_account(account)
        rows = self._db.fetch_all(
            "SELECT ts, equity FROM equity_history WHERE account = ? ORDER BY ts",
            (account,),
            what=f"read equity of {account}",
        )
        what = f"database {self._db.path}: equity of {account}"
        return [EquityPoint(ns_to_datetime(ts), text_to_decimal(e, what)) for ts, e in rows]


def _check_account(account: str) -> None:
    if not isinstance(account, str) or not account.strip():
        raise ValidationError(f"account {account!r}: expected a non-empty name")


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
