"""SqliteLedger's order-management tables against a real file: accounts on orders, replace links
and requests, opening cash, equity history, the kill switch store, and the v1 → v2 migration."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.adapters.storage import SqliteDatabase, SqliteKillSwitchStore, SqliteLedger
from quantcli.adapters.storage.sqlite_schema import MIGRATIONS
from quantcli.application.risk.kill_switch import kill_switch_status, record_reset, record_trip
from quantcli.domain.errors import StorageError
from quantcli.domain.fills import Fill
from quantcli.domain.kill_switch import KillTrigger
from quantcli.domain.loss_limits import EquityPoint
from quantcli.domain.orders import Order, OrderAmendment, ReplaceMethod
from quantcli.domain.trading_types import OrderStatus

MakeOrder = Callable[..., Order]
MakeFill = Callable[..., Fill]
T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def test_orders_keep_account_replace_link_and_cancel_reason(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    original = make_order("acct-1", account="acct")
    replacement = make_order("acct-1-R1", account="acct", replaces="acct-1")
    original.submit(T0, "SIM-1")
    original.cancel(T0, "replaced by acct-1-R1")
    ledger.save_order(original)
    ledger.save_order(replacement)

    assert ledger.order("acct-1-R1") == replacement
    assert ledger.order("acct-1") == original
    assert ledger.order("acct-1").cancel_reason == "replaced by acct-1-R1"
    assert ledger.order("ghost") is None


def test_orders_and_fills_filter_by_account(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    mine = make_order("a-1", account="a")
    theirs = make_order("b-1", account="b", created_at=T0 - timedelta(minutes=1))
    for order in (mine, theirs):
        ledger.save_order(order)
        ledger.save_fill(make_fill(order, f"{order.client_order_id}-F1", "10", "5"))

    assert [o.client_order_id for o in ledger.orders(account="a")] == ["a-1"]
    assert [o.client_order_id for o in ledger.orders()] == ["b-1", "a-1"]
    assert [f.fill_id for f in ledger.fills("a")] == ["a-1-F1"]
    assert len(ledger.fills()) == 2
    assert ledger.orders(OrderStatus.NEW, account="b") == [theirs]


def test_replace_requests_round_trip_in_order(ledger: SqliteLedger, make_order: MakeOrder) -> None:
    ledger.save_order(make_order("acct-1"))
    first = OrderAmendment("acct-1", 1, ReplaceMethod.MODIFY, T0, Decimal("12.5"), Decimal("99.99"))
    second = OrderAmendment(
        "acct-1", 2, ReplaceMethod.CANCEL_REPLACE, T0 + timedelta(seconds=1), replacement_id="x"
    )
    ledger.save_amendment(first)
    ledger.save_amendment(second)

    assert ledger.amendments("acct-1") == [first, second]
    assert ledger.amendments() == [first, second]
    with pytest.raises(StorageError, match="save amendment 1 of order acct-1"):
        ledger.save_amendment(first)


def test_opening_cash_is_recorded_once(ledger: SqliteLedger) -> None:
    assert ledger.opening_cash("acct") is None
    assert ledger.open_account("acct", Decimal("1000000.00"), T0) == Decimal("1000000.00")
    assert ledger.open_account("acct", Decimal(5), T0) == Decimal("1000000.00")
    assert ledger.opening_cash("acct") == Decimal("1000000.00")
    assert ledger.accounts() == ["acct"]


def test_equity_history_is_exact_ordered_and_upserted(ledger: SqliteLedger) -> None:
    points = [
        EquityPoint(T0 + timedelta(days=1), Decimal("1000123.456789")),
        EquityPoint(T0, Decimal("999999.99")),
    ]
    for point in points:
        ledger.save_equity("acct", point)
    ledger.save_equity("acct", EquityPoint(T0, Decimal("1000000.01")))

    assert ledger.equity_history("acct") == [
        EquityPoint(T0, Decimal("1000000.01")),
        points[0],
    ]
    assert ledger.equity_history("other") == []


def test_kill_switch_trips_and_resets_survive_reopening_the_file(database_path: Path) -> None:
    with SqliteDatabase(database_path) as database:
        store = SqliteKillSwitchStore(database)
        record_trip(store, KillTrigger.LOSS_LIMIT, "daily loss 4%", "session:a", T0, account="a")
        record_trip(store, KillTrigger.MANUAL, "and flatten", "alice", T0, flatten=True)

    with SqliteDatabase(database_path) as database:
        store = SqliteKillSwitchStore(database)
        status = kill_switch_status(store)
        assert status.tripped
        assert status.flatten
        assert status.trip is not None
        assert status.trip.account == "a"
        record_reset(store, "bob", T0 + timedelta(hours=1), "limits checked")

    with SqliteDatabase(database_path) as database:
        store = SqliteKillSwitchStore(database)
        events = store.kill_switch_events()
        assert not kill_switch_status(store).tripped
    assert [(e.action.value, e.actor) for e in events] == [
        ("TRIP", "session:a"),
        ("TRIP", "alice"),
        ("RESET", "bob"),
    ]


def test_a_version_1_file_migrates_and_its_orders_get_their_account(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as raw:
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute(
            "INSERT INTO orders (client_order_id, symbol, side, quantity, created_at, order_type, "
            "time_in_force, status, filled_quantity, filled_notional) VALUES "
            "('paper-AAA-20240102T000000', 'AAA', 'BUY', '10', 0, 'MARKET', 'DAY', 'NEW', '0', '0')"
        )
        raw.execute("INSERT INTO portfolios VALUES ('paper', '100', '0', 0)")
        raw.execute("PRAGMA user_version = 1")
        raw.commit()

    with SqliteDatabase(path) as database:
        assert database.schema_version == len(MIGRATIONS) == 2
        (order,) = SqliteLedger(database).orders(account="paper")
    assert order.client_order_id == "paper-AAA-20240102T000000"
