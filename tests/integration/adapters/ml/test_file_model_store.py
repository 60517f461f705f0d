"""FileModelStore on a real temporary folder with real LightGBM models."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantcli.adapters.ml import FileModelStore, LightGbmEstimator, model_files
from quantcli.application.modeling.ports import TrainedModel
from quantcli.domain.errors import ModelError, StorageError

FEATURES = ("ret_1d", "ret_5d", "vol_20d")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(400, 3))
Y = (X[:, 1] > 0).astype(np.float64)


def trained(name: str = "sma_cross", seed: int = 42, **metadata: Any) -> TrainedModel:
    estimator = LightGbmEstimator(
        params={"bagging_fraction": 0.7, "bagging_freq": 1}, num_boost_round=30, seed=seed
    )
    estimator.fit(X, Y, FEATURES)
    return TrainedModel(
        name=name, estimator=estimator, feature_names=FEATURES, metadata=metadata or {"k": 1}
    )


RICH_METADATA: dict[str, Any] = {
    "trained_at": dt.datetime(2024, 5, 17, 14, 30, tzinfo=dt.UTC),
    "train_window": {"start": dt.date(2020, 1, 1), "end": dt.date(2023, 12, 31)},
    "cv_auc": np.float64(0.731),
    "folds": np.int64(6),
    "symbols": ("SPY", "QQQ"),
    "fee_rate": Decimal("0.0005"),
    "notes": ["purged", {"embargo_bars": 5}],
    "label": None,
    "calibrated": True,
}


def test_save_then_load_gives_an_equal_model_with_identical_predictions(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    model = trained(**RICH_METADATA)

    folder = store.save(model)
    loaded = store.load("sma_cross")

    assert folder == tmp_path / "sma_cross"
    assert loaded == model
    assert loaded.metadata == RICH_METADATA
    assert loaded.feature_names == FEATURES
    assert np.array_equal(loaded.estimator.predict_proba(X), model.estimator.predict_proba(X))


def test_metadata_file_holds_iso_datetimes_and_plain_json_numbers(tmp_path: Path) -> None:
    FileModelStore(tmp_path).save(trained(**RICH_METADATA))

    document = json.loads((tmp_path / "sma_cross" / "metadata.json").read_text())

    assert document["name"] == "sma_cross"
    assert document["feature_names"] == list(FEATURES)
    assert document["metadata"]["trained_at"] == "2024-05-17T14:30:00+00:00"
    assert document["metadata"]["train_window"]["start"] == "2020-01-01"
    assert type(document["metadata"]["cv_auc"]) is float
    assert type(document["metadata"]["folds"]) is int
    assert (tmp_path / "sma_cross" / "model.txt").read_text().startswith("tree\n")


def test_saving_the_same_name_again_replaces_the_model_and_leaves_no_temp_folders(
    tmp_path: Path,
) -> None:
    store = FileModelStore(tmp_path)
    store.save(trained(seed=1, version=1))
    replacement = trained(seed=2, version=2)

    store.save(replacement)
    loaded = store.load("sma_cross")

    assert loaded.metadata == {"version": 2}
    assert np.array_equal(loaded.estimator.predict_proba(X), replacement.estimator.predict_proba(X))
    assert [p.name for p in tmp_path.iterdir()] == ["sma_cross"]


def test_a_save_failing_midway_keeps_the_previous_model_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileModelStore(tmp_path)
    store.save(trained(seed=1, version=1))
    real_write = model_files.write_durably
    calls = []

    def write_then_crash(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(path, text)

    monkeypatch.setattr(model_files, "write_durably", write_then_crash)

    with pytest.raises(StorageError, match="disk full"):
        store.save(trained(seed=2, version=2))

    assert store.load("sma_cross").metadata == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["sma_cross"]


def test_names_lists_saved_models_sorted_and_ignores_other_entries(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    store.save(trained("zeta"))
    store.save(trained("alpha-v1.2"))
    (tmp_path / ".alpha.tmp").mkdir()
    (tmp_path / "not_a_model").mkdir()
    (tmp_path / "stray.txt").write_text("x")

    assert store.names() == ["alpha-v1.2", "zeta"]


def test_names_of_a_store_whose_folder_does_not_exist_is_empty(tmp_path: Path) -> None:
    assert FileModelStore(tmp_path / "nowhere").names() == []


def test_save_creates_the_store_folder(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path / "models" / "prod")

    store.save(trained())

    assert store.names() == ["sma_cross"]


def test_loading_a_missing_model_raises_model_error_naming_model_and_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="'ghost' not found") as caught:
        FileModelStore(tmp_path).load("ghost")

    assert str(tmp_path / "ghost") in str(caught.value)


@pytest.mark.parametrize(
    ("file_name", "content", "problem"),
    [
        ("metadata.json", "{not json", "cannot read"),
        ("metadata.json", "[1, 2]", "JSON object"),
        ("metadata.json", '{"format_version": 99}', "format_version 99"),
        ("model.txt", "tree\ngarbage", "cannot read"),
    ],
    ids=["metadata-not-json", "metadata-not-object", "metadata-unknown-version", "model-garbage"],
)
def test_corrupt_files_raise_model_error_naming_model_and_file(
    tmp_path: Path, file_name: str, content: str, problem: str
) -> None:
    store = FileModelStore(tmp_path)
    store.save(trained())
    corrupt = tmp_path / "sma_cross" / file_name
    corrupt.write_text(content)

    with pytest.raises(ModelError, match=problem) as caught:
        store.load("sma_cross")

    assert "'sma_cross'" in str(caught.value)
    assert str(corrupt) in str(caught.value)


def test_a_missing_model_file_raises_model_error_naming_it(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    store.save(trained())
    (tmp_path / "sma_cross" / "model.txt").unlink()

    with pytest.raises(ModelError, match=r"sma_cross.*model\.txt"):
        store.load("sma_cross")


@pytest.mark.parametrize(
    "name", ["", "../escape", "a/b", ".hidden", "with space", "naïve", "x" * 129]
)
def test_invalid_model_names_are_refused_on_save_and_load(tmp_path: Path, name: str) -> None:
    store = FileModelStore(tmp_path)

    with pytest.raises(ModelError, match="invalid model name"):
        store.save(trained(name))
    with pytest.raises(ModelError, match="invalid model name"):
        store.load(name)
    assert list(tmp_path.iterdir()) == []


def test_unserializable_metadata_raises_model_error_naming_the_key_and_writes_nothing(
    tmp_path: Path,
) -> None:
    model = trained(config={"callback": object()})

    with pytest.raises(ModelError, match=r"config\.callback holds a value of type object"):
        FileModelStore(tmp_path).save(model)

    assert list(tmp_path.iterdir()) == []


def test_saving_an_unfitted_or_foreign_estimator_raises_model_error(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    unfitted = TrainedModel("m", LightGbmEstimator(), FEATURES, {})
    foreign = TrainedModel("m", object(), FEATURES, {})  # type: ignore[arg-type]

    with pytest.raises(ModelError, match="not fitted"):
        store.save(unfitted)
    with pytest.raises(ModelError, match="cannot store a object: no model text format"):
        store.save(foreign)


def test_feature_names_disagreeing_with_the_estimator_are_refused(tmp_path: Path) -> None:
    model = trained()
    mismatched = TrainedModel(model.name, model.estimator, ("a", "b", "c"), model.metadata)

    with pytest.raises(ModelError, match="differ"):
        FileModelStore(tmp_path).save(mismatched)
