"""ParquetFeatureStore against a real folder: exact round trips, atomic replacement, errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from quantcli.adapters.storage import ParquetFeatureStore
from quantcli.application.features.ports import FeatureStore
from quantcli.domain.errors import DataError, StorageError, ValidationError


@pytest.fixture
def feature_store(tmp_path: Path) -> ParquetFeatureStore:
    return ParquetFeatureStore(tmp_path / "features")


def _features(rows: int = 6, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "symbol": pd.Series(["AAPL", "MSFT"] * (rows // 2), dtype=object),
            "timestamp": pd.date_range("2024-01-02", periods=rows, freq="h", tz="UTC", unit="ns"),
            "return_1": rng.normal(size=rows),
            "volatility_20": np.abs(rng.normal(size=rows)),
            "label": rng.integers(0, 2, rows).astype(np.int8),
            "sector": pd.Categorical(["tech", "software"] * (rows // 2)),
            "regime": pd.Series(["calm", None] * (rows // 2), dtype="str"),
            "volume_rank": pd.array([1, None] * (rows // 2), dtype="Int64"),
            "is_earnings": [True, False] * (rows // 2),
        }
    )


def test_parquet_feature_store_satisfies_the_feature_store_port(
    feature_store: ParquetFeatureStore,
) -> None:
    store: FeatureStore = feature_store
    store.save("t", _features())
    assert len(store.load("t")) == 6


def test_a_table_round_trips_with_its_dtypes_including_utc_timestamps(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    table = _features()
    feature_store.save("daily_features", table)
    assert (tmp_path / "features" / "daily_features.parquet").is_file()
    loaded = feature_store.load("daily_features")
    assert_frame_equal(loaded, table, check_exact=True)
    assert str(loaded["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert loaded["symbol"].dtype == object


def test_a_symbol_and_timestamp_multi_index_round_trips(
    feature_store: ParquetFeatureStore,
) -> None:
    table = _features().set_index(["symbol", "timestamp"])
    feature_store.save("indexed", table)
    assert_frame_equal(feature_store.load("indexed"), table, check_exact=True)


def test_a_microsecond_timestamp_keeps_its_unit(feature_store: ParquetFeatureStore) -> None:
    table = pd.DataFrame({"timestamp": pd.date_range("2024", periods=3, tz="UTC", unit="us")})
    feature_store.save("us", table)
    assert_frame_equal(feature_store.load("us"), table, check_exact=True)


def test_saving_again_replaces_the_table(feature_store: ParquetFeatureStore) -> None:
    feature_store.save("t", _features(rows=6, seed=1))
    replacement = _features(rows=2, seed=2)
    feature_store.save("t", replacement)
    assert_frame_equal(feature_store.load("t"), replacement, check_exact=True)
    assert feature_store.names() == ["t"]


def test_a_missing_table_raises_data_error_naming_the_table_and_path(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    with pytest.raises(DataError) as error:
        feature_store.load("never_saved")
    message = str(error.value)
    assert "never_saved" in message
    assert str(tmp_path / "features" / "never_saved.parquet") in message


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "with space", "dot.ted", "ü"])
def test_a_bad_table_name_is_refused_naming_it(
    feature_store: ParquetFeatureStore, tmp_path: Path, name: str
) -> None:
    with pytest.raises(ValidationError, match="feature table name") as error:
        feature_store.save(name, _features())
    assert repr(name) in str(error.value)
    with pytest.raises(ValidationError):
        feature_store.load(name)
    assert not (tmp_path / "features").exists() or not any((tmp_path / "features").iterdir())


def test_names_with_letters_digits_underscores_and_dashes_are_accepted(
    feature_store: ParquetFeatureStore,
) -> None:
    for name in ("A", "x_1", "cpcv-fold-3", "2024"):
        feature_store.save(name, _features(rows=2))
    assert feature_store.names() == ["2024", "A", "cpcv-fold-3", "x_1"]


def test_a_failed_rename_leaves_the_old_table_intact_and_no_temporary_file(
    feature_store: ParquetFeatureStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = _features(seed=1)
    feature_store.save("t", original)

    def crash(source: object, target: object) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StorageError, match="feature table t: cannot write") as error:
        feature_store.save("t", _features(seed=2))
    assert str(tmp_path / "features" / "t.parquet") in str(error.value)
    monkeypatch.undo()
    assert_frame_equal(feature_store.load("t"), original, check_exact=True)
    assert sorted(os.listdir(tmp_path / "features")) == ["t.parquet"]


def test_a_table_parquet_cannot_hold_raises_data_error_and_keeps_the_old_one(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    original = _features()
    feature_store.save("t", original)
    mixed = pd.DataFrame({"value": pd.Series(["text", 1.5], dtype=object)})
    with pytest.raises(DataError, match="feature table t: cannot be written as Parquet"):
        feature_store.save("t", mixed)
    assert_frame_equal(feature_store.load("t"), original, check_exact=True)
    assert sorted(os.listdir(tmp_path / "features")) == ["t.parquet"]


def test_non_text_column_names_are_refused(feature_store: ParquetFeatureStore) -> None:
    with pytest.raises(DataError, match="column names must be text"):
        feature_store.save("t", pd.DataFrame({1: [1.0]}))


def test_a_corrupt_file_raises_storage_error_naming_it(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    path = tmp_path / "features" / "broken.parquet"
    path.parent.mkdir()
    path.write_bytes(b"not parquet at all")
    with pytest.raises(StorageError) as error:
        feature_store.load("broken")
    assert str(path) in str(error.value)


def test_an_unwritable_directory_raises_storage_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    store = ParquetFeatureStore(blocker / "features")
    with pytest.raises(StorageError) as error:
        store.save("t", _features())
    assert str(blocker / "features") in str(error.value)


def test_delete_removes_the_table_and_says_whether_there_was_one(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    feature_store.save("a", _features())
    feature_store.save("b", _features())

    assert feature_store.delete("a") is True
    assert feature_store.delete("a") is False

    assert feature_store.names() == ["b"]
    assert sorted(os.listdir(tmp_path / "features")) == ["b.parquet"]


def test_temporary_files_of_dead_writers_are_discarded_and_live_ones_kept(
    feature_store: ParquetFeatureStore, tmp_path: Path
) -> None:
    feature_store.save("t", _features())
    folder = tmp_path / "features"
    child = subprocess.Popen(["true"])
    child.wait()  # a process id that no longer runs: its writer was killed mid-save
    dead = folder / f".t.{child.pid}.k3j2h1.parquet.tmp"
    live = folder / f".t.{os.getpid()}.a9b8c7.parquet.tmp"
    dead.write_bytes(b"half")
    live.write_bytes(b"being written")

    assert feature_store.discard_debris() == (dead.name,)

    assert sorted(os.listdir(folder)) == [live.name, "t.parquet"]


def test_a_save_names_its_temporary_file_after_its_process(
    feature_store: ParquetFeatureStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(source: str | Path, target: str | Path) -> None:
        seen.append(Path(source).name)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)

    feature_store.save("t", _features())

    assert len(seen) == 1
    assert seen[0].startswith(f".t.{os.getpid()}.")
    assert seen[0].endswith(".parquet.tmp")
