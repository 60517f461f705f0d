"""`quantcli paper` SIGKILLed at random moments, then restarted: nothing lost, nothing doubled.

Each seed kills the session once or twice a random number of bars in, at a random point within
a bar, restarts it to completion, and checks that the ledger agrees with the simulated
broker's own book (which, like a real broker's, survives the crash), and that the end result
is exactly that of a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.adapters.storage import SqliteDatabase, SqliteLedger
from quantcli.application.trading.reconcile_positions import rebuild_portfolio
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.trading_types import OrderStatus

RunCli = Callable[..., subprocess.CompletedProcess[str]]
DAYS = "40"
PACE = "0.01"


def start_paper(data_dir: Path, account: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(data_dir)
    command = ["paper", "--account", account, "--days", DAYS, "--pace", PACE]
    return subprocess.Popen(
        [sys.executable, "-m", "quantcli", *command],
        cwd=data_dir.parent,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def bars_done(data_dir: Path, account: str) -> int:
    """Bars `account` has finished, as another connection sees them (0 before any exists)."""
    try:
        with contextlib.closing(sqlite3.connect(data_dir / "quantcli.db", timeout=5)) as raw:
            row = raw.execute(
                "SELECT COUNT(*) FROM equity_history WHERE account = ?", (account,)
            ).fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def kill_at_random(data_dir: Path, account: str, rng: random.Random) -> None:
    """Start paper and SIGKILL it a few bars in, at a random point inside a bar."""
    target = bars_done(data_dir, account) + rng.randint(1, 12)
    process = start_paper(data_dir, account)
    deadline = time.monotonic() + 120
    while process.poll() is None and bars_done(data_dir, account) < target:
        assert time.monotonic() < deadline, "paper made no progress within 120 s"
        time.sleep(0.002)
    time.sleep(rng.uniform(0.0, 0.012))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def ledger_state(data_dir: Path, account: str) -> dict[str, object]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        opening = ledger.opening_cash(account)
        assert opening is not None
        return {
            "orders": ledger.orders(account=account),
            "fills": ledger.fills(account),
            "portfolio": ledger.load_portfolio(account),
            "rebuilt": rebuild_portfolio(ledger, account, opening),
            "equity": ledger.equity_history(account),
        }


def broker_book(data_dir: Path, account: str) -> SimulatedBroker:
    journal = SimulatedBrokerJournal(data_dir / "paper_broker.db", account)
    return SimulatedBroker(CommissionSchedule(), SlippageModel(), journal=journal)


def assert_ledger_agrees_with_the_broker(data_dir: Path, account: str) -> dict[str, object]:
    state = ledger_state(data_dir, account)
    orders = state["orders"]
    broker = broker_book(data_dir, account)
    ids = [o.client_order_id for o in orders]
    assert len(ids) == len(set(ids)), "a client order id was saved twice"
    sent = [o for o in orders if o.broker_order_id is not None]
    at_broker = {o.client_order_id for o in broker.open_orders()}
    for order in orders:
        assert order.status is not OrderStatus.NEW, f"{order.client_order_id} left unsettled"
        found = broker.lookup_order(order.client_order_id)
        if order.broker_order_id is None:
            assert found is None, f"{order.client_order_id} reached the broker unrecorded"
            continue
        assert found is not None, f"{order.client_order_id} lost at the broker"
        theirs = found.order
        assert (theirs.status, theirs.filled_quantity, theirs.broker_order_id) == (
            order.status,
            order.filled_quantity,
            order.broker_order_id,
        ), order.client_order_id
        assert (order.client_order_id in at_broker) == order.status.is_open
    broker_ids = {f"SIM-{n}" for n in range(1, len(sent) + 1)}
    assert {o.broker_order_id for o in sent} == broker_ids, "the broker holds an order twice"
    broker_fills = [f for o in sent for f in broker.lookup_order(o.client_order_id).fills]
    assert sorted(state["fills"], key=lambda f: f.fill_id) == sorted(
        broker_fills, key=lambda f: f.fill_id
    )
    portfolio = state["portfolio"]
    assert portfolio == state["rebuilt"]
    assert portfolio.cash == state["rebuilt"].cash
    held = {s: p.quantity for s, p in portfolio.positions.items() if p.quantity != 0}
    assert held == broker.positions(account)
    return state


def renamed(state: dict[str, object], account: str) -> dict[str, object]:
    """The state with the account's name taken out of ids, to compare two accounts."""

    def strip(text: str) -> str:
        return text.removeprefix(f"{account}-")

    return {
        "orders": [
            (
                strip(o.client_order_id),
                o.symbol,
                o.side,
                o.quantity,
                o.status,
                o.filled_quantity,
                o.average_fill_price,
                o.created_at,
            )
            for o in state["orders"]
        ],
        "fills": [
            (strip(f.fill_id), f.symbol, f.side, f.quantity, f.price, f.commission, f.timestamp)
            for f in state["fills"]
        ],
        "cash": state["portfolio"].cash,
        "equity": state["equity"],
    }


@pytest.fixture(scope="module")
def uninterrupted(traded_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The same paper run, never killed: what every recovered run must end up as."""
    root = tmp_path_factory.mktemp("uninterrupted")
    shutil.copytree(traded_data_dir, root / "data")
    process = start_paper(root / "data", "clean")
    assert process.wait(timeout=600) == 0
    return renamed(assert_ledger_agrees_with_the_broker(root / "data", "clean"), "clean")


@pytest.mark.parametrize("seed", range(5))
def test_paper_killed_at_random_moments_loses_and_duplicates_nothing(
    traded_cli: RunCli, tmp_path: Path, uninterrupted: object, seed: int
) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    for _ in range(1 + seed % 2):
        kill_at_random(data_dir, "crash", rng)

    final = traded_cli("paper", "--account", "crash", "--days", DAYS)

    assert final.returncode == 0, final.stderr
    state = assert_ledger_agrees_with_the_broker(data_dir, "crash")
    assert renamed(state, "crash") == uninterrupted
    assert state["fills"], "the session filled nothing"
    assert sum((f.quantity for f in state["fills"]), Decimal(0)) > 0
