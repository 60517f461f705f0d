"""Run the real `quantcli` command in a scratch folder with its own data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run `python -m quantcli ARGS` with QUANTCLI_DATA_DIR under tmp_path."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("QUANTCLI_")
    }
    environment["QUANTCLI_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "quantcli", *args],
            cwd=tmp_path,
            env={**environment, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def traded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after `quantcli quickstart` (4 symbols, 3 years): bars, features, a
    model, and the paper account `paper` traded. Copy it before changing anything."""
    root = tmp_path_factory.mktemp("quickstart")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(root / "data")
    completed = subprocess.run(
        [sys.executable, "-m", "quantcli", "quickstart", "--symbols", "4", "--years", "3"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return root / "data"


@pytest.fixture
def traded_cli(run_cli: RunCli, traded_data_dir: Path, tmp_path: Path) -> RunCli:
    """run_cli over a private copy of traded_data_dir."""
    shutil.copytree(traded_data_dir, tmp_path / "data")
    return run_cli
