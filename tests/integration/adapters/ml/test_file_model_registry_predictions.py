"""FileModelRegistry keeps each version's out-of-sample predictions with the version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.ml import FileModelRegistry, LightGbmEstimator, file_model_registry
from quantcli.application.modeling.ports import TrainedModel
from quantcli.domain.errors import ModelError, StorageError

NAME = "direction-lgbm"
FEATURES = ("ret_1d", "vol_20d")
START = dt.datetime(2024, 5, 17, 14, 30, tzinfo=dt.UTC)


def trained() -> TrainedModel:
    rng = np.random.default_rng(7)
    features = rng.normal(size=(200, 2))
    estimator = LightGbmEstimator(num_boost_round=5)
    estimator.fit(features, (features[:, 0] > 0).astype(np.float64), FEATURES)
    return TrainedModel(name=NAME, estimator=estimator, feature_names=FEATURES, metadata={})


MODEL = trained()


def predictions(seed: int) -> pd.DataFrame:
    """Out-of-sample predictions as training writes them: 2 symbols x 5 days, some unlabelled."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-02", periods=5, freq="B", tz="UTC")
    frame = pd.DataFrame(
        {
            "symbol": pd.Series(["AAA", "BBB"] * 5, dtype=object),
            "timestamp": np.repeat(days, 2),
            "probability_up": rng.uniform(size=10),
            "target": rng.integers(0, 2, size=10).astype(np.float64),
            "forward_return": rng.normal(scale=0.01, size=10),
        }
    )
    frame.loc[8:, ["target", "forward_return"]] = np.nan  # the last day has no label yet
    return frame


@pytest.fixture
def registry(tmp_path: Path) -> FileModelRegistry:
    return FileModelRegistry(tmp_path, clock=lambda: START)


def test_predictions_are_stored_in_the_version_folder_and_read_back_unchanged(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    registry.register(NAME, MODEL, {}, predictions=predictions(1))

    assert sorted(p.name for p in (tmp_path / NAME / "v0001").iterdir()) == [
        "metadata.json",
        "model",
        "predictions.parquet",
    ]
    pd.testing.assert_frame_equal(registry.predictions(NAME, 1), predictions(1))


def test_each_version_keeps_its_own_predictions_chosen_like_its_model(
    registry: FileModelRegistry,
) -> None:
    registry.register(NAME, MODEL, {}, predictions=predictions(1))
    registry.register(NAME, MODEL, {}, predictions=predictions(2))

    pd.testing.assert_frame_equal(registry.predictions(NAME, 1), predictions(1))
    pd.testing.assert_frame_equal(registry.predictions(NAME, 2), predictions(2))
    pd.testing.assert_frame_equal(registry.predictions(NAME), predictions(2))  # the latest

    registry.promote(NAME, 1)

    pd.testing.assert_frame_equal(registry.predictions(NAME), predictions(1))  # production


def test_a_version_without_predictions_names_itself_and_asks_for_a_retrain(
    registry: FileModelRegistry,
) -> None:
    registry.register(NAME, MODEL, {})  # as every version registered before predictions were kept

    with pytest.raises(ModelError) as caught:
        registry.predictions(NAME, 1)

    assert str(caught.value) == (
        "model direction-lgbm version 1 has no stored out-of-sample predictions (it was "
        "registered before versions kept them): retrain with `quantcli train` and use the new "
        "version"
    )


def test_an_unknown_version_or_name_is_a_model_error(registry: FileModelRegistry) -> None:
    registry.register(NAME, MODEL, {}, predictions=predictions(1))

    with pytest.raises(ModelError, match="model direction-lgbm has no version 3; versions: 1"):
        registry.predictions(NAME, 3)
    with pytest.raises(ModelError, match="model ghost is not registered"):
        registry.predictions("ghost")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (predictions(1).drop(columns="probability_up"), "lack column\\(s\\) probability_up"),
        (predictions(1).iloc[0:0], "have no rows"),
    ],
    ids=["missing column", "empty"],
)
def test_unusable_predictions_are_refused_before_anything_is_written(
    registry: FileModelRegistry, tmp_path: Path, table: pd.DataFrame, problem: str
) -> None:
    with pytest.raises(ModelError, match=f"model direction-lgbm: .*{problem}"):
        registry.register(NAME, MODEL, {}, predictions=table)

    assert not (tmp_path / NAME).exists()


def test_a_failed_predictions_write_leaves_no_version_and_no_debris(
    registry: FileModelRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.register(NAME, MODEL, {}, predictions=predictions(1))

    def fail(_folder: Path, _encoded: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(file_model_registry, "write_predictions", fail)

    with pytest.raises(StorageError, match="disk full"):
        registry.register(NAME, MODEL, {}, predictions=predictions(2))

    assert [v.version for v in registry.list(NAME)] == [1]
    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == [
        ".lock",
        "registry.json",
        "v0001",
    ]


def test_pruning_a_version_deletes_its_predictions(
    registry: FileModelRegistry, tmp_path: Path
) -> None:
    for seed in (1, 2, 3):
        registry.register(NAME, MODEL, {}, predictions=predictions(seed))

    assert registry.prune(NAME, keep_last=1) == (1, 2)

    assert not (tmp_path / NAME / "v0001").exists()
    pd.testing.assert_frame_equal(registry.predictions(NAME, 3), predictions(3))
