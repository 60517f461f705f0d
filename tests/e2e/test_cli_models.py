"""`quantcli models list|show|promote|rollback|prune` against a registry seeded in the data dir."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from quantcli.adapters.ml import FileModelRegistry, LightGbmEstimator
from quantcli.application.ports import TrainedModel

RunCli = Callable[..., subprocess.CompletedProcess[str]]
NAME = "direction-lgbm"
METADATA = {
    "data_range": {
        "start": dt.datetime(2016, 1, 4, tzinfo=dt.UTC),
        "end": dt.datetime(2023, 12, 29, tzinfo=dt.UTC),
    },
    "data_hash": "sha256:0f1e2d",
    "feature_hash": "sha256:77aa01",
    "parameters": {"learning_rate": 0.05, "num_leaves": 15},
    "cpcv": {"paths": 15, "sharpe": [0.8, 1.1]},
    "gates": {
        "psr": {"value": 0.97, "threshold": 0.95, "passed": True},
        "dsr": {"value": 0.91, "threshold": 0.95, "passed": False},
    },
    "training_seconds": 12.5,
}


def model(name: str = NAME) -> TrainedModel:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(200, 2))
    estimator = LightGbmEstimator(num_boost_round=5)
    estimator.fit(features, (features[:, 0] > 0).astype(np.float64), ("ret_1d", "vol_20d"))
    return TrainedModel(name, estimator, ("ret_1d", "vol_20d"), {})


def seed_registry(tmp_path: Path, versions: int, name: str = NAME) -> FileModelRegistry:
    """Register `versions` versions where the CLI's container keeps the registry."""
    registry = FileModelRegistry(tmp_path / "data" / "model_registry")
    trained = model(name)
    for _ in range(versions):
        registry.register(name, trained, METADATA)
    return registry


@pytest.mark.parametrize(
    "command", ["models", "list", "show", "promote", "rollback", "prune"], ids=str
)
def test_every_models_command_has_help(run_cli: RunCli, command: str) -> None:
    args = ("models", "--help") if command == "models" else ("models", command, "--help")

    result = run_cli(*args)

    assert result.returncode == 0, result.stderr
    assert "Usage: " in result.stdout


def test_list_on_an_empty_registry_says_so(run_cli: RunCli) -> None:
    result = run_cli("models", "list")

    assert result.returncode == 0, result.stderr
    assert "No models are registered." in result.stdout


def test_list_shows_every_version_with_stage_and_gate_summary(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 2).promote(NAME, 1)
    seed_registry(tmp_path, 1, name="mean-reversion")

    everything = run_cli("models", "list")
    one = run_cli("models", "list", NAME)

    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert lines[0].split() == ["name", "version", "stage", "created", "(UTC)", "gates"]
    assert [line.split()[:3] for line in lines[2:]] == [
        [NAME, "1", "production"],
        [NAME, "2", "candidate"],
        ["mean-reversion", "1", "candidate"],
    ]
    assert lines[2].endswith("1/2 passed")
    assert one.returncode == 0, one.stderr
    assert "mean-reversion" not in one.stdout


def test_show_prints_the_production_version_its_gates_and_metadata(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 3).promote(NAME, 2)

    result = run_cli("models", "show", NAME)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "version:  2" in out
    assert "stage:    production" in out
    assert [
        line.split() for line in out.splitlines() if line.strip().startswith(("psr", "dsr"))
    ] == [
        ["psr", "0.97", "0.95", "pass"],
        ["dsr", "0.91", "0.95", "FAIL"],
    ]
    assert "  data_range:\n    start: 2016-01-04T00:00:00+00:00" in out
    assert "  data_hash: sha256:0f1e2d" in out
    assert "  cpcv:\n    paths: 15\n    sharpe: [0.8, 1.1]" in out
    assert "  training_seconds: 12.5" in out


def test_show_with_an_unknown_version_exits_1_listing_the_versions(
    run_cli: RunCli, tmp_path: Path
) -> None:
    registry = seed_registry(tmp_path, 5)
    registry.promote(NAME, 1)
    registry.promote(NAME, 2)
    registry.prune(NAME, keep_last=1)

    shown = run_cli("models", "show", NAME, "--version", "5")
    missing = run_cli("models", "show", NAME, "--version", "7")

    assert shown.returncode == 0, shown.stderr
    assert "version:  5" in shown.stdout
    assert missing.returncode == 1
    assert "model direction-lgbm has no version 7; versions: 1, 2, 5" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [("show", "ghost"), ("list", "ghost"), ("promote", "ghost", "1"), ("rollback", "ghost")],
    ids=lambda args: args[0],
)
def test_an_unknown_model_name_exits_1_naming_it(
    run_cli: RunCli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    seed_registry(tmp_path, 1)

    result = run_cli("models", *args)

    assert result.returncode == 1
    assert f"model ghost is not registered; registered models: {NAME}" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("show", NAME, "--version", "0"),
        ("show", NAME, "--version", "two"),
        ("promote", NAME, "x"),
        ("promote", NAME),
        ("prune", NAME, "--keep", "0"),
    ],
    ids=["version-zero", "version-text", "promote-text", "promote-missing", "keep-zero"],
)
def test_malformed_arguments_are_usage_errors(
    run_cli: RunCli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    seed_registry(tmp_path, 1)

    result = run_cli("models", *args)

    assert result.returncode == 2
    assert "Usage:" in result.stderr


def test_promote_then_rollback_restores_the_previous_production(
    run_cli: RunCli, tmp_path: Path
) -> None:
    registry = seed_registry(tmp_path, 3)

    first = run_cli("models", "promote", NAME, "1")
    second = run_cli("models", "promote", NAME, "3")
    rollback = run_cli("models", "rollback", NAME)

    assert first.returncode == 0, first.stderr
    assert "direction-lgbm version 1 is now in production." in first.stdout
    assert second.returncode == 0, second.stderr
    assert "Version 1 is archived; `quantcli models rollback direction-lgbm`" in second.stdout
    assert rollback.returncode == 0, rollback.stderr
    assert "version 1 is in production again (version 3 is archived)" in rollback.stdout
    assert [(v.version, v.stage) for v in registry.list(NAME)] == [
        (1, "production"),
        (2, "candidate"),
        (3, "archived"),
    ]


def test_promote_of_a_missing_version_and_rollback_without_history_exit_1(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 2)

    promote = run_cli("models", "promote", NAME, "9")
    rollback = run_cli("models", "rollback", NAME)

    assert promote.returncode == 1
    assert "model direction-lgbm has no version 9; versions: 1, 2" in promote.stderr
    assert rollback.returncode == 1
    assert "no previous production version to roll back to" in rollback.stderr


def test_prune_keeps_the_newest_versions_and_production(run_cli: RunCli, tmp_path: Path) -> None:
    seed_registry(tmp_path, 5).promote(NAME, 1)

    result = run_cli("models", "prune", NAME, "--keep", "2")

    assert result.returncode == 0, result.stderr
    assert "Deleted direction-lgbm versions 2, 3; kept 1, 4, 5." in result.stdout
    folder = tmp_path / "data" / "model_registry" / NAME
    assert sorted(p.name for p in folder.glob("v*")) == ["v0001", "v0004", "v0005"]


def test_prune_keeps_models_registry_keep_last_by_default(run_cli: RunCli, tmp_path: Path) -> None:
    seed_registry(tmp_path, 4)
    override = tmp_path / "override.yaml"
    override.write_text("models:\n  registry:\n    keep_last: 3\n")

    pruned = run_cli("--config", str(override), "models", "prune", NAME)
    again = run_cli("--config", str(override), "models", "prune", NAME)

    assert pruned.returncode == 0, pruned.stderr
    assert "Deleted direction-lgbm version 1; kept 2, 3, 4." in pruned.stdout
    assert "Nothing to prune: direction-lgbm keeps versions 2, 3, 4 (--keep 3)." in again.stdout


def test_a_non_positive_keep_last_setting_is_a_config_error(
    run_cli: RunCli, tmp_path: Path
) -> None:
    override = tmp_path / "override.yaml"
    override.write_text("models:\n  registry:\n    keep_last: 0\n")

    result = run_cli("--config", str(override), "models", "prune", NAME)

    assert result.returncode == 2
    assert "registry.keep_last" in result.stderr
