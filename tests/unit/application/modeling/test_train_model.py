"""train_direction_model with a FakeEstimator: OOS predictions, purged fits, cutoff, final model."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import FeatureParameters, TargetDefinition
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.modeling.train_model import (
    DEFAULT_MODEL_NAME,
    OOS_PREDICTIONS_TABLE,
    TrainingResult,
    train_direction_model,
)
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import DataError

SPEC = FeatureSpec.from_parameters(
    FeatureParameters(
        return_horizons=(1,),
        volatility_window=2,
        sma_periods=(2,),
        volume_window=2,
        ranks=(),
        families=("price", "stationary"),
    ),
    TargetDefinition(horizon=2),
)
NAMES = list(SPEC.feature_names)
SIGNAL = "return_1"  # what FakeEstimator predicts from
TAG = "volume_zscore_2"  # a unique row number, to tell which rows an estimator saw
N_BARS = 30
HORIZON = 2
SPLITTER = PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=2, min_train_fraction=0.4)


def feature_table(fakes: ModuleType, n_bars: int = N_BARS, seed: int = 0) -> pd.DataFrame:
    """Two symbols' feature rows sorted by (timestamp, symbol), labels HORIZON bars ahead."""
    rng = np.random.default_rng(seed)
    days = fakes.utc_days(n_bars)
    frames = []
    for symbol in ("AAA", "BBB"):
        signal = rng.normal(0.0, 1.0, n_bars)
        forward = 0.01 * signal + rng.normal(0.0, 0.01, n_bars)
        forward[-HORIZON:] = np.nan
        frame = pd.DataFrame({"symbol": symbol, "timestamp": days})
        for name in NAMES:
            frame[name] = rng.normal(0.0, 1.0, n_bars)
        frame[SIGNAL] = signal
        frame["forward_return"] = forward
        frame["target"] = np.where(np.isnan(forward), np.nan, (forward > 0).astype(float))
        frame["label_end"] = pd.Series(days).shift(-HORIZON).to_numpy()
        frames.append(frame)
    table = pd.concat(frames).sort_values(["timestamp", "symbol"], kind="stable")
    table = table.reset_index(drop=True)
    table[TAG] = np.arange(len(table), dtype=np.float64)
    return table


def expected_splits(table: pd.DataFrame) -> list:
    times = table["timestamp"].to_numpy(dtype="datetime64[ns]")
    ends = table["label_end"].to_numpy(dtype="datetime64[ns]")
    return list(SPLITTER.split(times, ends))


def train(
    fakes: ModuleType, table: pd.DataFrame, **overrides: object
) -> tuple[TrainingResult, object, object, object]:
    factory = fakes.FakeEstimatorFactory(SIGNAL)
    model_store = fakes.FakeModelStore()
    feature_store = fakes.FakeFeatureStore()
    arguments: dict[str, object] = {
        "spec": SPEC,
        "splitter": SPLITTER,
        "estimator_factory": factory,
        "model_store": model_store,
        "feature_store": feature_store,
    }
    arguments.update(overrides)
    result = train_direction_model(table, **arguments)  # type: ignore[arg-type]
    return result, factory, model_store, feature_store


def test_out_of_sample_predictions_are_made_only_for_test_rows(fakes: ModuleType) -> None:
    table = feature_table(fakes)
    tested = np.concatenate([split.test for split in expected_splits(table)])

    result, _, _, _ = train(fakes, table)

    oos = result.out_of_sample
    assert list(oos.columns) == [
        "symbol",
        "timestamp",
        "probability_up",
        "target",
        "forward_return",
    ]
    expected = table.iloc[tested].reset_index(drop=True)
    assert oos["symbol"].tolist() == expected["symbol"].tolist()
    assert oos["timestamp"].tolist() == expected["timestamp"].tolist()
    np.testing.assert_allclose(oos["probability_up"], 1 / (1 + np.exp(-expected[SIGNAL])))
    np.testing.assert_array_equal(oos["target"], expected["target"])
    np.testing.assert_array_equal(oos["forward_return"], expected["forward_return"])
    # The first 40 % of the timeline (12 of 30 bars) is never predicted.
    assert oos["timestamp"].min() == table["timestamp"].unique()[12]


def test_each_fold_estimator_is_fitted_only_on_its_purged_training_rows(
    fakes: ModuleType,
) -> None:
    table = feature_table(fakes)
    splits = expected_splits(table)
    timeline = table["timestamp"].unique()

    _, factory, _, _ = train(fakes, table)

    assert len(factory.created) == SPLITTER.n_splits + 1
    for estimator, split in zip(factory.created, splits, strict=False):
        assert estimator.feature_names == tuple(NAMES)
        tags = estimator.fitted_column(TAG)
        assert tags.tolist() == table[TAG].iloc[split.train].tolist()
        np.testing.assert_array_equal(estimator.fitted_labels, table["target"].iloc[split.train])
        seen = table.iloc[tags.astype(int)]
        block_start = list(timeline).index(table["timestamp"].iloc[split.test].min())
        # Every label it saw ended more than purge_bars bars before the test block...
        assert (seen["label_end"] < timeline[block_start - SPLITTER.purge_bars]).all()
        # ... and every row it saw lies more than embargo_bars bars before it.
        assert (seen["timestamp"] < timeline[block_start - SPLITTER.embargo_bars]).all()
        # It predicted exactly its test rows.
        (predicted,) = estimator.predicted
        assert predicted[:, NAMES.index(TAG)].tolist() == table[TAG].iloc[split.test].tolist()


def test_the_final_model_is_fitted_on_every_labelled_row(fakes: ModuleType) -> None:
    table = feature_table(fakes)

    result, factory, _, _ = train(fakes, table)

    final = factory.created[-1]
    assert result.model.estimator is final
    labelled = table[table["target"].notna()]
    assert final.fitted_column(TAG).tolist() == labelled[TAG].tolist()
    np.testing.assert_array_equal(final.fitted_labels, labelled["target"])
    assert result.training_rows == 2 * (N_BARS - HORIZON)


def test_until_excludes_rows_whose_label_ends_after_the_cutoff(fakes: ModuleType) -> None:
    table = feature_table(fakes)
    days = fakes.utc_days(N_BARS)
    cutoff: datetime = days[20].to_pydatetime()

    result, factory, _, _ = train(fakes, table, until=cutoff)

    # Labels of bars 19 and 20 end at bars 21 and 22, after the cutoff.
    usable = table[table["timestamp"] <= days[18]]
    final = factory.created[-1]
    assert final.fitted_column(TAG).tolist() == usable[TAG].tolist()
    for estimator in factory.created:
        seen = table.iloc[estimator.fitted_column(TAG).astype(int)]
        assert (seen["label_end"] <= days[20]).all()
    assert result.out_of_sample["timestamp"].max() == days[18]
    assert result.training_rows == len(usable)
    assert result.model.metadata["trained_until"] == days[18].isoformat()


def test_until_before_every_row_raises_data_error(fakes: ModuleType) -> None:
    table = feature_table(fakes)
    with pytest.raises(DataError, match="no feature rows on or before 2023-12-31"):
        train(fakes, table, until=datetime.fromisoformat("2023-12-31T00:00:00+00:00"))


def test_metadata_describes_the_training(fakes: ModuleType) -> None:
    table = feature_table(fakes)

    result, _, _, _ = train(fakes, table, model_name="direction-test")

    oos = result.out_of_sample
    scored = oos[oos["target"].notna()]
    calls_right = (scored["probability_up"] > 0.5) == (scored["target"] == 1.0)
    fold_accuracies = []
    for split in expected_splits(table):
        rows = table.iloc[split.test]
        rows = rows[rows["target"].notna()]
        up = 1 / (1 + np.exp(-rows[SIGNAL])) > 0.5
        fold_accuracies.append(float(np.mean(up == (rows["target"] == 1.0))))
    model = result.model
    assert model.name == "direction-test"
    assert model.feature_names == tuple(NAMES)
    metadata = dict(model.metadata)
    oos_auc = metadata.pop("oos_auc")
    assert metadata == {
        "feature_spec": SPEC.metadata(),
        "feature_definition_hash": SPEC.definition_hash,
        "splitter": {
            "n_splits": 3,
            "purge_bars": 1,
            "embargo_bars": 2,
            "min_train_fraction": 0.4,
        },
        "trained_from": "2024-01-01T00:00:00+00:00",
        "trained_until": "2024-01-30T00:00:00+00:00",
        "training_rows": 2 * (N_BARS - HORIZON),
        "symbols": ["AAA", "BBB"],
        "oos_accuracy": pytest.approx(float(calls_right.mean())),
        "fold_accuracies": pytest.approx(fold_accuracies),
    }
    positives = scored.loc[scored["target"] == 1.0, "probability_up"].to_numpy()
    negatives = scored.loc[scored["target"] == 0.0, "probability_up"].to_numpy()
    pairwise = (positives[:, None] > negatives[None, :]).mean()
    assert oos_auc == pytest.approx(pairwise)
    assert result.oos_accuracy == metadata["oos_accuracy"]
    assert result.oos_auc == oos_auc
    assert result.fold_accuracies == tuple(metadata["fold_accuracies"])


def test_the_model_and_the_oos_predictions_are_saved(fakes: ModuleType) -> None:
    table = feature_table(fakes)

    result, _, model_store, feature_store = train(fakes, table)

    assert model_store.load(DEFAULT_MODEL_NAME) is result.model
    assert feature_store.saved == [OOS_PREDICTIONS_TABLE]
    pd.testing.assert_frame_equal(feature_store.load(OOS_PREDICTIONS_TABLE), result.out_of_sample)


def test_progress_is_reported_per_fold_and_for_the_final_fit(fakes: ModuleType) -> None:
    calls: list[tuple[int, int]] = []

    train(fakes, feature_table(fakes), on_progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_missing_feature_columns_raise_data_error_naming_them(fakes: ModuleType) -> None:
    table = feature_table(fakes).drop(columns=["close_to_sma_2", "overnight_gap"])

    with pytest.raises(DataError, match="feature table lacks overnight_gap, close_to_sma_2"):
        train(fakes, table)


def test_nothing_is_fitted_or_saved_when_feature_columns_are_missing(fakes: ModuleType) -> None:
    factory = fakes.FakeEstimatorFactory(SIGNAL)
    model_store, feature_store = fakes.FakeModelStore(), fakes.FakeFeatureStore()

    with pytest.raises(DataError):
        train_direction_model(
            feature_table(fakes).drop(columns=[SIGNAL]),
            spec=SPEC,
            splitter=SPLITTER,
            estimator_factory=factory,
            model_store=model_store,
            feature_store=feature_store,
        )
    assert factory.created == []
    assert model_store.models == {}
    assert feature_store.saved == []


def test_a_forward_return_target_is_refused_by_the_direction_model(fakes: ModuleType) -> None:
    spec = FeatureSpec(SPEC.features, TargetDefinition(kind="forward_return", horizon=2))

    with pytest.raises(DataError, match="target kind forward_return is not a 0/1 label"):
        train_direction_model(
            feature_table(fakes),
            spec=spec,
            splitter=SPLITTER,
            estimator_factory=fakes.FakeEstimatorFactory(SIGNAL),
            model_store=fakes.FakeModelStore(),
            feature_store=fakes.FakeFeatureStore(),
        )
