"""`quantcli features build` and `features check` through the real CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_features_check_passes_on_a_synthetic_sample(run_cli: RunCli) -> None:
    result = run_cli("features", "check", "--synthetic", "--bars", "180")

    assert result.returncode == 0, result.stderr
    assert "Checked 46 features and the direction target on 4 symbol(s), 720 bars" in result.stdout
    assert "No look-ahead" in result.stdout


def test_features_check_on_stored_bars_then_build_records_the_hash(
    run_cli: RunCli, tmp_path: Path
) -> None:
    generated = run_cli("data", "generate", "--symbols", "3", "--years", "1")
    assert generated.returncode == 0, generated.stderr

    checked = run_cli("features", "check", "--symbol", "SYN01", "--symbol", "SYN02", "--cuts", "4")
    built = run_cli("features", "build")

    assert checked.returncode == 0, checked.stderr
    assert "on 2 symbol(s), 504 bars, at 4 cut times" in checked.stdout
    assert built.returncode == 0, built.stderr
    assert "Built 46 features and the direction target for 3 symbol(s)" in built.stdout
    assert "definition hash" in built.stdout
    assert (tmp_path / "data" / "features" / "feature_metadata.parquet").is_file()


def test_features_check_with_too_few_bars_says_so(run_cli: RunCli) -> None:
    result = run_cli("features", "check", "--synthetic", "--bars", "50")

    assert result.returncode == 1
    assert "do not reach past the features' lookback of 99 bars" in result.stderr
