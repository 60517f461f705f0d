"""`quantcli models list|show|promote|rollback|prune` against a registry seeded in the data dir."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.ml import FileModelRegistry, LightGbmEstimator
from quantcli.adapters.storage import ParquetFeatureStore
from quantcli.application.modeling.ports import TrainedModel

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
PASSING = {
    **METADATA,
    "gates": {
        "psr": {"value": 0.97, "threshold": 0.95, "comparison": ">=", "passed": True},
        "dsr": {"value": 0.96, "threshold": 0.95, "comparison": ">=", "passed": True},
    },
}


def model(name: str = NAME) -> TrainedModel:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(200, 2))
    estimator = LightGbmEstimator(num_boost_round=5)
    estimator.fit(features, (features[:, 0] > 0).astype(np.float64), ("ret_1d", "vol_20d"))
    return TrainedModel(name, estimator, ("ret_1d", "vol_20d"), {})


def seed_registry(
    tmp_path: Path, versions: int, name: str = NAME, metadata: dict[str, Any] = PASSING
) -> FileModelRegistry:
    """Register `versions` versions where the CLI's container keeps the registry."""
    registry = FileModelRegistry(tmp_path / "data" / "model_registry")
    trained = model(name)
    for _ in range(versions):
        registry.register(name, trained, metadata)
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
    seed_registry(tmp_path, 2, metadata=METADATA).promote(NAME, 1)
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


def test_show_prints_a_readable_summary_of_the_production_version(
    run_cli: RunCli, tmp_path: Path
) -> None:
    registry = seed_registry(tmp_path, 3, metadata=METADATA)
    registry.promote(NAME, 2, forced=True)

    result = run_cli("models", "show", NAME)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Model direction-lgbm v2 (production)"
    fields = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in lines[1:]
        if line.startswith("  ") and ":" in line
    }
    assert fields["data"] == "2016-01-04 to 2023-12-29, data hash 0f1e2d"
    assert fields["features"] == "definition hash 77aa01"
    assert fields["training"] == "12.5 s"
    assert fields["promoted"].endswith("UTC (forced: gates failed)")
    assert "Gates: 1 of 2 passed" in lines
    assert [line.split() for line in lines if line.startswith(("psr", "dsr"))] == [
        ["psr", "0.9700", "0.9500", "pass"],
        ["dsr", "0.9100", "0.9500", "FAIL"],
    ]
    assert lines[-1] == f"All metadata: quantcli models show {NAME} --version 2 --json"
    assert len(lines) < 20


def test_show_json_prints_the_whole_metadata_and_the_promotions(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 2, metadata=METADATA).promote(NAME, 1)

    result = run_cli("models", "show", NAME, "--version", "1", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {k: document[k] for k in ("name", "version", "stage")} == {
        "name": NAME,
        "version": 1,
        "stage": "production",
    }
    assert document["metadata"]["data_range"]["start"] == "2016-01-04T00:00:00+00:00"
    assert document["metadata"]["cpcv"] == {"paths": 15, "sharpe": [0.8, 1.1]}
    assert document["metadata"]["gates"] == METADATA["gates"]
    assert [(p["version"], p["forced"]) for p in document["promotions"]] == [(1, False)]


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
    assert shown.stdout.startswith("Model direction-lgbm v5 (candidate)\n")
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
    ids=[
        "version-zero",
        "version-text",
        "promote-text",
        "promote-missing",
        "keep-zero",
    ],
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

    result = run_cli("models", "prune", NAME, "--keep", "2", "--yes")

    assert result.returncode == 0, result.stderr
    assert "Would delete direction-lgbm versions 2, 3; keep 1, 4, 5." in result.stdout
    assert "Deleted direction-lgbm versions 2, 3; kept 1, 4, 5." in result.stdout
    folder = tmp_path / "data" / "model_registry" / NAME
    assert sorted(p.name for p in folder.glob("v*")) == ["v0001", "v0004", "v0005"]


def seed_cpcv_paths(tmp_path: Path, name: str, versions: range) -> Path:
    """The CPCV path tables `train` writes beside each version, in the CLI's feature store."""
    store = ParquetFeatureStore(tmp_path / "data" / "features")
    for version in versions:
        store.save(f"cpcv_paths__{name}__v{version}", pd.DataFrame({"path_0": [0.01, -0.02]}))
    store.save("features", pd.DataFrame({"x": [1.0]}))
    return store.directory


def test_prune_removes_the_pruned_versions_cpcv_path_files_and_leaves_nothing_orphaned(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 4).promote(NAME, 1)
    features = seed_cpcv_paths(tmp_path, NAME, range(1, 5))

    result = run_cli("models", "prune", NAME, "--keep", "1", "--yes")

    assert result.returncode == 0, result.stderr
    assert "Deleted direction-lgbm versions 2, 3 and 2 CPCV path table(s); kept 1, 4." in (
        result.stdout
    )
    assert sorted(os.listdir(features)) == [
        f"cpcv_paths__{NAME}__v1.parquet",
        f"cpcv_paths__{NAME}__v4.parquet",
        "features.parquet",
    ]
    assert sorted(os.listdir(tmp_path / "data" / "model_registry" / NAME)) == [
        ".lock",
        "registry.json",
        "v0001",
        "v0004",
    ]


def test_prune_without_a_terminal_and_without_yes_refuses_and_deletes_nothing(
    run_cli: RunCli, tmp_path: Path
) -> None:
    seed_registry(tmp_path, 3)

    result = run_cli("models", "prune", NAME, "--keep", "1")

    assert result.returncode == 2
    assert "Would delete direction-lgbm versions 1, 2; keep 3." in result.stdout
    assert "stdin is not a terminal: pass --yes to delete" in result.stderr
    assert len(os.listdir(tmp_path / "data" / "model_registry" / NAME)) == 5


def run_on_a_terminal(tmp_path: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run quantcli with a pseudo-terminal as stdin and type `answer` at the prompt."""
    controller, terminal = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTCLI_")}
    environment["QUANTCLI_DATA_DIR"] = str(tmp_path / "data")
    with subprocess.Popen(
        [sys.executable, "-m", "quantcli", *args],
        cwd=tmp_path,
        env=environment,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        os.close(terminal)
        os.write(controller, answer.encode())
        output, _ = process.communicate(timeout=120)
    os.close(controller)
    return process.returncode, output


@pytest.mark.parametrize(
    ("answer", "code", "left"), [("y\n", 0, ["v0003"]), ("n\n", 1, ["v0001", "v0002", "v0003"])]
)
def test_prune_asks_on_a_terminal_and_does_what_the_answer_says(
    tmp_path: Path, answer: str, code: int, left: list[str]
) -> None:
    seed_registry(tmp_path, 3)

    returncode, output = run_on_a_terminal(tmp_path, answer, "models", "prune", NAME, "--keep", "1")

    assert returncode == code, output
    assert "Remove 2 version(s)? [y/N]" in output
    folder = tmp_path / "data" / "model_registry" / NAME
    assert sorted(p.name for p in folder.glob("v*")) == left


def test_promote_of_a_version_whose_gates_failed_is_refused_naming_the_gates(
    run_cli: RunCli, tmp_path: Path
) -> None:
    registry = seed_registry(tmp_path, 2, metadata=METADATA)

    result = run_cli("models", "promote", NAME, "2")

    assert result.returncode == 1
    assert (
        "Error: model direction-lgbm version 2 fails gate(s) dsr; not promoted "
        "(--force promotes it anyway)"
    ) in result.stderr
    assert ["dsr", "0.9100", "0.9500", "FAIL"] in [
        line.split() for line in result.stderr.splitlines()
    ]
    assert [v.stage for v in registry.list(NAME)] == ["candidate", "candidate"]


def test_promote_force_warns_promotes_and_records_it(run_cli: RunCli, tmp_path: Path) -> None:
    registry = seed_registry(tmp_path, 2, metadata=METADATA)

    result = run_cli("models", "promote", NAME, "2", "--force")

    assert result.returncode == 0, result.stderr
    assert "Warning: direction-lgbm version 2 fails gate(s) dsr; promoted because of --force" in (
        result.stderr
    )
    assert "direction-lgbm version 2 is now in production." in result.stdout
    assert registry.get(NAME).version == 2
    assert registry.history(NAME)[-1]["forced"] is True


def test_prune_keeps_models_registry_keep_last_by_default(run_cli: RunCli, tmp_path: Path) -> None:
    seed_registry(tmp_path, 4)
    override = tmp_path / "override.yaml"
    override.write_text("models:\n  registry:\n    keep_last: 3\n")

    pruned = run_cli("--config", str(override), "models", "prune", NAME, "--yes")
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
