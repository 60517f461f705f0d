"""`quantcli kill` on accounts no session is running, and `positions` of an account that stopped
at an earlier bar, through the real CLI over a quickstart-traded data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderStatus

RunCli = Callable[..., subprocess.CompletedProcess[str]]
PACED_SESSION = ("--account", "busy", "--days", "20", "--pace", "1")


def ledger_orders(data_dir: Path, account: str) -> list[Order]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return list(SqliteLedger(database).orders(account=account))


def book_status(data_dir: Path, account: str, client_order_id: str) -> OrderStatus:
    journal = SimulatedBrokerJournal(data_dir / "paper_broker.db", account)
    broker = SimulatedBroker(CommissionSchedule(), SlippageModel(), journal=journal)
    state = broker.lookup_order(client_order_id)
    assert state is not None
    return state.order.status


def test_kill_with_no_session_running_cancels_working_paper_orders_and_says_how_many(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    working = [o.client_order_id for o in ledger_orders(data_dir, "paper") if o.status.is_open]
    assert working  # the quickstart's paper account ends with working orders

    result = traded_cli("kill", "--reason", "halt")

    assert result.returncode == 0, result.stderr
    assert (
        f"Account paper: cancelled {len(working)} working paper order(s) (no session running): "
        f"{', '.join(working)}\n"
    ) in result.stdout
    after = {o.client_order_id: o for o in ledger_orders(data_dir, "paper")}
    for order_id in working:
        assert after[order_id].status is OrderStatus.CANCELLED
        assert after[order_id].cancel_reason == "kill switch tripped: halt"
        assert book_status(data_dir, "paper", order_id) is OrderStatus.CANCELLED
    assert "Account paper: 0 open orders" in traded_cli("orders", "--open").stdout
    again = traded_cli("kill", "--reason", "twice")
    assert "No working paper orders to cancel." in again.stdout


def _paced_session(tmp_path: Path) -> subprocess.Popen[str]:
    """`quantcli paper` of account busy, one bar a second, in the background."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.Popen(
        [sys.executable, "-m", "quantcli", "paper", *PACED_SESSION],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_leaves_the_orders_of_a_running_session_to_it(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    session = _paced_session(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not any(o.status.is_open for o in ledger_orders(data_dir, "busy")):
            assert session.poll() is None, session.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)

        result = traded_cli("kill", "--reason", "halt")

        out, err = session.communicate(timeout=120)
    finally:
        session.kill()
    assert result.returncode == 0, result.stderr
    assert "Account busy: a session is running; it cancels its orders" in result.stdout
    assert "Account paper: cancelled " in result.stdout
    assert session.returncode == 0, err
    assert "Kill switch TRIPPED" in out
    # The session acted on the trip itself at its next bar: nothing of busy is left working.
    assert not any(o.status.is_open for o in ledger_orders(data_dir, "busy"))


def test_cancel_and_replace_refuse_an_account_a_session_is_trading(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    # Each process holds its own copy of the simulated book: a change made beside a running
    # session would be lost or doubled, so it is refused and nothing changes.
    data_dir = tmp_path / "data"
    session = _paced_session(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (working := [o for o in ledger_orders(data_dir, "busy") if o.status.is_open]):
            assert session.poll() is None, session.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        order_id = working[0].client_order_id
        cancelled = traded_cli("cancel", order_id, "--account", "busy")
        replaced = traded_cli("replace", order_id, "--account", "busy", "--quantity", "1")
    finally:
        session.kill()
        session.communicate(timeout=60)
    for result, action in ((cancelled, "cancel"), (replaced, "replace")):
        assert result.returncode == 1, result.stdout
        assert (
            f"Error: cannot {action} order {order_id}: a paper session is trading account busy; "
        ) in result.stderr


def test_positions_mark_an_account_at_its_own_last_bar_and_say_so(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        bars = SqliteBarStore(database).read_bars(None)
        ledger = SqliteLedger(database)
        as_of = ledger.portfolio_as_of("paper")
        portfolio = ledger.load_portfolio("paper")
    assert as_of is not None
    assert portfolio is not None
    held = {s: p for s, p in portfolio.positions.items() if p.quantity != 0}
    assert held
    # Three later sessions at half the price: the store moves on, the account does not.
    last = bars[bars["timestamp"] == bars["timestamp"].max()]
    days = pd.bdate_range(last["timestamp"].max() + pd.Timedelta(days=1), periods=3)
    later = pd.DataFrame(
        [
            {
                "timestamp": f"{day:%Y-%m-%d}",
                "symbol": bar.symbol,
                "open": bar.close / 2,
                "high": bar.close / 2,
                "low": bar.close / 2,
                "close": bar.close / 2,
                "volume": bar.volume,
            }
            for day in days
            for bar in last.itertuples()
        ]
    )
    path = tmp_path / "later.csv"
    later.to_csv(path, index=False)
    assert traded_cli("data", "import", str(path)).returncode == 0

    result = traded_cli("positions")

    assert result.returncode == 0, result.stderr
    assert (
        f"open position(s), marked at the close of {as_of:%Y-%m-%d}, the account's last bar\n"
    ) in result.stdout
    closes = bars[bars["timestamp"] == pd.Timestamp(as_of)].set_index("symbol")["close"]
    for symbol, position in held.items():
        close = Decimal(repr(float(closes[symbol])))
        unrealized = position.unrealized_pnl(close)
        row = next(line for line in result.stdout.splitlines() if line.startswith(symbol))
        assert row.split()[3:5] == [f"{close:,.2f}", f"{unrealized:,.2f}"], row
