"""`quantcli train`, `validate` and `tune` on a small synthetic market: the stacked ensemble
through CPCV and the gates into the registry, re-judged and tuned from the command line."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

RunCli = Callable[..., subprocess.CompletedProcess[str]]
MODEL = "direction-ensemble"
# Small folds and few rounds keep the test quick; the pipeline is the full one.
QUICK = {
    "models": {
        "cpcv": {"n_folds": 4, "n_test_folds": 2},
        "ensemble": {"inner_folds": 2},
        "lightgbm": {"num_boost_round": 25},
        "xgboost": {"num_boost_round": 25},
        "catboost": {"iterations": 25},
    }
}


@pytest.fixture
def research(run_cli: RunCli, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(QUICK))
    for step in (
        ("data", "generate", "--symbols", "6", "--years", "4", "--signal-strength", "2"),
        ("features", "build"),
    ):
        done = run_cli("--config", str(config), *step)
        assert done.returncode == 0, done.stderr

    def run(*args: str, config_path: Path = config) -> subprocess.CompletedProcess[str]:
        return run_cli("--config", str(config_path), *args)

    return run


def test_train_registers_a_version_and_validate_rejudges_it(
    research: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    trained = research("train")
    assert trained.returncode == 0, trained.stderr
    assert f"Model {MODEL} v1 registered (candidate)" in trained.stdout
    assert "CPCV: 6 splits, 3 paths" in trained.stdout
    for gate in ("psr", "dsr", "track_record", "mean_sharpe", "worst_path_sharpe"):
        assert gate in trained.stdout
    assert "Recommendations" in trained.stdout

    validated = research("validate")
    psr_line = next(line for line in validated.stdout.splitlines() if line.startswith("psr"))
    assert "PSR against SR*" in psr_line  # validate prints each gate's detail
    assert validated.returncode in (0, 1)
    assert ("All gates pass." in validated.stdout) == (validated.returncode == 0)

    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({"models": {"gates": {"min_sharpe": 100.0}}}))
    failed = research("validate", MODEL, "--version", "1", config_path=strict)
    assert failed.returncode == 1
    assert f"model {MODEL} v1 fails gate(s): mean_sharpe" in failed.stderr

    listed = research("models", "list")
    assert MODEL in listed.stdout


def test_tune_records_trials_and_its_best_parameters_train_the_next_version(
    research: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    tuned = research("tune", "--trials", "2")
    assert tuned.returncode == 0, tuned.stderr
    assert "2 trial(s) on record count toward the deflated Sharpe ratio" in tuned.stdout
    best = tmp_path / "data" / "tuning" / "best_models.yaml"
    parameters = yaml.safe_load(best.read_text())["models"]
    assert set(parameters) == {"lightgbm", "xgboost", "catboost"}

    merged = tmp_path / "merged.yaml"
    config = {**QUICK["models"]}
    for model, values in parameters.items():
        config[model] = {**config.get(model, {}), **values}
    merged.write_text(yaml.safe_dump({"models": config}))
    trained = research("train", config_path=merged)
    assert trained.returncode == 0, trained.stderr
    assert f"Model {MODEL} v1 registered" in trained.stdout
    shown = research("models", "show", MODEL)
    assert re.search(r"^  tuning trials: +2$", shown.stdout, flags=re.MULTILINE), shown.stdout


def test_validate_names_an_unknown_model(
    research: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = research("validate", "no-such-model")
    assert result.returncode == 1
    assert "no-such-model" in result.stderr
