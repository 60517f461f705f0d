"""`backtest --strategy model` trades the chosen model version's own out-of-sample predictions,
and `backtest`, `signals` and `paper` say which version they used."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from quantcli.adapters.ml import FileModelRegistry
from quantcli.application.backtest.run_backtest import run_backtest
from quantcli.entrypoints.cli import backtest_workflows
from quantcli.entrypoints.container import build_container
from quantcli.entrypoints.settings import load_settings

RunCli = Callable[..., subprocess.CompletedProcess[str]]
MODEL = "direction-ensemble"
# A second version, cheaply: fewer folds and rounds than the quickstart's, and every label.
SMALL = {
    "models": {
        "cpcv": {"n_folds": 4, "n_test_folds": 2},
        "ensemble": {"inner_folds": 2},
        "lightgbm": {"num_boost_round": 15},
        "xgboost": {"num_boost_round": 15},
        "catboost": {"iterations": 15},
    }
}


def registry(tmp_path: Path) -> FileModelRegistry:
    return FileModelRegistry(tmp_path / "data" / "model_registry")


def metrics(stdout: str) -> list[str]:
    """The printed metrics table, from its header to the last row."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["metric", "value"])
    return [line for line in lines[start:] if not line.startswith("Report written to")]


def model_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("Model: ")]


def expected_fills(tmp_path: Path, version: int) -> str:
    """The fills of a backtest of `version`'s own stored predictions, run in this process."""
    container = build_container(
        load_settings(environ={"QUANTCLI_DATA_DIR": str(tmp_path / "data")})
    )
    result = run_backtest(
        container.bar_store(),
        registry(tmp_path).predictions(MODEL, version),
        strategy=container.strategy(),
        sizing=container.sizing_policy(),
        **backtest_workflows._costs(container),
    )
    assert result.fills is not None
    return result.fills.to_csv(index=False)


@pytest.fixture
def two_versions(traded_cli: RunCli, tmp_path: Path) -> RunCli:
    """The quickstart's v1 and a second `train` (v2) with other settings: other predictions."""
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(SMALL))
    trained = traded_cli("--config", str(config), "train")
    assert trained.returncode == 0, trained.stderr
    assert f"Model {MODEL} v2 registered (candidate)" in trained.stdout
    return traded_cli


def test_backtest_trades_the_production_versions_own_predictions(
    two_versions: RunCli, tmp_path: Path
) -> None:
    one, two = (registry(tmp_path).predictions(MODEL, v) for v in (1, 2))
    assert not one["probability_up"].equals(two["probability_up"])

    runs: dict[str, subprocess.CompletedProcess[str]] = {}
    for version in (1, 2):
        promoted = two_versions("models", "promote", MODEL, str(version), "--force")
        assert promoted.returncode == 0, promoted.stderr
        runs[f"production v{version}"] = two_versions(
            "backtest", "--strategy", "model", "--report", f"production{version}.html"
        )
    # v2 is in production now: --version picks the archived v1 and the production v2.
    for version in (1, 2):
        runs[f"--version {version}"] = two_versions(
            "backtest", "--strategy", "model", "--version", str(version),
            "--report", f"version{version}.html",
        )  # fmt: skip

    for run in runs.values():
        assert run.returncode == 0, run.stderr
    assert model_lines(runs["production v1"].stdout) == [f"Model: {MODEL} v1 (production)"]
    assert model_lines(runs["production v2"].stdout) == [f"Model: {MODEL} v2 (production)"]
    assert model_lines(runs["--version 1"].stdout) == [f"Model: {MODEL} v1 (archived)"]
    assert model_lines(runs["--version 2"].stdout) == [f"Model: {MODEL} v2 (production)"]
    # Promoting another version changes the backtest; each is the backtest of its own version.
    assert metrics(runs["production v1"].stdout) != metrics(runs["production v2"].stdout)
    assert metrics(runs["production v1"].stdout) == metrics(runs["--version 1"].stdout)
    assert metrics(runs["production v2"].stdout) == metrics(runs["--version 2"].stdout)
    for version in (1, 2):
        fills = expected_fills(tmp_path, version)
        assert (tmp_path / f"production{version}_fills.csv").read_text() == fills
        assert (tmp_path / f"version{version}_fills.csv").read_text() == fills
    # The report says which version it traded, beside the period.
    html = (tmp_path / "version1.html").read_text()
    assert f'<p class="period model">Model: {MODEL} v1 (archived)</p>' in html
    assert re.search(r"<dt>model</dt>\s*<dd>direction-ensemble v1 \(archived\)</dd>", html)


def test_signals_and_paper_say_which_version_they_use(two_versions: RunCli) -> None:
    latest = two_versions("signals")
    promoted = two_versions("models", "promote", MODEL, "1", "--force")
    assert promoted.returncode == 0, promoted.stderr
    production = two_versions("signals")
    paper = two_versions("paper", "--account", "versioned", "--days", "3")

    for run in (latest, production, paper):
        assert run.returncode == 0, run.stderr
    assert model_lines(latest.stdout) == [f"Model: {MODEL} v2 (candidate)"]
    assert model_lines(production.stdout) == [f"Model: {MODEL} v1 (production)"]
    assert model_lines(paper.stdout) == [f"Model: {MODEL} v1 (production)"]
    assert "Signals as of" in production.stdout
    assert "Paper account versioned: 3 bars" in paper.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--version", "9"), 1, f"model {MODEL} has no version 9; versions: 1"),
        (("--model", "ghost"), 1, "model ghost is not registered; registered models: "),
        (("--version", "0"), 2, "Invalid value for '--version'"),
        (("--strategy", "sma_cross", "--version", "1"), 2, "--version chooses the model version"),
    ],
    ids=["unknown version", "unknown model", "version 0", "not the model strategy"],
)
def test_a_bad_model_or_version_is_refused(
    traded_cli: RunCli, args: tuple[str, ...], code: int, message: str
) -> None:
    strategy = () if "--strategy" in args else ("--strategy", "model")
    result = traded_cli("backtest", *strategy, *args)

    assert result.returncode == code
    assert message in result.stderr


def test_a_version_registered_without_predictions_asks_for_a_retrain(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    # As a version trained before the registry kept predictions with each version.
    (tmp_path / "data" / "model_registry" / MODEL / "v0001" / "predictions.parquet").unlink()

    result = traded_cli("backtest", "--strategy", "model")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: model {MODEL} version 1 has no stored out-of-sample predictions (it was "
        "registered before versions kept them): retrain with `quantcli train` and use the new "
        "version"
    )
