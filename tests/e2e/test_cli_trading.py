"""The trading commands through the real CLI: orders, pnl, kill, reset-kill, live, the calendar."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from quantcli.adapters.storage import SqliteDatabase, SqliteKillSwitchStore, SqliteLedger
from quantcli.domain.kill_switch import KillAction, KillTrigger

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def ledger_orders(data_dir: Path, account: str) -> list[object]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return list(SqliteLedger(database).orders(account=account))


@pytest.mark.parametrize("command", ["orders", "pnl", "kill", "reset-kill", "live"])
def test_trading_commands_have_help(run_cli: RunCli, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: " in result.stdout


def test_orders_lists_every_order_with_status_client_id_and_fills(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    result = traded_cli("orders")

    assert result.returncode == 0, result.stderr
    orders = ledger_orders(tmp_path / "data", "paper")
    assert f"Account paper: {len(orders)} orders" in result.stdout
    for order in orders:
        line = next(x for x in result.stdout.splitlines() if order.client_order_id in x)
        assert order.status.value in line
    assert re.search(r"FILLED\s+1\s+SIM-\d+", result.stdout)


def test_orders_open_shows_only_working_orders(traded_cli: RunCli, tmp_path: Path) -> None:
    result = traded_cli("orders", "--open")

    assert result.returncode == 0, result.stderr
    working = [o for o in ledger_orders(tmp_path / "data", "paper") if o.status.is_open]
    assert f"Account paper: {len(working)} open orders" in result.stdout
    assert "FILLED" not in result.stdout


def test_pnl_shows_realized_unrealized_by_symbol_and_daily(traded_cli: RunCli) -> None:
    result = traded_cli("pnl", "--days", "5")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^symbol\s+quantity\s+realized\s+unrealized\s+total", out, re.MULTILINE)
    assert re.search(r"^Realized -?[\d,]+\.\d\d, unrealized -?[\d,]+\.\d\d", out, re.MULTILINE)
    assert "total P&L" in out
    assert "Daily P&L (last 5 of 19 days):" in out
    assert len(re.findall(r"^\d{4}-\d\d-\d\d\s", out, re.MULTILINE)) == 5


def test_pnl_and_orders_of_an_unknown_account(traded_cli: RunCli) -> None:
    # Every command refuses an unknown account alike (test_cli_exit_codes covers them all).
    for command in ("orders", "pnl"):
        result = traded_cli(command, "--account", "nobody")
        assert result.returncode == 1
        assert "account nobody is not in the ledger; accounts: paper" in result.stderr


def test_kill_trips_persists_blocks_paper_trading_and_reset_kill_rearms(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    assert "Kill switch: armed (never tripped)" in traded_cli("kill", "--status").stdout
    missing = traded_cli("kill")
    assert missing.returncode == 2
    assert "give --reason to trip the kill switch" in missing.stderr

    tripped = traded_cli("kill", "--reason", "desk halt")
    assert tripped.returncode == 0, tripped.stderr
    assert "tripped [manual] by " in tripped.stdout
    assert "Kill switch: TRIPPED" in traded_cli("positions").stdout

    # A new process: the trip is still in force, so the session runs but sends nothing.
    blocked = traded_cli("paper", "--account", "halted", "--days", "5")
    assert blocked.returncode == 0, blocked.stderr
    assert "0 orders submitted" in blocked.stdout
    assert re.search(r"signal\(s\) blocked", blocked.stdout)
    assert ledger_orders(tmp_path / "data", "halted") == []

    refused = traded_cli("reset-kill")
    assert refused.returncode == 2
    assert "refusing to reset the kill switch without --confirm" in refused.stderr
    reset = traded_cli("reset-kill", "--confirm", "--reason", "limits checked")
    assert reset.returncode == 0, reset.stderr
    assert "reset by " in reset.stdout
    status = traded_cli("kill", "--status").stdout
    assert "Kill switch: armed (last " in status
    assert "desk halt" in status
    assert "limits checked" in status

    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        events = SqliteKillSwitchStore(database).kill_switch_events()
    assert [(e.action, e.trigger) for e in events] == [
        (KillAction.TRIP, KillTrigger.MANUAL),
        (KillAction.RESET, None),
    ]
    assert all(e.actor for e in events)
    again = traded_cli("reset-kill", "--confirm")
    assert "not tripped; nothing to reset" in again.stdout


def test_paper_rejects_bars_on_days_the_exchange_is_closed_by_name(traded_cli: RunCli) -> None:
    result = traded_cli("paper", "--account", "calendar", "--days", "30")

    assert result.returncode == 0, result.stderr
    assert "2018-11-22 is not a XNYS session (holiday Thanksgiving)" in result.stderr
    assert "Paper account calendar: 30 bars (1 rejected: no exchange session)" in result.stdout


def test_paper_resumes_an_account_instead_of_trading_it_twice(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    first = traded_cli("paper", "--account", "twice", "--days", "8")
    before = ledger_orders(tmp_path / "data", "twice")
    second = traded_cli("paper", "--account", "twice", "--days", "8")

    assert second.returncode == 0, second.stderr
    assert "Resuming account twice after its last finished bar" in second.stdout
    # The window holds a bar on Thanksgiving, which is no session: 7 were traded.
    assert "Paper account twice: 0 bars (7 done before)" in second.stdout
    assert "0 fills" not in first.stdout
    assert ledger_orders(tmp_path / "data", "twice") == before
    assert first.returncode == 0


def test_live_refuses_to_start_without_account_and_confirmation(run_cli: RunCli) -> None:
    neither = run_cli("live")
    only_account = run_cli("live", "--account", "U123")
    only_confirm = run_cli("live", "--confirm-live")

    assert (neither.returncode, only_account.returncode, only_confirm.returncode) == (2, 2, 2)
    assert "without --account ID and --confirm-live" in neither.stderr
    assert "without --confirm-live:" in only_account.stderr
    assert "without --account ID:" in only_confirm.stderr


def test_live_shows_account_and_limits_then_stops_without_a_live_broker(run_cli: RunCli) -> None:
    result = run_cli("live", "--account", "U123", "--confirm-live")

    assert result.returncode == 1
    assert "Live trading account U123 through broker 'simulated'" in result.stdout
    assert "Risk limits: position 10.00% of equity" in result.stdout
    assert "Kill switch: more than 20 rejects" in result.stdout
    assert "Error: no live broker is configured: trading.broker is 'simulated'" in result.stderr


def test_an_unknown_broker_setting_names_file_and_key(run_cli: RunCli, tmp_path: Path) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("trading:\n  broker: etrade\n")

    result = run_cli("--config", str(override), "live", "--account", "U1", "--confirm-live")

    assert result.returncode == 2
    assert "bad.yaml: trading.broker: 'etrade' is not one of simulated, ibkr" in result.stderr
