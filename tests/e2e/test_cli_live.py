"""`quantcli live` and `quantcli paper --feed ibkr` against a fake IB gateway on loopback.

The gateway speaks the TWS socket protocol (tests/integration/adapters/brokers); a thread moves
its quotes while the real `quantcli` process trades them, bar by bar.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from quantcli.adapters.storage import (
    SqliteDatabase,
    SqliteKillSwitchStore,
    SqliteLedger,
)
from quantcli.domain.kill_switch import KillAction, KillSwitchEvent, KillTrigger

sys.path.insert(0, str(Path(__file__).parent))  # live_gateway, the shared helpers

from live_gateway import (
    ACCOUNT,
    PLACE_ORDER,
    FakeIbGateway,
    MovingMarket,
    last_closes,
    write_config,
)

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def gateway() -> Iterator[FakeIbGateway]:
    contracts = {f"SYN{i:02d}": 90_000_000 + i for i in range(4)}  # the quickstart's universe
    fake = FakeIbGateway(accounts=(ACCOUNT,), contracts=contracts).start()
    yield fake
    fake.stop()


def test_live_trades_ib_bar_by_bar_and_a_restart_duplicates_nothing(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    config = write_config(tmp_path, gateway.port)
    closes = last_closes(tmp_path / "data")
    live = ("--config", str(config), "live", "--account", ACCOUNT, "--confirm-live")

    with MovingMarket(gateway, closes):
        first = traded_cli(*live, "--bars", "3")
        orders_after_first = list(gateway.orders)
        second = traded_cli(*live, "--bars", "2")

    assert first.returncode == 0, first.stderr
    assert f"Connected to IB account {ACCOUNT}; reconciliation: books agree" in first.stdout
    assert "Model: direction-ensemble v1 (candidate)" in first.stdout.splitlines()
    assert "Trading SYN00, SYN01, SYN02, SYN03 on 1-second bars, 3 bar(s)" in first.stdout
    assert "bar 3:" in first.stdout
    assert f"Live account {ACCOUNT}: 3 bars, 4 orders submitted" in first.stdout
    assert "Positions agree with IB's" in first.stdout
    # Every order reached IB under its client order id, was filled, and moved IB's positions.
    assert sorted(o.symbol for o in orders_after_first) == sorted(closes)
    assert all(o.order_ref.startswith(f"{ACCOUNT}-SYN") for o in orders_after_first)
    assert all(o.status == "Filled" and o.action == "BUY" for o in orders_after_first)
    assert all(gateway.positions[o.symbol].quantity == o.quantity for o in orders_after_first)

    # The restart reconciles clean against IB and, already at target, sends nothing new.
    assert second.returncode == 0, second.stderr
    assert "reconciliation: books agree" in second.stdout
    assert f"Live account {ACCOUNT}: 2 bars, 0 orders submitted" in second.stdout
    assert len(gateway.orders) == len(orders_after_first)

    positions = traded_cli("positions", "--account", ACCOUNT)
    assert positions.returncode == 0, positions.stderr
    assert "4 open position(s)" in positions.stdout
    for order in orders_after_first:
        assert f"{order.symbol}" in positions.stdout
        assert f"{order.quantity:,.0f}" in positions.stdout


def test_live_refuses_to_start_on_a_new_account_ib_already_holds(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    gateway.add_position("SYN01", "10", "50")
    config = write_config(tmp_path, gateway.port)

    result = traded_cli(
        "--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1"
    )

    assert result.returncode == 1
    assert (
        "reconciliation: position SYN01 held only at the broker: local 0, broker 10"
        in result.stdout
    )
    assert f"account {ACCOUNT}: positions differ from IB's: SYN01 ledger 0 vs broker 10" in (
        result.stderr
    )
    assert "trading does not start on a broken book" in result.stderr
    assert gateway.requests(PLACE_ORDER) == []


def test_live_refuses_a_ledger_that_disagrees_with_ib(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    config = write_config(tmp_path, gateway.port)
    with MovingMarket(gateway, last_closes(tmp_path / "data")):
        first = traded_cli(
            "--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1"
        )
        assert first.returncode == 0, first.stderr
        gateway.add_position("SYN00", "5", "100")  # a trade made outside QuantCLI
        second = traded_cli(
            "--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1"
        )

    assert second.returncode == 1
    assert f"account {ACCOUNT}: positions differ from IB's: SYN00 ledger" in second.stderr
    assert "trading does not start on a broken book" in second.stderr


def test_live_stops_cleanly_on_sigterm_after_the_bar_in_hand(
    traded_data_dir: Path, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    data_dir = tmp_path / "data"
    subprocess.run(["cp", "-r", str(traded_data_dir), str(data_dir)], check=True)
    config = write_config(tmp_path, gateway.port)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "quantcli", "--config", str(config), "live"]
    command += ["--account", ACCOUNT, "--confirm-live"]
    with MovingMarket(gateway, last_closes(data_dir)):
        process = subprocess.Popen(
            command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, text=True,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("bar 1:"):
                break
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert "SIGTERM: stopping after the bar in hand" in err
    assert f"Live account {ACCOUNT}:" in out
    assert "Positions agree with IB's" in out


def test_paper_on_ib_quotes_fills_through_the_simulated_broker(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    config = write_config(tmp_path, gateway.port)
    with MovingMarket(gateway, last_closes(tmp_path / "data")):
        result = traded_cli(
            "--config", str(config), "paper", "--feed", "ibkr", "--account", "ibpaper",
            "--bars", "2",
        )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert f"Connected to IB at 127.0.0.1:{gateway.port} for market data" in result.stdout
    assert "Model: direction-ensemble v1 (candidate)" in result.stdout.splitlines()
    assert "Paper account ibpaper: 2 bars, 4 orders submitted" in result.stdout
    assert "4 fills" in result.stdout
    assert "Positions agree with the simulated broker's" in result.stdout
    assert gateway.requests(PLACE_ORDER) == []  # orders never leave the machine


def test_live_without_a_gateway_fails_after_its_retries(traded_cli: RunCli, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = write_config(tmp_path, closed_port)

    result = traded_cli(
        "--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1"
    )

    assert result.returncode == 1
    assert f"127.0.0.1:{closed_port}" in result.stderr
    assert "Traceback" not in result.stderr


def start_live(data_dir: Path, config: Path, *bars: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "quantcli", "--config", str(config), "live"]
    command += ["--account", ACCOUNT, "--confirm-live", *bars]
    return subprocess.Popen(
        command, cwd=data_dir.parent, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


# Seeds chosen so the kill comes after 0, 1, 2, 3 and 4 orders reached IB.
@pytest.mark.parametrize("seed", [2, 1, 7, 9, 5])
def test_live_killed_at_a_random_moment_restarts_without_losing_or_doubling_orders(
    traded_data_dir: Path, tmp_path: Path, gateway: FakeIbGateway, seed: int
) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    shutil.copytree(traded_data_dir, data_dir)
    config = write_config(tmp_path, gateway.port)
    with MovingMarket(gateway, last_closes(data_dir)):
        crashed = start_live(data_dir, config)
        # Right after connecting, or while the first bar's orders go out and their fills
        # come back: after the k-th order reached IB, within a few milliseconds.
        orders_sent = rng.randint(0, 4)
        deadline = time.monotonic() + 60
        while crashed.poll() is None and (
            gateway.connections == 0 or len(gateway.requests(PLACE_ORDER)) < orders_sent
        ):
            assert time.monotonic() < deadline, "live made no progress within 60 s"
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.02 if orders_sent else 0.5))
        crashed.send_signal(signal.SIGKILL)
        crashed.communicate(timeout=60)
        restarted = start_live(data_dir, config, "--bars", "2")
        out, err = restarted.communicate(timeout=300)

    assert restarted.returncode == 0, err
    assert "Positions agree with IB's" in out
    refs = [order.order_ref for order in gateway.orders]
    assert len(refs) == len(set(refs)), f"an order reached IB twice: {refs}"
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        saved = {order.client_order_id: order for order in ledger.orders(account=ACCOUNT)}
        held = ledger.load_portfolio(ACCOUNT)
    # Every order IB has is in the ledger with IB's fills; every ledger order IB filled too.
    for order in gateway.orders:
        assert saved[order.order_ref].filled_quantity == order.filled
    assert held is not None
    ledger_positions = {s: p.quantity for s, p in held.positions.items() if not p.is_flat}
    ib_positions = {s: p.quantity for s, p in gateway.positions.items() if p.quantity != 0}
    assert ledger_positions == ib_positions
    assert ib_positions, "the session never traded: the test proves nothing"


def test_ib_gone_for_good_trips_the_kill_switch_and_blocks_orders(
    traded_data_dir: Path, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(traded_data_dir, data_dir)
    config = write_config(tmp_path, gateway.port, max_disconnected_seconds=1)
    with MovingMarket(gateway, last_closes(data_dir)) as market:
        process = start_live(data_dir, config)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("bar 1:"):
                break
        market.halt()
        gateway.stop()  # the gateway is gone: every reconnect attempt fails
        deadline = time.monotonic() + 60
        while not kill_switch_trips(data_dir):
            assert time.monotonic() < deadline, "the kill switch did not trip within 60 s"
            time.sleep(0.1)
        orders_at_trip = len(gateway.orders)
        time.sleep(1.5)  # more bars (flat, from the last quotes) arrive and are blocked
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)

    (trip,) = kill_switch_trips(data_dir)
    assert trip.trigger is KillTrigger.BROKER_DISCONNECTED
    assert trip.account == ACCOUNT
    assert "broker disconnected since" in trip.reason
    assert len(gateway.orders) == orders_at_trip
    # The final check cannot reach IB: it says so and exits non-zero instead of guessing.
    assert process.returncode == 1
    assert f"Live account {ACCOUNT}:" in out
    assert "Kill switch TRIPPED" in out
    assert "Error: IB gateway 127.0.0.1" in err
    assert "reconnecting gave up" in err


def kill_switch_trips(data_dir: Path) -> list[KillSwitchEvent]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        events = SqliteKillSwitchStore(database).kill_switch_events()
    return [event for event in events if event.action is KillAction.TRIP]


def test_daily_live_bars_refuse_a_stored_history_that_is_not_current(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    config = write_config(tmp_path, gateway.port)
    text = config.read_text().replace('calendar: "24/7"', "calendar: XNYS")
    config.write_text(text.replace("bars: interval", "bars: session"))

    result = traded_cli(
        "--config", str(config), "live", "--account", ACCOUNT, "--confirm-live", "--bars", "1"
    )

    # The synthetic history of the quickstart ends years ago: thousands of sessions are missing.
    assert result.returncode == 1
    assert "Error: stored history is not current before the first live bar" in result.stderr
    assert re.search(r"SYN00 ends \d{4}-\d\d-\d\d \(\d+ session\(s\) missing\)", result.stderr)
    assert gateway.requests(PLACE_ORDER) == []


def equity_in(line_start: str, output: str) -> float:
    line = next(line for line in output.splitlines() if line.startswith(line_start))
    return float(line.rsplit("equity ", 1)[1].replace(",", ""))


def test_a_restart_keeps_opening_cash_sizing_history_and_held_symbols(
    traded_cli: RunCli, tmp_path: Path, gateway: FakeIbGateway
) -> None:
    # Volatility targeting sizes from past returns: without them a restart would size to zero
    # and sell everything it holds.
    sizing = "risk:\n  sizing:\n    method: volatility_target\n    target_volatility: 0.5\n"
    config = write_config(tmp_path, gateway.port, extra=sizing)
    live = ("--config", str(config), "live", "--account", ACCOUNT, "--confirm-live")
    with MovingMarket(gateway, last_closes(tmp_path / "data")):
        first = traded_cli(*live, "--bars", "2")
        # IB's cash now reflects the purchases: the ledger must keep the cash it opened with.
        gateway.account_values["TotalCashValue"] = "40000.00"
        second = traded_cli(*live, "--symbol", "SYN00", "--bars", "2")

    assert first.returncode == 0, first.stderr
    assert f"Live account {ACCOUNT}: 2 bars, 4 orders submitted" in first.stdout
    assert second.returncode == 0, second.stderr
    # Held symbols are traded (valued, and closed if the model says so) even when not asked for.
    assert "Trading SYN00, SYN01, SYN02, SYN03 on 1-second bars" in second.stdout
    assert f"Live account {ACCOUNT}: 2 bars, 0 orders submitted" in second.stdout
    before = equity_in(f"Live account {ACCOUNT}", first.stdout)
    assert equity_in("bar 1:", second.stdout) == pytest.approx(before, rel=0.001)
