"""FileModelRegistry on a real temporary folder with real LightGBM models."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantcli.adapters.ml import FileModelRegistry, LightGbmEstimator, model_files
from quantcli.application.modeling.ports import ModelVersion, TrainedModel
from quantcli.domain.errors import ModelError, StorageError, ValidationError

NAME = "direction-lgbm"
FEATURES = ("ret_1d", "vol_20d")
RNG = np.random.default_rng(7)
X = RNG.normal(size=(300, 2))
Y = (X[:, 0] > 0).astype(np.float64)
START = dt.datetime(2024, 5, 17, 14, 30, tzinfo=dt.UTC)


def trained(name: str = NAME, seed: int = 1) -> TrainedModel:
    estimator = LightGbmEstimator(
        params={"bagging_fraction": 0.7, "bagging_freq": 1}, num_boost_round=8, seed=seed
    )
    estimator.fit(X, Y, FEATURES)
    return TrainedModel(
        name=name, estimator=estimator, feature_names=FEATURES, metadata={"s": seed}
    )


MODELS = {seed: trained(seed=seed) for seed in (1, 2, 3)}


def ticking_clock() -> Callable[[], dt.datetime]:
    """A clock that moves one minute per reading, from START."""
    moments: Iterator[dt.datetime] = (START + dt.timedelta(minutes=i) for i in range(10_000))
    return lambda: next(moments)


@pytest.fixture
def registry(tmp_path: Path) -> FileModelRegistry:
    return FileModelRegistry(tmp_path, clock=ticking_clock())


def register_many(registry: FileModelRegistry, count: int) -> list[ModelVersion]:
    return [registry.register(NAME, MODELS[1], {"n": i}) for i in range(1, count + 1)]


RICH_METADATA: dict[str, Any] = {
    "data_range": {"start": dt.datetime(2016, 1, 4, tzinfo=dt.UTC), "end": dt.date(2023, 12, 29)},
    "data_hash": "sha256:0f1e",
    "feature_hash": "sha256:77aa",
    "parameters": {"learning_rate": 0.05, "num_leaves": np.int64(15)},
    "cpcv": {"paths": 15, "sharpe": [0.8, 1.1, np.float64(0.9)]},
    "gates": {"psr": {"value": 0.97, "threshold": 0.95, "passed": True}},
    "symbols": ("SPY", "QQQ"),
    "fee_rate": Decimal("0.0005"),
    "training_seconds": 12.5,
}


# --- register, get, list, load ----------------------------------------------------------------


def test_register_numbers_versions_as_candidates_and_stores_their_metadata(
    registry: FileModelRegistry,
) -> None:
    first = registry.register(NAME, MODELS[1], RICH_METADATA)
    second = registry.register(NAME, MODELS[2], {})

    assert first == ModelVersion(NAME, 1, START, "candidate", RICH_METADATA)
    assert (second.version, second.stage) == (2, "candidate")
    assert second.created_at > first.created_at
    assert registry.get(NAME, 1).metadata == RICH_METADATA


def test_a_version_is_a_folder_with_the_model_and_its_metadata(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    registry.register(NAME, MODELS[1], RICH_METADATA)

    folder = tmp_path / NAME
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "registry.json", "v0001"]
    assert sorted(p.name for p in (folder / "v0001").iterdir()) == ["metadata.json", "model"]
    assert sorted(p.name for p in (folder / "v0001" / "model").iterdir()) == [
        "metadata.json",
        "model.txt",
    ]
    document = json.loads((folder / "v0001" / "metadata.json").read_text())
    assert document["metadata"]["data_hash"] == "sha256:0f1e"
    assert document["created_at"] == "2024-05-17T14:30:00+00:00"
    state = json.loads((folder / "registry.json").read_text())
    assert state["versions"] == {"1": "candidate"}
    assert state["production"] is None


def test_load_gives_back_the_model_of_the_asked_version(registry: FileModelRegistry) -> None:
    for seed in (1, 2, 3):
        registry.register(NAME, MODELS[seed], {})

    loaded = registry.load(NAME, 2)

    assert loaded == MODELS[2]
    assert np.array_equal(loaded.estimator.predict_proba(X), MODELS[2].estimator.predict_proba(X))


def test_get_and_load_without_a_version_choose_production_else_the_latest(
    registry: FileModelRegistry,
) -> None:
    for seed in (1, 2, 3):
        registry.register(NAME, MODELS[seed], {"seed": seed})

    assert registry.get(NAME).version == 3
    assert registry.load(NAME).metadata == {"s": 3}

    registry.promote(NAME, 2)

    assert registry.get(NAME).version == 2
    assert registry.load(NAME).metadata == {"s": 2}


def test_list_orders_by_name_then_version(registry: FileModelRegistry) -> None:
    registry.register("zeta", trained("zeta"), {})
    registry.register(NAME, MODELS[1], {})
    registry.register(NAME, MODELS[2], {})

    listed = [(v.name, v.version) for v in registry.list()]

    assert listed == [(NAME, 1), (NAME, 2), ("zeta", 1)]
    assert [v.version for v in registry.list(NAME)] == [1, 2]
    assert registry.names() == (NAME, "zeta")


def test_an_empty_or_missing_root_lists_nothing(tmp_path: Path) -> None:
    assert FileModelRegistry(tmp_path / "nowhere").list() == ()
    assert FileModelRegistry(tmp_path).list() == ()


# --- promote, rollback, prune -----------------------------------------------------------------


def test_promote_archives_the_previous_production(registry: FileModelRegistry) -> None:
    register_many(registry, 3)
    registry.promote(NAME, 1)

    promoted = registry.promote(NAME, 3)

    assert promoted.stage == "production"
    assert [v.stage for v in registry.list(NAME)] == ["archived", "candidate", "production"]


def test_rollback_restores_the_previous_production_version(registry: FileModelRegistry) -> None:
    register_many(registry, 3)
    registry.promote(NAME, 1)
    registry.promote(NAME, 3)

    restored = registry.rollback(NAME)

    assert (restored.version, restored.stage) == (1, "production")
    assert [v.stage for v in registry.list(NAME)] == ["production", "candidate", "archived"]
    with pytest.raises(ModelError, match="no previous production version to roll back to"):
        registry.rollback(NAME)


def test_promote_rollback_and_prune_are_logged_in_the_history(
    registry: FileModelRegistry,
) -> None:
    register_many(registry, 3)
    registry.promote(NAME, 1)
    registry.promote(NAME, 2)
    registry.rollback(NAME)
    registry.prune(NAME, keep_last=1)

    events = [
        {key: value for key, value in event.items() if key != "at"}
        for event in registry.history(NAME)
    ]

    assert events[3:] == [
        {"event": "promote", "version": 1, "previous": None, "forced": False},
        {"event": "promote", "version": 2, "previous": 1, "forced": False},
        {"event": "rollback", "version": 1, "previous": 2},
        {"event": "prune", "versions": [2], "keep_last": 1},
    ]
    assert [event["event"] for event in events[:3]] == ["register"] * 3


def test_prune_deletes_old_versions_but_never_production_nor_the_rollback_target(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    register_many(registry, 6)
    registry.promote(NAME, 1)
    registry.promote(NAME, 2)

    deleted = registry.prune(NAME, keep_last=2)

    assert deleted == (3, 4)
    assert [v.version for v in registry.list(NAME)] == [1, 2, 5, 6]
    assert sorted(p.name for p in (tmp_path / NAME).glob("v*")) == [
        "v0001",
        "v0002",
        "v0005",
        "v0006",
    ]
    assert registry.rollback(NAME).version == 1


def test_a_forced_promotion_is_recorded_as_forced(registry: FileModelRegistry) -> None:
    register_many(registry, 2)
    registry.promote(NAME, 1)
    registry.promote(NAME, 2, forced=True)

    promotions = [e for e in registry.history(NAME) if e["event"] == "promote"]

    assert [(e["version"], e["forced"]) for e in promotions] == [(1, False), (2, True)]
    assert registry.get(NAME).version == 2


def test_a_dry_run_prune_names_the_versions_and_deletes_nothing(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    register_many(registry, 4)
    registry.promote(NAME, 1)
    before = sorted(p.name for p in (tmp_path / NAME).iterdir())

    assert registry.prune(NAME, keep_last=1, dry_run=True) == (2, 3)

    assert [v.version for v in registry.list(NAME)] == [1, 2, 3, 4]
    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == before
    assert [e["event"] for e in registry.history(NAME)][-1] == "promote"


def test_version_numbers_continue_after_a_prune(registry: FileModelRegistry) -> None:
    register_many(registry, 3)
    registry.prune(NAME, keep_last=1)

    assert registry.register(NAME, MODELS[1], {}).version == 4


def test_prune_refuses_to_keep_fewer_than_one_version(registry: FileModelRegistry) -> None:
    register_many(registry, 2)

    with pytest.raises(ValidationError, match="keep_last must be >= 1, got 0"):
        registry.prune(NAME, keep_last=0)

    assert len(registry.list(NAME)) == 2


def test_prune_sweeps_the_debris_of_crashed_writes(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    register_many(registry, 2)
    folder = tmp_path / NAME
    (folder / "v0009").mkdir()
    (folder / ".v0003.0a1b.tmp").mkdir()
    (folder / ".registry.json.0a1b.tmp").write_text("{")
    (folder / "notes.txt").write_text("kept: not ours")

    assert registry.prune(NAME, keep_last=5) == ()

    assert sorted(p.name for p in folder.iterdir()) == [
        ".lock",
        "notes.txt",
        "registry.json",
        "v0001",
        "v0002",
    ]


def test_a_staging_folder_left_by_a_killed_register_is_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    register_many(FileModelRegistry(tmp_path), 1)
    folder = tmp_path / NAME
    (folder / ".v0002.0a1b2c.tmp" / "model").mkdir(parents=True)  # as a SIGKILL leaves it
    (folder / ".v0002.0a1b2c.tmp" / "model" / "model.txt").write_text("half")

    FileModelRegistry(tmp_path).discard_debris()

    assert sorted(p.name for p in folder.iterdir()) == [".lock", "registry.json", "v0001"]


def test_any_write_removes_the_staging_folders_of_killed_writes(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    register_many(registry, 1)
    (tmp_path / NAME / ".v0002.0a1b2c.tmp").mkdir()

    registry.register(NAME, MODELS[2], {})

    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == [
        ".lock",
        "registry.json",
        "v0001",
        "v0002",
    ]


def test_an_interrupt_while_writing_a_version_leaves_no_staging_folder(
    registry: FileModelRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_many(registry, 1)
    real_write = model_files.write_durably

    def interrupted(path: Path, text: str) -> None:
        if path.name == "metadata.json":
            raise KeyboardInterrupt  # Ctrl-C in the middle of the version's files
        real_write(path, text)

    monkeypatch.setattr(model_files, "write_durably", interrupted)

    with pytest.raises(KeyboardInterrupt):
        registry.register(NAME, MODELS[2], {})

    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == [
        ".lock",
        "registry.json",
        "v0001",
    ]


def test_discard_debris_on_an_empty_root_does_nothing(tmp_path: Path) -> None:
    FileModelRegistry(tmp_path / "missing").discard_debris()

    assert not (tmp_path / "missing").exists()


# --- bad input --------------------------------------------------------------------------------


def test_an_unknown_version_error_names_the_model_and_its_versions(
    registry: FileModelRegistry,
) -> None:
    register_many(registry, 5)
    registry.promote(NAME, 1)
    registry.promote(NAME, 2)
    registry.prune(NAME, keep_last=1)

    for call in (
        lambda: registry.get(NAME, 7),
        lambda: registry.load(NAME, 7),
        lambda: registry.promote(NAME, 7),
    ):
        with pytest.raises(ModelError) as caught:
            call()
        assert str(caught.value) == "model direction-lgbm has no version 7; versions: 1, 2, 5"


def test_an_unknown_name_error_lists_the_registered_models(registry: FileModelRegistry) -> None:
    with pytest.raises(ModelError, match="model ghost is not registered; no model is registered"):
        registry.get("ghost")

    register_many(registry, 1)

    for call in (
        lambda: registry.list("ghost"),
        lambda: registry.load("ghost"),
        lambda: registry.promote("ghost", 1),
        lambda: registry.rollback("ghost"),
        lambda: registry.prune("ghost", 1),
    ):
        with pytest.raises(
            ModelError, match=f"model ghost is not registered; registered models: {NAME}"
        ):
            call()


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "with space"])
def test_invalid_names_are_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    registry = FileModelRegistry(tmp_path)

    with pytest.raises(ModelError, match="invalid model name"):
        registry.register(name, trained(), {})
    with pytest.raises(ModelError, match="invalid model name"):
        registry.get(name)
    assert list(tmp_path.iterdir()) == []


def test_registering_a_model_under_another_name_is_refused(registry: FileModelRegistry) -> None:
    with pytest.raises(ModelError, match="cannot register model 'other' under the name direction"):
        registry.register(NAME, trained("other"), {})


def test_unstorable_metadata_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    registry = FileModelRegistry(tmp_path)

    with pytest.raises(ModelError, match=r"gates\.psr holds a value of type object"):
        registry.register(NAME, MODELS[1], {"gates": {"psr": object()}})

    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_registry_file_raises_model_error_naming_it(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    register_many(registry, 1)
    path = tmp_path / NAME / "registry.json"
    state = json.loads(path.read_text())
    state["versions"] = {"1": "production", "2": "production"}
    state["last_version"] = 2
    path.write_text(json.dumps(state))

    with pytest.raises(ModelError, match="is not a valid registry file") as caught:
        registry.list(NAME)

    assert str(path) in str(caught.value)


def test_a_naive_clock_is_refused(tmp_path: Path) -> None:
    registry = FileModelRegistry(tmp_path, clock=lambda: dt.datetime(2024, 1, 1))

    with pytest.raises(ValidationError, match="naive timestamp"):
        registry.register(NAME, MODELS[1], {})


# --- crashes and concurrent writers -----------------------------------------------------------


class Crash(BaseException):
    """Stands for the process dying: no `except Exception` handler runs."""


def crash_on_registry_replace(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> list[str]:
    """Make os.replace onto registry.json fail after the temporary file is fully written."""
    real_replace = os.replace
    seen: list[str] = []

    def replace(source: Any, target: Any) -> None:
        if Path(target).name == "registry.json":
            seen.append(Path(source).read_text())  # the new state was written in full
            raise error
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_a_crash_before_the_registry_file_is_replaced_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = FileModelRegistry(tmp_path)
    register_many(registry, 2)
    registry.promote(NAME, 1)
    before = (tmp_path / NAME / "registry.json").read_bytes()
    seen = crash_on_registry_replace(monkeypatch, Crash())

    with pytest.raises(Crash):
        registry.promote(NAME, 2)
    with pytest.raises(Crash):
        registry.register(NAME, MODELS[2], {})

    assert len(seen) == 2
    assert json.loads(seen[0])["production"] == 2
    assert (tmp_path / NAME / "registry.json").read_bytes() == before
    monkeypatch.undo()
    reopened = FileModelRegistry(tmp_path)
    assert [(v.version, v.stage) for v in reopened.list(NAME)] == [
        (1, "production"),
        (2, "candidate"),
    ]
    # The crashed register left its folder behind; the next register takes the number over.
    assert (tmp_path / NAME / "v0003").is_dir()
    assert reopened.register(NAME, MODELS[3], {"retry": True}).version == 3
    assert reopened.load(NAME, 3) == MODELS[3]


def test_a_failed_registry_write_is_a_storage_error_and_changes_nothing(
    registry: FileModelRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_many(registry, 1)
    crash_on_registry_replace(monkeypatch, OSError("disk full"))

    with pytest.raises(StorageError, match="disk full"):
        registry.register(NAME, MODELS[2], {})

    monkeypatch.undo()
    assert [v.version for v in registry.list(NAME)] == [1]
    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == [
        ".lock",
        "registry.json",
        "v0001",
    ]


def test_a_failed_version_write_leaves_no_version_and_no_debris(
    registry: FileModelRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_many(registry, 1)
    real_write = model_files.write_durably

    def write_then_fail(path: Path, text: str) -> None:
        if path.name == "model.txt":
            raise OSError("disk full")
        real_write(path, text)

    monkeypatch.setattr(model_files, "write_durably", write_then_fail)

    with pytest.raises(StorageError, match="disk full"):
        registry.register(NAME, MODELS[2], {})

    assert [v.version for v in registry.list(NAME)] == [1]
    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == [
        ".lock",
        "registry.json",
        "v0001",
    ]


def test_two_registries_on_one_root_see_each_others_writes(tmp_path: Path) -> None:
    first, second = FileModelRegistry(tmp_path), FileModelRegistry(tmp_path)

    first.register(NAME, MODELS[1], {})
    second.register(NAME, MODELS[2], {})
    first.promote(NAME, 2)

    assert second.get(NAME).version == 2
    assert second.get(NAME).stage == "production"
    second.promote(NAME, 1)
    assert first.rollback(NAME).version == 2
    assert [v.stage for v in second.list(NAME)] == ["archived", "production"]


def test_concurrent_writers_lose_no_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = model_files.write_durably

    def slow_write(path: Path, text: str) -> None:
        time.sleep(0.01)  # widens the window a read-modify-write race would need
        real_write(path, text)

    monkeypatch.setattr(model_files, "write_durably", slow_write)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        registry = FileModelRegistry(tmp_path)  # each its own instance, like another process
        try:
            for step in range(3):
                registry.register(NAME, MODELS[1], {"writer": index, "step": step})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = FileModelRegistry(tmp_path).list(NAME)
    assert [v.version for v in versions] == list(range(1, 13))
    assert sorted((v.metadata["writer"], v.metadata["step"]) for v in versions) == [
        (i, s) for i in range(4) for s in range(3)
    ]
