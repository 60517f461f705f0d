"""Run the real `quantcli` command in a scratch folder with its own data directory."""

from __future__ import annotations

import os
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
