"""`quantcli backtest` with impact and borrow fees switched on in an override config."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., subprocess.CompletedProcess[str]]

OVERRIDE = """\
backtest:
  costs:
    square_root_impact: 0.5
    temporary_impact: 0.1
    borrow_rate: 0.05
"""


def metric(stdout: str, name: str) -> str:
    found = re.search(rf"^{re.escape(name)}\s+(\S+)$", stdout, re.MULTILINE)
    assert found, f"no {name!r} row in:\n{stdout}"
    return found.group(1)


def total_costs(stdout: str) -> float:
    return float(metric(stdout, "total costs").replace(",", ""))


def test_impact_and_borrow_raise_the_total_costs_and_win_rate_is_printed(
    run_cli: RunCli, tmp_path: Path
) -> None:
    generated = run_cli("data", "generate", "--symbols", "3", "--years", "2")
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "override.yaml").write_text(OVERRIDE)

    default = run_cli("backtest", "--strategy", "sma_cross", "--report", "default.html")
    costly = run_cli(
        "--config",
        "override.yaml",
        "backtest",
        "--strategy",
        "sma_cross",
        "--report",
        "costly.html",
    )

    assert default.returncode == 0, default.stderr
    assert costly.returncode == 0, costly.stderr
    for run in (default, costly):
        assert re.fullmatch(r"\d+\.\d\d%", metric(run.stdout, "win rate (round trips)"))
        assert re.fullmatch(r"\d+\.\d\d", metric(run.stdout, "profit factor"))
    assert total_costs(costly.stdout) > total_costs(default.stdout) > 0
    assert "margin calls" not in costly.stdout
    html = (tmp_path / "costly.html").read_text()
    assert "impact" in html
    assert "borrow" in html
