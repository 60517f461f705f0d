"""SqliteLedger against a real SQLite file: exact orders, fills and portfolios; transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.application.trading.ports import Ledger
from quantcli.domain.errors import DataError, StorageError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio, Position
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

MakeOrder = Callable[..., Order]
MakeFill = Callable[..., Fill]
MakeBars = Callable[..., pd.DataFrame]
RunPython = Callable[[str], str]

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _raw_count(path: Path, table: str) -> int:
    """Rows in `table` as another connection sees them (only what has been committed)."""
    with contextlib.closing(sqlite3.connect(path)) as raw:
        return int(raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _orders_in_every_status(make_order: MakeOrder, make_fill: MakeFill) -> list[Order]:
    new = make_order(
        "ord-new",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("187.25"),
        time_in_force=TimeInForce.GTC,
    )
    submitted = make_order("ord-submitted", symbol="MSFT", side=OrderSide.SELL, quantity="12.5")
    submitted.submit(at=_at(1), broker_order_id="B-1")
    partial = make_order(
        "ord-partial",
        quantity="100",
        order_type=OrderType.STOP_LIMIT,
        stop_price=Decimal("190"),
        limit_price=Decimal("190.50"),
    )
    partial.submit(at=_at(1), broker_order_id="B-2")
    partial.apply_fill(make_fill(partial, "f-p1", "30", "100.10", timestamp=_at(2)))
    partial.apply_fill(make_fill(partial, "f-p2", "40", "100.25", timestamp=_at(3)))
    filled = make_order("ord-filled", side=OrderSide.SELL, quantity="5", created_at=_at(-10))
    filled.submit(at=_at(-9))
    filled.apply_fill(make_fill(filled, "f-f1", "5", "99.99", timestamp=_at(-8)))
    cancelled = make_order(
        "ord-cancelled", order_type=OrderType.STOP, stop_price=Decimal("95"), created_at=_at(5)
    )
    cancelled.submit(at=_at(6))
    cancelled.cancel(at=_at(7))
    rejected = make_order("ord-rejected", time_in_force=TimeInForce.IOC, created_at=_at(5))
    rejected.reject("insufficient buying power", at=_at(5))
    return [new, submitted, partial, filled, cancelled, rejected]


def test_sqlite_ledger_satisfies_the_ledger_port(ledger: SqliteLedger) -> None:
    port: Ledger = ledger
    assert port.orders() == []


def test_orders_in_every_status_round_trip_equal(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    orders = _orders_in_every_status(make_order, make_fill)
    for order in orders:
        ledger.save_order(order)
    loaded = {order.client_order_id: order for order in ledger.orders()}
    assert {o.status for o in loaded.values()} == set(OrderStatus)
    for order in orders:
        assert loaded[order.client_order_id] == order


def test_a_partially_filled_order_keeps_its_exact_average_fill_price(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    partial = next(
        o
        for o in _orders_in_every_status(make_order, make_fill)
        if o.status is OrderStatus.PARTIALLY_FILLED
    )
    ledger.save_order(partial)
    (loaded,) = ledger.orders(OrderStatus.PARTIALLY_FILLED)
    assert loaded.filled_quantity == Decimal("70")
    assert loaded.remaining_quantity == Decimal("30")
    assert loaded.average_fill_price == (Decimal("3003.00") + Decimal("4010.00")) / Decimal(70)
    assert str(loaded.average_fill_price) == str(partial.average_fill_price)
    assert loaded.updated_at == _at(3)
    assert loaded.broker_order_id == "B-2"


def test_orders_are_listed_by_created_at_then_client_order_id(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    for client_order_id, minutes in [("c", 0), ("b", 0), ("z", -5), ("a", 9), ("d", 0)]:
        ledger.save_order(make_order(client_order_id, created_at=_at(minutes)))
    assert [o.client_order_id for o in ledger.orders()] == ["z", "b", "c", "d", "a"]


def test_orders_can_be_filtered_by_status(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    for order in _orders_in_every_status(make_order, make_fill):
        ledger.save_order(order)
    assert [o.client_order_id for o in ledger.orders(OrderStatus.CANCELLED)] == ["ord-cancelled"]
    assert [o.client_order_id for o in ledger.orders(OrderStatus.NEW)] == ["ord-new"]
    assert len(ledger.orders()) == 6


def test_saving_an_order_again_updates_it_in_place(
    ledger: SqliteLedger, database: SqliteDatabase, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    order = make_order("ord-1", quantity="10")
    ledger.save_order(order)
    order.submit(at=_at(1), broker_order_id="B-9")
    order.apply_fill(make_fill(order, "f-1", "4", "101.5", timestamp=_at(2)))
    ledger.save_order(order)
    ledger.save_order(order)
    assert ledger.orders() == [order]
    assert ledger.orders()[0].status is OrderStatus.PARTIALLY_FILLED
    assert database.fetch_one("SELECT COUNT(*) FROM orders", what="count") == (1,)


def test_an_order_with_a_nanosecond_pandas_timestamp_round_trips(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    created = pd.Timestamp("2024-03-01 14:30:00.123456789", tz="UTC")
    order = make_order(created_at=created)
    ledger.save_order(order)
    (loaded,) = ledger.orders()
    assert loaded == order
    assert pd.Timestamp(loaded.created_at).nanosecond == 789


def test_decimals_are_stored_as_exact_text(
    ledger: SqliteLedger, database: SqliteDatabase, make_order: MakeOrder
) -> None:
    ledger.save_order(
        make_order(quantity="1.50", order_type=OrderType.LIMIT, limit_price=Decimal("0.10"))
    )
    row = database.fetch_one(
        "SELECT quantity, typeof(quantity), limit_price, stop_price, side, status FROM orders",
        what="raw read",
    )
    assert row == ("1.50", "text", "0.10", None, "BUY", "NEW")
    (loaded,) = ledger.orders()
    assert str(loaded.quantity) == "1.50"


def test_a_float_where_a_decimal_belongs_is_refused_naming_the_field(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    order = make_order("ord-float")
    order.filled_quantity = 0.1  # type: ignore[assignment]
    with pytest.raises(StorageError, match=r"order ord-float filled_quantity: 0\.1 is a float"):
        ledger.save_order(order)
    assert ledger.orders() == []


def test_a_corrupt_order_row_raises_storage_error_naming_the_order(
    ledger: SqliteLedger, database: SqliteDatabase, make_order: MakeOrder
) -> None:
    ledger.save_order(make_order("ord-bad"))
    database.execute("UPDATE orders SET side = 'SIDEWAYS'", what="corrupt the row")
    with pytest.raises(StorageError, match="order ord-bad: stored row is invalid") as error:
        ledger.orders()
    assert str(database.path) in str(error.value)


def test_fills_round_trip_equal_in_timestamp_then_fill_id_order(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    buy = make_order("ord-buy")
    sell = make_order("ord-sell", symbol="MSFT", side=OrderSide.SELL)
    ledger.save_order(buy)
    ledger.save_order(sell)
    fills = [
        make_fill(buy, "f-3", "10", "187.123456789", commission="0.005", timestamp=_at(2)),
        make_fill(sell, "f-2", "3.25", "410.5", commission="0", timestamp=_at(1)),
        make_fill(buy, "f-1", "20", "187.10", commission="1.00", timestamp=_at(2)),
    ]
    for fill in fills:
        ledger.save_fill(fill)
    loaded = ledger.fills()
    assert loaded == [fills[1], fills[2], fills[0]]
    assert [str(f.price) for f in loaded] == ["410.5", "187.10", "187.123456789"]
    assert loaded[1].side is OrderSide.BUY


def test_saving_the_same_fill_twice_keeps_one_row(
    ledger: SqliteLedger, database: SqliteDatabase, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    order = make_order()
    ledger.save_order(order)
    fill = make_fill(order, "f-1", "10", "100")
    ledger.save_fill(fill)
    ledger.save_fill(fill)
    ledger.save_fill(make_fill(order, "f-1", "10.0", "100.00"))  # equal values, other spelling
    assert ledger.fills() == [fill]
    assert database.fetch_one("SELECT COUNT(*) FROM fills", what="count") == (1,)


def test_a_different_fill_under_an_existing_fill_id_is_refused(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    order = make_order()
    ledger.save_order(order)
    original = make_fill(order, "f-1", "10", "100")
    ledger.save_fill(original)
    with pytest.raises(StorageError, match="fill f-1 is already recorded with different values"):
        ledger.save_fill(make_fill(order, "f-1", "10", "100.01"))
    assert ledger.fills() == [original]


def test_a_fill_for_an_unknown_order_is_refused_naming_both_ids(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    orphan = make_fill(make_order("ord-missing"), "f-orphan", "1", "10")
    with pytest.raises(StorageError, match="fill f-orphan references order ord-missing"):
        ledger.save_fill(orphan)
    assert ledger.fills() == []


def test_the_foreign_key_refuses_an_orphan_fill_even_past_the_ledger(
    ledger: SqliteLedger, database: SqliteDatabase
) -> None:
    with pytest.raises(StorageError, match="FOREIGN KEY"):
        database.execute(
            "INSERT INTO fills VALUES ('f', 'nope', 'AAPL', 'BUY', '1', '1', '0', 0)",
            what="insert an orphan fill",
        )


def _portfolio(make_order: MakeOrder, make_fill: MakeFill) -> Portfolio:
    """Long AAPL, short MSFT, and a TSLA round trip that left a flat position with realized P&L."""
    portfolio = Portfolio(cash=Decimal("100000.00"))
    aapl = make_order("a", symbol="AAPL")
    msft = make_order("m", symbol="MSFT", side=OrderSide.SELL)
    tsla_buy = make_order("tb", symbol="TSLA")
    tsla_sell = make_order("ts", symbol="TSLA", side=OrderSide.SELL)
    portfolio.apply_fills(
        [
            make_fill(aapl, "1", "100", "187.33", commission="1.00"),
            make_fill(aapl, "2", "50", "187.10", commission="0.50"),
            make_fill(msft, "3", "30", "410.07", commission="0.35"),
            make_fill(tsla_buy, "4", "7", "200.01", commission="0.07"),
            make_fill(tsla_sell, "5", "7", "210.99", commission="0.07"),
        ]
    )
    return portfolio


def test_a_portfolio_with_long_short_and_flat_positions_round_trips_equal(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    portfolio = _portfolio(make_order, make_fill)
    assert portfolio.positions["AAPL"].quantity > 0
    assert portfolio.positions["MSFT"].quantity < 0
    assert portfolio.positions["TSLA"].is_flat
    ledger.save_portfolio("paper", portfolio, as_of=_at(30))
    loaded = ledger.load_portfolio("paper")
    assert loaded == portfolio
    assert loaded is not None
    assert str(loaded.positions["AAPL"].average_cost) == str(
        portfolio.positions["AAPL"].average_cost
    )
    assert loaded.positions["TSLA"].realized_pnl == Decimal("76.86")
    assert loaded.total_commission == Decimal("1.99")
    assert ledger.portfolio_as_of("paper") == _at(30)


def test_saving_a_portfolio_replaces_the_previous_snapshot(
    ledger: SqliteLedger, database: SqliteDatabase, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    ledger.save_portfolio("paper", _portfolio(make_order, make_fill), as_of=_at(1))
    smaller = Portfolio(
        cash=Decimal("-12.5"),
        positions={"NVDA": Position("NVDA", Decimal("-3"), Decimal("880.1"), Decimal("0"))},
        total_commission=Decimal("9.99"),
    )
    ledger.save_portfolio("paper", smaller, as_of=_at(2))
    assert ledger.load_portfolio("paper") == smaller
    assert ledger.portfolio_as_of("paper") == _at(2)
    assert database.fetch_one("SELECT COUNT(*) FROM positions", what="count") == (1,)


def test_accounts_are_kept_apart(ledger: SqliteLedger) -> None:
    paper = Portfolio(cash=Decimal(1), positions={"A": Position("A", Decimal(1))})
    live = Portfolio(cash=Decimal(2))
    ledger.save_portfolio("paper", paper, as_of=T0)
    ledger.save_portfolio("live", live, as_of=T0)
    assert ledger.load_portfolio("paper") == paper
    assert ledger.load_portfolio("live") == live


def test_an_unknown_account_loads_none(ledger: SqliteLedger) -> None:
    assert ledger.load_portfolio("nobody") is None
    assert ledger.portfolio_as_of("nobody") is None


def test_a_naive_as_of_is_refused(ledger: SqliteLedger) -> None:
    with pytest.raises(DataError, match="portfolio paper as_of"):
        ledger.save_portfolio("paper", Portfolio(cash=Decimal(0)), as_of=datetime(2024, 1, 1))
    assert ledger.load_portfolio("paper") is None


def test_an_empty_account_name_is_refused(ledger: SqliteLedger) -> None:
    with pytest.raises(ValidationError, match="account ''"):
        ledger.save_portfolio("", Portfolio(cash=Decimal(0)), as_of=T0)


def test_an_exception_inside_atomic_leaves_nothing_written(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill, database_path: Path
) -> None:
    order = make_order()

    def write_then_crash() -> None:
        with ledger.atomic():
            ledger.save_order(order)
            ledger.save_fill(make_fill(order, "f-1", "1", "10"))
            ledger.save_portfolio("paper", Portfolio(cash=Decimal(5)), as_of=T0)
            raise RuntimeError("crash after the writes")

    with pytest.raises(RuntimeError, match="crash"):
        write_then_crash()
    assert ledger.orders() == []
    assert ledger.fills() == []
    assert ledger.load_portfolio("paper") is None
    for table in ("orders", "fills", "portfolios", "positions"):
        assert _raw_count(database_path, table) == 0


def test_a_storage_error_inside_atomic_rolls_back_the_earlier_writes(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    def save_order_then_orphan_fill() -> None:
        with ledger.atomic():
            ledger.save_order(make_order("ord-1"))
            ledger.save_fill(make_fill(make_order("ord-unknown"), "f-1", "1", "10"))

    with pytest.raises(StorageError, match="ord-unknown"):
        save_order_then_orphan_fill()
    assert ledger.orders() == []


def test_nested_atomic_blocks_commit_together(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill, database_path: Path
) -> None:
    order = make_order()
    with ledger.atomic():
        ledger.save_order(order)
        with ledger.atomic():
            ledger.save_fill(make_fill(order, "f-1", "1", "10"))
        # The inner block ended, but nothing is visible outside until the outer one commits.
        assert _raw_count(database_path, "fills") == 0
    assert _raw_count(database_path, "fills") == 1
    assert _raw_count(database_path, "orders") == 1


def test_a_failed_inner_atomic_undoes_only_its_writes(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    def inner_block_that_fails() -> None:
        with ledger.atomic():
            ledger.save_order(make_order("undone"))
            raise RuntimeError("inner failure")

    with ledger.atomic():
        ledger.save_order(make_order("kept-1"))
        with pytest.raises(RuntimeError, match="inner failure"):
            inner_block_that_fails()
        ledger.save_order(make_order("kept-2"))
    assert [o.client_order_id for o in ledger.orders()] == ["kept-1", "kept-2"]


def test_an_outer_failure_undoes_a_completed_inner_atomic(
    ledger: SqliteLedger, make_order: MakeOrder
) -> None:
    def outer_block_that_fails() -> None:
        with ledger.atomic():
            with ledger.atomic():
                ledger.save_order(make_order("inner"))
            raise RuntimeError("outer failure")

    with pytest.raises(RuntimeError, match="outer failure"):
        outer_block_that_fails()
    assert ledger.orders() == []


def test_each_save_outside_atomic_commits_on_its_own(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill, database_path: Path
) -> None:
    order = make_order()
    ledger.save_order(order)
    assert _raw_count(database_path, "orders") == 1
    ledger.save_fill(make_fill(order, "f-1", "1", "10"))
    assert _raw_count(database_path, "fills") == 1
    ledger.save_portfolio("paper", Portfolio(cash=Decimal(1)), as_of=T0)
    assert _raw_count(database_path, "portfolios") == 1


def test_bars_and_ledger_share_one_file_and_one_transaction(
    database: SqliteDatabase, make_order: MakeOrder, make_bars: MakeBars, database_path: Path
) -> None:
    ledger = SqliteLedger(database)
    bar_store = SqliteBarStore(database)

    def write_both_then_fail() -> None:
        with ledger.atomic():
            bar_store.write_bars(make_bars())
            ledger.save_order(make_order())
            raise RuntimeError("both undone")

    with pytest.raises(RuntimeError, match="both undone"):
        write_both_then_fail()
    assert bar_store.bar_count() == 0
    ledger.save_order(make_order())
    bar_store.write_bars(make_bars())
    assert _raw_count(database_path, "orders") == 1
    assert _raw_count(database_path, "bars") == 10
    assert list(database_path.parent.glob("*.db")) == [database_path]


def test_a_fresh_process_reopening_the_file_sees_the_ledger(
    database_path: Path, make_order: MakeOrder, make_fill: MakeFill, run_python: RunPython
) -> None:
    with SqliteDatabase(database_path) as database:
        ledger = SqliteLedger(database)
        for order in _orders_in_every_status(make_order, make_fill):
            ledger.save_order(order)
        partial = ledger.orders(OrderStatus.PARTIALLY_FILLED)[0]
        ledger.save_fill(make_fill(partial, "f-p1", "30", "100.10", timestamp=_at(2)))
        ledger.save_portfolio("paper", _portfolio(make_order, make_fill), as_of=_at(9))
        expected = repr((ledger.orders(), ledger.fills(), ledger.load_portfolio("paper")))
    output = run_python(
        f"""
        from pathlib import Path
        from quantcli.adapters.storage import SqliteDatabase, SqliteLedger
        with SqliteDatabase(Path({str(database_path)!r})) as database:
            ledger = SqliteLedger(database)
            print(repr((ledger.orders(), ledger.fills(), ledger.load_portfolio("paper"))))
        """
    )
    assert output.strip() == expected


_amounts = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("1e-12"))


@settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    quantity=_amounts,
    price=_amounts,
    commission=st.decimals(allow_nan=False, allow_infinity=False, min_value=0),
    cash=st.decimals(allow_nan=False, allow_infinity=False),
)
def test_any_decimal_quantity_price_and_cash_round_trip_exactly(
    *,
    ledger: SqliteLedger,
    make_order: MakeOrder,
    make_fill: MakeFill,
    quantity: Decimal,
    price: Decimal,
    commission: Decimal,
    cash: Decimal,
) -> None:
    order = make_order(
        "ord-h", quantity=str(quantity), order_type=OrderType.LIMIT, limit_price=price
    )
    ledger.save_order(order)  # the same id every example: also exercises the upsert
    (loaded,) = ledger.orders()
    assert loaded == order
    assert (str(loaded.quantity), str(loaded.limit_price)) == (str(quantity), str(price))

    fill_id = f"f-{quantity}-{price}-{commission}"
    fill = make_fill(order, fill_id, str(quantity), str(price), commission=str(commission))
    ledger.save_fill(fill)
    stored = next(f for f in ledger.fills() if f.fill_id == fill.fill_id)
    assert str(stored.commission) == str(commission)
    assert stored == fill

    position = Position("AAPL", quantity=-quantity, average_cost=price, realized_pnl=cash)
    portfolio = Portfolio(cash=cash, positions={"AAPL": position}, total_commission=commission)
    ledger.save_portfolio("h", portfolio, as_of=T0)
    restored = ledger.load_portfolio("h")
    assert restored == portfolio
    assert restored is not None
    assert str(restored.cash) == str(cash)
    assert str(restored.positions["AAPL"].quantity) == str(-quantity)


def test_exact_running_sums_survive_a_reload_when_averages_do_not_terminate(
    ledger: SqliteLedger, make_order: MakeOrder, make_fill: MakeFill
) -> None:
    # 1@1 + 2@2 averages to 5/3: only the stored running sums keep P&L exact after a restart.
    order = make_order(quantity="3")
    order.submit(T0)
    portfolio = Portfolio(cash=Decimal(100))
    for fill in (make_fill(order, "f1", "1", "1"), make_fill(order, "f2", "2", "2")):
        order.apply_fill(fill)
        portfolio.apply_fill(fill)
    ledger.save_order(order)
    ledger.save_portfolio("acct", portfolio, T0)

    reloaded_order = ledger.orders()[0]
    reloaded = ledger.load_portfolio("acct")

    assert reloaded is not None
    assert reloaded_order.filled_notional == Decimal(5)
    assert reloaded.positions["AAPL"].cost_basis == Decimal(5)
    assert reloaded.positions["AAPL"].unrealized_pnl(Decimal(2)) == Decimal(1)
