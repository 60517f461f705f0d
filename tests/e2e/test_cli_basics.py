"""Every command answers --help, and bad configuration exits non-zero naming file and key."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]

COMMANDS = [
    (),
    ("quickstart",),
    ("data",),
    ("data", "generate"),
    ("data", "import"),
    ("features",),
    ("features", "build"),
    ("features", "check"),
    ("train",),
    ("backtest",),
    ("signals",),
    ("paper",),
    ("positions",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "quantcli")
def test_every_command_has_help(run_cli: RunCli, command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")

    assert result.returncode == 0, result.stderr
    assert "Usage: " in result.stdout


def test_unknown_config_key_exits_non_zero_naming_file_and_key(
    run_cli: RunCli, tmp_path: Path
) -> None:
    override = tmp_path / "override.yaml"
    override.write_text("risk:\n  limits:\n    max_positon_weight: 0.2\n")

    result = run_cli("--config", str(override), "positions")

    assert result.returncode == 2
    assert "override.yaml" in result.stderr
    assert "limits.max_positon_weight" in result.stderr


def test_config_selected_by_environment_variable_is_checked(
    run_cli: RunCli, tmp_path: Path
) -> None:
    override = tmp_path / "broken.yaml"
    override.write_text("backtest:\n  commission:\n    per_share: abc\n")

    result = run_cli("positions", env={"QUANTCLI_CONFIG": str(override)})

    assert result.returncode == 2
    assert "broken.yaml" in result.stderr
    assert "commission.per_share" in result.stderr


def test_commands_before_any_data_fail_with_a_hint(run_cli: RunCli) -> None:
    result = run_cli("features", "build")

    assert result.returncode == 1
    assert "bar store is empty" in result.stderr
