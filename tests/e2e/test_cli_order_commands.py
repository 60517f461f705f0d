"""Limit orders from trading.yaml `orders:`, and `quantcli cancel` / `quantcli replace` on a paper
account's working orders, through the real CLI: the ledger and the simulated broker's book agree
before and after, and a further `quantcli paper` run carries on from both."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pandas as pd
import pytest

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.application.trading.reconcile_positions import rebuild_portfolio
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.orders import Order, OrderAmendment, ReplaceMethod
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

RunCli = Callable[..., subprocess.CompletedProcess[str]]
ACCOUNT = "lim"
LIMIT_GTC = (
    "trading:\n  orders:\n    type: limit\n    limit_offset_bps: 10\n    time_in_force: gtc\n"
)


def ledger_orders(data_dir: Path, account: str = ACCOUNT) -> list[Order]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return list(SqliteLedger(database).orders(account=account))


def amendments(data_dir: Path) -> list[OrderAmendment]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return list(SqliteLedger(database).amendments())


def broker_book(data_dir: Path, account: str = ACCOUNT) -> SimulatedBroker:
    journal = SimulatedBrokerJournal(data_dir / "paper_broker.db", account)
    return SimulatedBroker(CommissionSchedule(), SlippageModel(), journal=journal)


def assert_ledger_agrees_with_the_broker(data_dir: Path, account: str = ACCOUNT) -> None:
    broker = broker_book(data_dir, account)
    orders = ledger_orders(data_dir, account)
    for order in orders:
        state = broker.lookup_order(order.client_order_id)
        assert state is not None, order.client_order_id
        theirs = state.order
        assert (
            theirs.status,
            theirs.quantity,
            theirs.filled_quantity,
            theirs.limit_price,
            theirs.time_in_force,
        ) == (
            order.status,
            order.quantity,
            order.filled_quantity,
            order.limit_price,
            order.time_in_force,
        ), order.client_order_id
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        opening = ledger.opening_cash(account)
        assert opening is not None
        portfolio = rebuild_portfolio(ledger, account, opening)
    held = {s: p.quantity for s, p in portfolio.positions.items() if p.quantity != 0}
    assert held == broker.positions(account)


def append_quiet_sessions(data_dir: Path, tmp_path: Path, sessions: int = 3) -> Path:
    """A CSV of the next `sessions` weekdays, each bar at the last close ±1 %."""
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        bars = SqliteBarStore(database).read_bars(None)
    last = bars[bars["timestamp"] == bars["timestamp"].max()]
    days = pd.bdate_range(last["timestamp"].max() + pd.Timedelta(days=1), periods=sessions)
    rows = [
        {
            "timestamp": f"{day:%Y-%m-%d}",
            "symbol": bar.symbol,
            "open": bar.close,
            "high": bar.close * 1.01,
            "low": bar.close * 0.99,
            "close": bar.close,
            "volume": bar.volume,
        }
        for day in days
        for bar in last.itertuples()
    ]
    path = tmp_path / "next_sessions.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def far_below(order: Order) -> Decimal:
    """A price 5 % inside the limit: within the 10 % collar, beyond the next ±1 % bars."""
    assert order.limit_price is not None
    factor = Decimal("0.95") if order.side is OrderSide.BUY else Decimal("1.05")
    return (order.limit_price * factor).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


@pytest.mark.parametrize("command", ["cancel", "replace"])
def test_order_commands_have_help(run_cli: RunCli, command: str) -> None:
    result = run_cli(command, "--help")

    assert result.returncode == 0, result.stderr
    assert f"Usage: python -m quantcli {command} [OPTIONS] CLIENT_ORDER_ID" in result.stdout


def test_paper_with_limit_orders_then_cancel_replace_and_trade_on(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    config = tmp_path / "limit.yaml"
    config.write_text(LIMIT_GTC)

    # 1. Signals become LIMIT GTC orders off the close; the last bar's are left working.
    paper = traded_cli("--config", str(config), "paper", "--account", ACCOUNT, "--days", "20")
    assert paper.returncode == 0, paper.stderr
    orders = ledger_orders(data_dir)
    assert orders
    assert {(o.order_type, o.time_in_force) for o in orders} == {(OrderType.LIMIT, TimeInForce.GTC)}
    assert all(o.limit_price is not None and o.limit_price % Decimal("0.01") == 0 for o in orders)
    working = sorted((o for o in orders if o.status.is_open), key=lambda o: o.client_order_id)
    assert len(working) >= 2, paper.stdout
    assert_ledger_agrees_with_the_broker(data_dir)

    listed = traded_cli("orders", "--account", ACCOUNT, "--open")
    assert listed.returncode == 0, listed.stderr
    assert f"Account {ACCOUNT}: {len(working)} open orders" in listed.stdout
    for order in working:
        line = next(x for x in listed.stdout.splitlines() if order.client_order_id in x)
        assert "LIMIT  GTC" in line
        assert "SUBMITTED" in line

    # 2. Cancel one.
    doomed, moved = working[0], working[1]
    cancelled = traded_cli("cancel", doomed.client_order_id, "--account", ACCOUNT)
    assert cancelled.returncode == 0, cancelled.stderr
    assert (
        f"Cancelled {doomed.client_order_id} ({doomed.side.value} {doomed.quantity} "
        f"{doomed.symbol} LIMIT {doomed.limit_price}): 0 of {doomed.quantity} filled"
    ) in cancelled.stdout
    after_cancel = {o.client_order_id: o for o in ledger_orders(data_dir)}
    assert after_cancel[doomed.client_order_id].status is OrderStatus.CANCELLED
    assert after_cancel[doomed.client_order_id].cancel_reason == (
        "cancelled by request (quantcli cancel)"
    )

    # 3. Replace another, far from the market: the simulated broker modifies it in place.
    new_price = far_below(moved)
    replaced = traded_cli(
        "replace", moved.client_order_id, "--limit-price", str(new_price), "--account", ACCOUNT
    )
    assert replaced.returncode == 0, replaced.stderr
    described = f"{moved.side.value} {moved.quantity} {moved.symbol} LIMIT"
    assert (
        f"Replaced {moved.client_order_id}: {described} {moved.limit_price} -> "
        f"{described} {new_price} (modified in place)"
    ) in replaced.stdout
    after_replace = {o.client_order_id: o for o in ledger_orders(data_dir)}
    assert after_replace[moved.client_order_id].limit_price == new_price
    assert after_replace[moved.client_order_id].status is OrderStatus.SUBMITTED
    (amendment,) = amendments(data_dir)
    assert (amendment.client_order_id, amendment.method, amendment.limit_price) == (
        moved.client_order_id,
        ReplaceMethod.MODIFY,
        new_price,
    )
    assert_ledger_agrees_with_the_broker(data_dir)

    # 4. Bad input: a clear error naming the id, a non-zero exit, the ledger untouched.
    before = ledger_orders(data_dir)
    filled = next(o for o in before if o.status is OrderStatus.FILLED)
    acct = ("--account", ACCOUNT)
    refusals = [
        (("cancel", "nope-1", *acct), 1, "order nope-1: no such order in the ledger"),
        (
            ("cancel", moved.client_order_id),
            1,
            f"order {moved.client_order_id} belongs to account {ACCOUNT}, not paper: "
            f"give --account {ACCOUNT}",
        ),
        (
            ("cancel", doomed.client_order_id, *acct),
            1,
            f"order {doomed.client_order_id} is CANCELLED, not working: nothing to cancel",
        ),
        (
            ("replace", filled.client_order_id, "--quantity", "5", *acct),
            1,
            f"order {filled.client_order_id} is FILLED, not working: nothing to replace",
        ),
        (
            ("replace", moved.client_order_id, "--limit-price", str(new_price / 2), *acct),
            1,
            f"order {moved.client_order_id}: replace refused by risk: price_collar:",
        ),
        (
            ("replace", moved.client_order_id, "--limit-price", str(new_price), *acct),
            1,
            f"order {moved.client_order_id}: the replace changes nothing",
        ),
        (
            ("replace", moved.client_order_id, "--stop-price", "1", *acct),
            1,
            f"order {moved.client_order_id}: LIMIT takes no stop_price",
        ),
        (
            ("replace", moved.client_order_id, *acct),
            2,
            "give at least one of --quantity, --limit-price, --stop-price",
        ),
        (
            ("replace", moved.client_order_id, "--limit-price", "cheap"),
            2,
            "Invalid value for '--limit-price': 'cheap' is not a number",
        ),
        (
            ("replace", moved.client_order_id, "--quantity", "-3"),
            2,
            "Invalid value for '--quantity': -3 is not positive",
        ),
    ]
    for args, code, message in refusals:
        result = traded_cli(*args)
        assert (result.returncode, message in result.stderr) == (code, True), (args, result)
    assert ledger_orders(data_dir) == before
    assert len(amendments(data_dir)) == 1
    assert_ledger_agrees_with_the_broker(data_dir)

    # 5. New sessions arrive (bars at the last close ±1 %); paper trades on from both records.
    imported = traded_cli("data", "import", str(append_quiet_sessions(data_dir, tmp_path)))
    assert imported.returncode == 0, imported.stderr
    assert traded_cli("features", "build").returncode == 0
    again = traded_cli("--config", str(config), "paper", "--account", ACCOUNT, "--days", "20")
    assert again.returncode == 0, again.stderr  # paper raises if positions differ from the broker
    assert f"Resuming account {ACCOUNT} after its last finished bar" in again.stdout
    assert "Paper account lim: 3 bars" in again.stdout
    final = {o.client_order_id: o for o in ledger_orders(data_dir)}
    assert final[doomed.client_order_id].status is OrderStatus.CANCELLED
    assert final[doomed.client_order_id].filled_quantity == 0
    kept = final[moved.client_order_id]
    assert (kept.status, kept.limit_price, kept.filled_quantity) == (
        OrderStatus.SUBMITTED,
        new_price,
        0,
    )
    assert_ledger_agrees_with_the_broker(data_dir)


def test_a_negative_limit_offset_is_a_config_error_naming_file_and_key(
    run_cli: RunCli, tmp_path: Path
) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("trading:\n  orders: {type: limit, limit_offset_bps: -5}\n")

    result = run_cli("--config", str(override), "paper")

    assert result.returncode == 2
    assert "bad.yaml: trading.orders.limit_offset_bps: -5.0 is negative" in result.stderr


def test_replace_to_a_fraction_of_a_share_exits_1_and_changes_nothing(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    before = ledger_orders(data_dir, "paper")
    working = next(o for o in before if o.status.is_open)
    book_before = broker_book(data_dir, "paper").lookup_order(working.client_order_id)

    result = traded_cli("replace", working.client_order_id, "--quantity", "10.5")

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: order {working.client_order_id}: quantity 10.5 is not a whole number of "
        f"shares; {working.symbol} trades whole shares only\n"
    )
    assert ledger_orders(data_dir, "paper") == before
    assert amendments(data_dir) == []
    book_after = broker_book(data_dir, "paper").lookup_order(working.client_order_id)
    assert book_before is not None
    assert book_after is not None
    assert book_after.order == book_before.order
    assert_ledger_agrees_with_the_broker(data_dir, "paper")
