"""The same mistake gets the same exit code and message shape from every command, and Ctrl-C
ends any command with one line saying where it stopped, exit 130, no traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from quantcli.adapters.storage import SqliteDatabase, SqliteLedger

RunCli = Callable[..., subprocess.CompletedProcess[str]]
MODEL = "direction-ensemble"  # what the quickstart registers, version 1

ACCOUNT_COMMANDS = [
    ("orders",),
    ("orders", "--open"),
    ("positions",),
    ("pnl",),
    ("cancel", "paper-SYN00-20180101T000000"),
    ("replace", "paper-SYN00-20180101T000000", "--quantity", "3"),
    ("kill", "--status"),
    ("kill", "--reason", "typo in the account"),
]


@pytest.mark.parametrize("command", ACCOUNT_COMMANDS, ids=" ".join)
def test_an_unknown_account_is_one_error_for_every_command(
    traded_cli: RunCli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = traded_cli(*command, "--account", "nobody")

    assert result.returncode == 1
    assert result.stderr == "Error: account nobody is not in the ledger; accounts: paper\n"
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        assert SqliteLedger(database).accounts() == ["paper"]


def test_an_unknown_account_on_a_fresh_data_dir_says_how_to_open_one(run_cli: RunCli) -> None:
    result = run_cli("positions")

    assert result.returncode == 1
    assert result.stderr == (
        "Error: account paper is not in the ledger; accounts: none yet "
        "(`quantcli paper` opens one)\n"
    )


VERSION_COMMANDS = [
    ("validate", MODEL, "--version", "{}"),
    ("models", "show", MODEL, "--version", "{}"),
    ("models", "promote", MODEL, "{}"),
]


def _with_version(command: tuple[str, ...], version: str) -> list[str]:
    return [part.format(version) for part in command]


@pytest.mark.parametrize("command", VERSION_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_bad_version_is_one_error_for_every_command(
    traded_cli: RunCli, command: tuple[str, ...]
) -> None:
    missing = traded_cli(*_with_version(command, "99"))
    malformed = [traded_cli(*_with_version(command, bad)) for bad in ("0", "two")]

    assert missing.returncode == 1
    assert missing.stderr == f"Error: model {MODEL} has no version 99; versions: 1\n"
    for result in malformed:
        assert result.returncode == 2
        assert "Usage:" in result.stderr
        assert "Invalid value for " in result.stderr


@pytest.mark.parametrize(
    "command", [("validate", "ghost"), ("models", "show", "ghost")], ids=" ".join
)
def test_an_unknown_model_is_one_error_for_every_command(
    traded_cli: RunCli, command: tuple[str, ...]
) -> None:
    result = traded_cli(*command)

    assert result.returncode == 1
    assert result.stderr == f"Error: model ghost is not registered; registered models: {MODEL}\n"


def interrupt(
    tmp_path: Path, args: tuple[str, ...], after_line: str, wait: float
) -> tuple[int, str, str]:
    """Start `quantcli ARGS`, wait for a stderr line holding `after_line`, then `wait` seconds,
    and send SIGINT; returns (exit code, stdout, stderr)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "quantcli", *args],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        while True:
            line = process.stderr.readline()
            assert line, f"quantcli ended before {after_line!r}: {''.join(seen)}"
            seen.append(line)
            if after_line in line:
                break
        time.sleep(wait)
        assert process.poll() is None, "quantcli finished before the interrupt"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode, out, "".join(seen) + err


def test_ctrl_c_in_paper_says_which_bar_and_how_to_resume_then_exits_130(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    code, _out, err = interrupt(
        tmp_path,
        ("paper", "--account", "fresh", "--days", "20", "--pace", "1"),
        "Paper trading",
        3.5,
    )

    assert code == 130
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("Interrupted")]
    assert re.fullmatch(
        r"Interrupted during paper trading of account fresh; stopped (after|in) bar \d+ of 20"
        r".*`quantcli paper --account fresh` resumes after \d{4}-\d\d-\d\d.*",
        line,
    ), line
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        saved = SqliteLedger(database).portfolio_as_of("fresh")
    assert saved is not None
    assert f"resumes after {saved:%Y-%m-%d}" in line
    resumed = traded_cli("paper", "--account", "fresh", "--days", "20")
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming account fresh after its last finished bar {saved:%Y-%m-%d}" in resumed.stdout


def test_ctrl_c_in_train_says_nothing_was_registered_then_exits_130(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    code, _out, err = interrupt(tmp_path, ("train",), "Training ", 2.0)

    assert code == 130
    assert "Traceback" not in err
    assert re.search(
        r"^Interrupted during training; stopped at split \d+ of \d+, no model version registered$",
        err,
        re.MULTILINE,
    ), err
    listed = traded_cli("models", "list", MODEL)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[1] for line in listed.stdout.splitlines()[2:]] == ["1"]


def test_ctrl_c_in_tune_says_nothing_was_saved_then_exits_130(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    code, _out, err = interrupt(tmp_path, ("tune", "--trials", "5"), "Tuning: ", 2.0)

    assert code == 130
    assert "Traceback" not in err
    assert re.search(
        r"^Interrupted during tuning; stopped after \d of 5 trial\(s\), none saved and no best "
        r"parameters written$",
        err,
        re.MULTILINE,
    ), err
    assert not (tmp_path / "data" / "tuning" / "best_models.yaml").exists()
