"""`quantcli cancel|replace --live` on a live account's working orders at IB, through the real CLI
against the fake IB gateway: IB's order and the ledger's agree after each change, refusals
change neither, and a further `quantcli live` run reconciles clean."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import attrs
import pytest

from quantcli.adapters.storage import SqliteDatabase, SqliteLedger
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

sys.path.insert(0, str(Path(__file__).parent))  # live_gateway, the shared helpers

from live_gateway import (
    ACCOUNT,
    CANCEL_ORDER,
    PLACE_ORDER,
    FakeIbGateway,
    FakeOrder,
    MovingMarket,
    last_closes,
    write_config,
)

RunCli = Callable[..., subprocess.CompletedProcess[str]]
LIMIT_GTC = "  orders: {type: limit, limit_offset_bps: 0, time_in_force: gtc}\n"


@pytest.fixture
def gateway() -> Iterator[FakeIbGateway]:
    """The quickstart's universe at IB; market orders fill at once, limit orders only when the
    test fills them (`gateway.fill`)."""
    contracts = {f"SYN{i:02d}": 90_000_000 + i for i in range(4)}
    fake = FakeIbGateway(accounts=(ACCOUNT,), contracts=contracts, fill_market_orders=True).start()
    yield fake
    fake.stop()


def limit_gtc_config(tmp_path: Path, port: int) -> Path:
    config = write_config(tmp_path, port)
    text = config.read_text().replace("trading:\n", f"trading:\n{LIMIT_GTC}", 1)
    config.write_text(text)
    return config


def ledger_orders(data_dir: Path, account: str = ACCOUNT) -> dict[str, Order]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return {o.client_order_id: o for o in SqliteLedger(database).orders(account=account)}


def ledger_state(data_dir: Path) -> tuple[object, ...]:
    """Everything a refused command must leave as it was."""
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        return (
            ledger.orders(),
            ledger.fills(),
            ledger.amendments(),
            ledger.load_portfolio(ACCOUNT),
            ledger.portfolio_as_of(ACCOUNT),
        )


def gateway_state(gateway: FakeIbGateway) -> list[FakeOrder]:
    return [gateway.order(o.order_ref) for o in gateway.orders]


def lower_limit(order: Order) -> Decimal:
    """One per cent below a buy's limit: inside the price collar, still unfilled."""
    assert order.limit_price is not None
    assert order.side is OrderSide.BUY
    return (order.limit_price * Decimal("0.99")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def test_cancel_and_replace_live_orders_at_ib_then_live_reconciles_clean(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    data_dir = tmp_path / "data"
    config = limit_gtc_config(tmp_path, gateway.port)
    live = ("--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1")
    on_ib = ("--config", str(config))
    acct = ("--account", ACCOUNT, "--live")

    # 1. One live bar: its signals become GTC limit orders at IB, left working there.
    with MovingMarket(gateway, last_closes(data_dir)):
        first = traded_cli(*live)
    assert first.returncode == 0, first.stderr
    working = sorted(ledger_orders(data_dir).values(), key=lambda o: o.client_order_id)
    assert len(working) == 4, first.stdout
    assert {(o.order_type, o.time_in_force, o.status) for o in working} == {
        (OrderType.LIMIT, TimeInForce.GTC, OrderStatus.SUBMITTED)
    }
    assert {gateway.order(o.client_order_id).status for o in working} == {"Submitted"}
    doomed, moved, partly_filled, filled = working

    # 2. Cancel one: IB cancels it, the ledger books IB's confirmation.
    cancelled = traded_cli(*on_ib, "cancel", doomed.client_order_id, *acct)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"Connected to IB account {ACCOUNT}; reconciliation: books agree" in cancelled.stdout
    assert (
        f"Cancelled {doomed.client_order_id} (BUY {doomed.quantity} {doomed.symbol} LIMIT "
        f"{doomed.limit_price}): 0 of {doomed.quantity} filled"
    ) in cancelled.stdout
    assert gateway.order(doomed.client_order_id).status == "Cancelled"
    booked = ledger_orders(data_dir)[doomed.client_order_id]
    assert booked.status is OrderStatus.CANCELLED
    assert booked.cancel_reason == "cancelled by request (quantcli cancel)"

    # 3. Replace another's limit: IB modifies it in place, under the same IB order id.
    new_price = lower_limit(moved)
    ib_before = gateway.order(moved.client_order_id)
    replaced = traded_cli(
        *on_ib, "replace", moved.client_order_id, "--limit-price", str(new_price), *acct
    )
    assert replaced.returncode == 0, replaced.stderr
    described = f"BUY {moved.quantity} {moved.symbol} LIMIT"
    assert (
        f"Replaced {moved.client_order_id}: {described} {moved.limit_price} -> "
        f"{described} {new_price} (modified in place)"
    ) in replaced.stdout
    (ib_moved,) = gateway.orders_with_ref(moved.client_order_id)
    assert (ib_moved.order_id, ib_moved.perm_id) == (ib_before.order_id, ib_before.perm_id)
    assert (Decimal(ib_moved.limit_price), ib_moved.status) == (new_price, "Submitted")
    booked = ledger_orders(data_dir)[moved.client_order_id]
    assert (booked.limit_price, booked.status) == (new_price, OrderStatus.SUBMITTED)

    listed = traded_cli("orders", "--account", ACCOUNT)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[2]: line for line in listed.stdout.splitlines()[1:] if ACCOUNT in line}
    assert "CANCELLED" in rows[doomed.client_order_id]
    assert "cancelled by request (quantcli cancel)" in rows[doomed.client_order_id]
    assert f"{new_price:,.4f}" in rows[moved.client_order_id]
    assert "SUBMITTED" in rows[moved.client_order_id]

    # 4. Refusals: a clear error naming the input, nothing written here or at IB.
    paper_order = next(iter(ledger_orders(data_dir, "paper")))
    before, ib_before_refusals = ledger_state(data_dir), gateway_state(gateway)
    places, cancels = len(gateway.requests(PLACE_ORDER)), len(gateway.requests(CANCEL_ORDER))
    refusals = [
        ((*on_ib, "cancel", "nope-1", *acct), 1, "order nope-1: no such order in the ledger"),
        (
            (*on_ib, "cancel", paper_order, *acct),
            1,
            f"order {paper_order} is a paper order of account paper (in its simulated broker "
            "book), not an order at IB: leave out --live",
        ),
        (
            (*on_ib, "replace", doomed.client_order_id, "--limit-price", "1", *acct),
            1,
            f"order {doomed.client_order_id} is CANCELLED, not working: nothing to replace",
        ),
        (
            (*on_ib, "replace", moved.client_order_id, "--limit-price", str(new_price), *acct),
            1,
            f"order {moved.client_order_id}: the replace changes nothing",
        ),
        (
            ("cancel", moved.client_order_id, *acct),
            1,
            "no live broker is configured: trading.broker is 'simulated'",
        ),
        (
            (*on_ib, "cancel", moved.client_order_id, "--live"),
            2,
            "--live needs --account ID",
        ),
        (
            (*on_ib, "cancel", moved.client_order_id, "--account", ACCOUNT),
            1,
            f"order {moved.client_order_id} is not in account {ACCOUNT}'s simulated broker book",
        ),
    ]
    for args, code, message in refusals:
        result = traded_cli(*args)
        assert (result.returncode, message in result.stderr) == (code, True), (args, result)
        assert "Traceback" not in result.stderr
    assert ledger_state(data_dir) == before
    assert gateway_state(gateway) == ib_before_refusals
    assert len(gateway.requests(PLACE_ORDER)) == places
    assert len(gateway.requests(CANCEL_ORDER)) == cancels

    # 5. IB fills orders while QuantCLI is away: a cancel books those fills first; an order IB
    # has finished is refused by name, its fills booked.
    assert partly_filled.limit_price is not None
    assert filled.limit_price is not None
    part = (partly_filled.quantity / 2).quantize(Decimal(1), rounding=ROUND_DOWN)
    assert 0 < part < partly_filled.quantity
    gateway.fill(partly_filled.client_order_id, str(part), str(partly_filled.limit_price))
    gateway.fill(filled.client_order_id, str(filled.quantity), str(filled.limit_price))

    rest = traded_cli(*on_ib, "cancel", partly_filled.client_order_id, *acct)
    assert rest.returncode == 0, rest.stderr
    assert "Booked from IB: fills recovered from the broker: 1" in rest.stdout
    assert f"{partly_filled.client_order_id} (BUY {partly_filled.quantity}" in rest.stdout
    assert f"{part} of {partly_filled.quantity} filled" in rest.stdout
    assert gateway.order(partly_filled.client_order_id).status == "Cancelled"

    done = traded_cli(*on_ib, "cancel", filled.client_order_id, *acct)
    assert done.returncode == 1
    assert (
        f"order {filled.client_order_id} is already FILLED at IB ({filled.quantity} of "
        f"{filled.quantity} filled, booked in the ledger now): nothing to cancel"
    ) in done.stderr
    booked_orders = ledger_orders(data_dir)
    assert (
        booked_orders[partly_filled.client_order_id].status,
        booked_orders[partly_filled.client_order_id].filled_quantity,
    ) == (OrderStatus.CANCELLED, part)
    assert (
        booked_orders[filled.client_order_id].status,
        booked_orders[filled.client_order_id].filled_quantity,
    ) == (OrderStatus.FILLED, filled.quantity)
    positions = traded_cli("positions", "--account", ACCOUNT)
    assert positions.returncode == 0, positions.stderr
    assert "2 open position(s)" in positions.stdout

    # 6. The next live run finds the ledger and IB agreeing.
    with MovingMarket(gateway, last_closes(data_dir)):
        again = traded_cli(*live)
    assert again.returncode == 0, again.stderr
    assert f"Connected to IB account {ACCOUNT}; reconciliation: books agree" in again.stdout
    assert "Recovery:" not in again.stdout
    assert "Positions agree with IB's" in again.stdout
    final = ledger_orders(data_dir)
    assert final[moved.client_order_id].limit_price == new_price
    assert final[doomed.client_order_id].status is OrderStatus.CANCELLED


def test_cancel_live_refuses_an_order_ib_does_not_know(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    data_dir = tmp_path / "data"
    config = limit_gtc_config(tmp_path, gateway.port)
    # An order saved for IB that never reached it (a crash between the save and the send).
    at = datetime(2024, 3, 1, 15, tzinfo=UTC)
    lost = Order(
        client_order_id=f"{ACCOUNT}-SYN00-lost",
        symbol="SYN00",
        side=OrderSide.BUY,
        quantity=Decimal(10),
        created_at=at,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        limit_price=Decimal(100),
        account=ACCOUNT,
    )
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        ledger.open_account(ACCOUNT, Decimal(85_000), at)
        ledger.save_order(attrs.evolve(lost))
    before = ledger_state(data_dir)

    result = traded_cli(
        "--config", str(config), "cancel", lost.client_order_id, "--account", ACCOUNT, "--live"
    )

    assert result.returncode == 1
    assert f"Connected to IB account {ACCOUNT}; reconciliation: " in result.stdout
    assert (
        f"order {lost.client_order_id}: IB account {ACCOUNT} has no order under this client "
        "order id; nothing to cancel at IB"
    ) in result.stderr
    assert ledger_state(data_dir) == before
    assert gateway.requests(CANCEL_ORDER) == []
