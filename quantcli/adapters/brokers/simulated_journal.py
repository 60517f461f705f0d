"""The simulated broker's own durable book: a SQLite file apart from the ledger, as a real
broker keeps its own records. With it a paper session can crash and restart and still find
every order it sent, working or finished, with its fills, exactly as a live one would.

One file holds many books, one per paper account: each replays stored bars on its own
timeline, so each needs its own market clock and working orders.

Timestamps are stored as integer microseconds since the epoch (UTC), decimals as exact text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from quantcli.domain.errors import BrokerError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS broker_orders (
        book TEXT NOT NULL,
        client_order_id TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL,
        account TEXT,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        order_type TEXT NOT NULL,
        time_in_force TEXT NOT NULL,
        limit_price TEXT,
        stop_price TEXT,
        status TEXT NOT NULL,
        filled_quantity TEXT NOT NULL,
        filled_notional TEXT NOT NULL,
        average_fill_price TEXT,
        broker_order_id TEXT NOT NULL,
        updated_at INTEGER,
        cancel_reason TEXT,
        bars_matched INTEGER NOT NULL,
        fills INTEGER NOT NULL,
        stop_triggered INTEGER NOT NULL,
        UNIQUE (book, sequence)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS broker_fills (
        book TEXT NOT NULL,
        fill_id TEXT PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES broker_orders (client_order_id),
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        commission TEXT NOT NULL,
        ts INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS broker_clock (
        book TEXT PRIMARY KEY,
        market_time INTEGER,
        month INTEGER,
        monthly_volume TEXT NOT NULL
    )
    """,
)
_ORDER_COLUMNS = (
    "client_order_id",
    "sequence",
    "account",
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
    "filled_notional",
    "average_fill_price",
    "broker_order_id",
    "updated_at",
    "cancel_reason",
    "bars_matched",
    "fills",
    "stop_triggered",
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


@attrs.define
class BookEntry:
    """The broker's copy of an order plus the matching state the Order type does not carry."""

    order: Order
    sequence: int = 0
    bars_matched: int = 0
    fills: int = 0
    # A triggered STOP_LIMIT is matched as a LIMIT order from then on.
    stop_triggered: bool = False


@attrs.frozen
class BrokerClock:
    """The last bar time the broker matched, and the month's traded shares (tiered fees)."""

    market_time: datetime | None = None
    month: int | None = None
    monthly_volume: Decimal = Decimal(0)


@attrs.frozen
class JournalState:
    entries: tuple[BookEntry, ...]
    fills: tuple[Fill, ...]
    clock: BrokerClock


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICROSECOND


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class SimulatedBrokerJournal:
    """Write-through storage of one simulated broker book in its own SQLite file."""

    def __init__(self, path: Path, book: str = "default") -> None:
        if not book.strip():
            raise BrokerError(f"simulated broker book {path}: the book name is empty")
        self._book = book
        self._path = Path(path)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(self._path, isolation_level=None)
            self._connection.execute("PRAGMA busy_timeout = 5000")
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = NORMAL")
            with self._transaction():
                for statement in _SCHEMA:
                    self._connection.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise BrokerError(f"simulated broker book {self._path}: cannot open ({exc})") from exc

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def save(
        self,
        entries: Iterable[BookEntry] = (),
        fills: Iterable[Fill] = (),
        clock: BrokerClock | None = None,
    ) -> None:
        """Upsert entries, insert fills and replace the clock, all in one transaction."""
        order_sql = (
            f"INSERT OR REPLACE INTO broker_orders (book, {', '.join(_ORDER_COLUMNS)}) "
            f"VALUES (?, {', '.join('?' * len(_ORDER_COLUMNS))})"
        )
        fill_sql = (
            f"INSERT OR IGNORE INTO broker_fills (book, {', '.join(_FILL_COLUMNS)}) "
            f"VALUES (?, {', '.join('?' * len(_FILL_COLUMNS))})"
        )
        book = (self._book,)
        try:
            with self._transaction():
                self._connection.executemany(order_sql, [book + _entry_row(e) for e in entries])
                self._connection.executemany(fill_sql, [book + _fill_row(f) for f in fills])
                if clock is not None:
                    self._connection.execute(
                        "INSERT OR REPLACE INTO broker_clock VALUES (?, ?, ?, ?)",
                        (
                            self._book,
                            None if clock.market_time is None else _micros(clock.market_time),
                            clock.month,
                            str(clock.monthly_volume),
                        ),
                    )
        except sqlite3.Error as exc:
            raise BrokerError(f"simulated broker book {self._path}: write failed ({exc})") from exc

    def load(self) -> JournalState:
        """Everything the broker has recorded, orders in submission order."""
        try:
            orders = self._connection.execute(
                f"SELECT {', '.join(_ORDER_COLUMNS)} FROM broker_orders WHERE book = ? "
                "ORDER BY sequence",
                (self._book,),
            ).fetchall()
            fills = self._connection.execute(
                f"SELECT {', '.join(_FILL_COLUMNS)} FROM broker_fills WHERE book = ? "
                "ORDER BY ts, fill_id",
                (self._book,),
            ).fetchall()
            clock = self._connection.execute(
                "SELECT market_time, month, monthly_volume FROM broker_clock WHERE book = ?",
                (self._book,),
            ).fetchone()
        except sqlite3.Error as exc:
            raise BrokerError(f"simulated broker book {self._path}: read failed ({exc})") from exc
        return JournalState(
            entries=tuple(_entry_from_row(row) for row in orders),
            fills=tuple(_fill_from_row(row) for row in fills),
            clock=BrokerClock()
            if clock is None
            else BrokerClock(
                None if clock[0] is None else _from_micros(clock[0]), clock[1], Decimal(clock[2])
            ),
        )


def _entry_row(entry: BookEntry) -> tuple[Any, ...]:
    o = entry.order
    return (
        o.client_order_id,
        entry.sequence,
        o.account,
        o.symbol,
        o.side.value,
        str(o.quantity),
        _micros(o.created_at),
        o.order_type.value,
        o.time_in_force.value,
        _text(o.limit_price),
        _text(o.stop_price),
        o.status.value,
        str(o.filled_quantity),
        str(o.filled_notional),
        _text(o.average_fill_price),
        o.broker_order_id,
        None if o.updated_at is None else _micros(o.updated_at),
        o.cancel_reason,
        entry.bars_matched,
        entry.fills,
        int(entry.stop_triggered),
    )


def _entry_from_row(row: tuple[Any, ...]) -> BookEntry:
    v = dict(zip(_ORDER_COLUMNS, row, strict=True))
    order = Order(
        client_order_id=v["client_order_id"],
        symbol=v["symbol"],
        side=OrderSide(v["side"]),
        quantity=Decimal(v["quantity"]),
        created_at=_from_micros(v["created_at"]),
        order_type=OrderType(v["order_type"]),
        time_in_force=TimeInForce(v["time_in_force"]),
        limit_price=_decimal(v["limit_price"]),
        stop_price=_decimal(v["stop_price"]),
        status=OrderStatus(v["status"]),
        filled_quantity=Decimal(v["filled_quantity"]),
        average_fill_price=_decimal(v["average_fill_price"]),
        broker_order_id=v["broker_order_id"],
        updated_at=None if v["updated_at"] is None else _from_micros(v["updated_at"]),
        account=v["account"],
        cancel_reason=v["cancel_reason"],
        filled_notional=Decimal(v["filled_notional"]),
    )
    return BookEntry(order, v["sequence"], v["bars_matched"], v["fills"], bool(v["stop_triggered"]))


def _fill_row(fill: Fill) -> tuple[Any, ...]:
    return (
        fill.fill_id,
        fill.client_order_id,
        fill.symbol,
        fill.side.value,
        str(fill.quantity),
        str(fill.price),
        str(fill.commission),
        _micros(fill.timestamp),
    )


def _fill_from_row(row: tuple[Any, ...]) -> Fill:
    v = dict(zip(_FILL_COLUMNS, row, strict=True))
    return Fill(
        fill_id=v["fill_id"],
        client_order_id=v["client_order_id"],
        symbol=v["symbol"],
        side=OrderSide(v["side"]),
        quantity=Decimal(v["quantity"]),
        price=Decimal(v["price"]),
        commission=Decimal(v["commission"]),
        timestamp=_from_micros(v["ts"]),
    )
