"""What the commands print: numbers formatted one way everywhere, progress per CPCV split and
tuning trial, no Optuna log lines, and no temporary folder left by an interrupted train."""

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

RunCli = Callable[..., subprocess.CompletedProcess[str]]

RAW_FLOAT = re.compile(r"\d\.\d{5,}")  # 2288.0175924188866, 118.74500000000002
SIGNED_ZERO = re.compile(r"-0\.0+(?![0-9])")  # -0.00%, -0.00
# A count of 1,000 or more printed without separators (not part of a date, time, id or hash).
BARE_COUNT = re.compile(r"(?<![\w.,:/+\-])\d{4,}(?![\w.,:\-])")
# A light profile so train and tune take seconds on the 4-symbol quickstart data.
FAST = """models:
  cpcv: {n_folds: 4, n_test_folds: 1}
  ensemble: {inner_folds: 2}
  lightgbm: {num_boost_round: 10}
  xgboost: {num_boost_round: 10}
  catboost: {iterations: 10}
"""


def formatting_problems(text: str) -> list[str]:
    """Every raw float, signed zero and unseparated count in `text`, with its line."""
    problems = []
    for line in text.splitlines():
        for kind, pattern in (
            ("raw float", RAW_FLOAT),
            ("signed zero", SIGNED_ZERO),
            ("count without separators", BARE_COUNT),
        ):
            problems += [f"{kind} {m.group()!r} in: {line}" for m in pattern.finditer(line)]
    return problems


def fast_config(tmp_path: Path) -> str:
    path = tmp_path / "fast.yaml"
    path.write_text(FAST)
    return str(path)


def test_the_format_checks_catch_what_the_issue_reported() -> None:
    assert formatting_problems("x 2288.0175924188866 y 118.74500000000002") != []
    assert formatting_problems("return -0.00%") != []
    assert formatting_problems("trades   6791") != []
    assert formatting_problems("Stored 40,320 bars: 2016-01-04 to 2023-09-25 23:08:24") == []
    assert formatting_problems("paper-SYN01-20230829T000000 hash 91d6b2ed5969 rsi_14") == []


def test_every_command_prints_numbers_consistently(traded_cli: RunCli) -> None:
    commands = [
        ("data", "generate", "--symbols", "4", "--years", "3"),
        ("validate",),
        ("models", "list"),
        ("models", "show", "direction-ensemble"),
        ("backtest",),
        ("backtest", "--strategy", "sma_cross"),
        ("signals",),
        ("positions",),
        ("orders",),
        ("pnl",),
        ("kill", "--status"),
    ]
    problems = []
    for command in commands:
        result = traded_cli(*command)
        assert result.returncode in (0, 1), (command, result.stderr)  # validate: 1 on a FAIL
        problems += [f"{' '.join(command)}: {p}" for p in formatting_problems(result.stdout)]
        problems += [f"{' '.join(command)}: {p}" for p in formatting_problems(result.stderr)]
    assert problems == []


def test_validate_shows_each_gate_in_its_own_format(traded_cli: RunCli) -> None:
    result = traded_cli("validate")

    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[3:]}
    assert re.fullmatch(r"0\.\d{4}|1\.0000", rows["psr"][1])
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", rows["track_record"][1])
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", rows["track_record"][3])
    assert re.fullmatch(r"-?\d+\.\d{2}", rows["mean_sharpe"][1])
    assert rows["mean_sharpe"][3] == "1.00"
    assert re.fullmatch(r"-\d+\.\d{2}%", rows["max_drawdown"][1])
    assert rows["max_drawdown"][3] == "-25.00%"


def test_train_prints_each_split_and_removes_what_an_interrupted_run_left(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    registry = tmp_path / "data" / "model_registry" / "direction-ensemble"
    leftover = registry / ".v0007.0a1b2c3d.tmp" / "model"
    leftover.mkdir(parents=True)  # as a train killed while writing its version leaves it
    (leftover / "model.txt").write_text("half a model")
    stale = tmp_path / "data" / "features" / ".oos_predictions.999999.x1y2z3.parquet.tmp"
    stale.write_bytes(b"half a table")

    result = traded_cli("--config", fast_config(tmp_path), "train")

    assert result.returncode == 0, result.stderr
    splits = [line.strip() for line in result.stderr.splitlines() if "split " in line]
    assert [s.split(":")[0] for s in splits] == [f"split {i}/4" for i in range(1, 5)]
    assert all(re.search(r"AUC 0\.\d{4}\b", s) for s in splits)
    assert "registered (candidate)" in result.stdout
    assert formatting_problems(result.stdout + result.stderr) == []
    assert not leftover.parent.exists()
    assert not stale.exists()
    assert [p.name for p in tmp_path.joinpath("data").rglob("*.tmp")] == []


def test_tune_prints_one_line_per_trial_and_no_optuna_log_lines(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    result = traded_cli("--config", fast_config(tmp_path), "tune", "--trials", "2")

    assert result.returncode == 0, result.stderr
    trials = [line.strip() for line in result.stderr.splitlines() if "trial " in line]
    assert re.fullmatch(
        r"trial 1/2: Sharpe -?\d+\.\d{2}, AUC 0\.\d{4} \(best Sharpe .+\)", trials[0]
    )
    assert trials[1].startswith("trial 2/2: ")
    assert "[I " not in result.stderr  # Optuna's own "[I 2024-...] A new study created ..."
    assert "A new study created" not in result.stdout + result.stderr
    assert formatting_problems(result.stdout + result.stderr) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_an_interrupted_train_leaves_no_temporary_folder(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    versions_before = sorted(p.name for p in (data / "model_registry").rglob("v0*"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(data)
    with subprocess.Popen(
        [sys.executable, "-m", "quantcli", "--config", fast_config(tmp_path), "train"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        deadline = time.monotonic() + 300
        for line in process.stderr:  # Ctrl-C once CPCV is under way
            if "split 1/4" in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=300)

    assert process.returncode != 0, rest
    assert [p.name for p in data.rglob("*.tmp")] == []
    assert sorted(p.name for p in (data / "model_registry").rglob("v0*")) == versions_before
