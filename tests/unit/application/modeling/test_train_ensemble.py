"""train_ensemble and validate_model with fake estimators, store and registry."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.performance import sharpe_ratio
from quantcli.application.modeling.ports import PREDICTION_COLUMNS
from quantcli.application.modeling.train_ensemble import (
    TRIALS_TABLE,
    EnsembleRecipe,
    FeatureSet,
    cpcv_paths_table,
    labelled_sample,
    train_ensemble,
)
from quantcli.application.modeling.validate_model import validate_model
from quantcli.application.validation.cpcv_evaluation import CpcvSettings, PathTrading
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.application.validation.validation_gates import GateThresholds
from quantcli.domain.errors import DataError, ModelError

DAYS = 300
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
NAMES = ("signal", "noise")


class PassThrough:
    """A meta-learner that returns its first input: the one base model's probability."""

    def fit(self, features: Any, labels: Any, feature_names: Sequence[str]) -> None:
        self.feature_names = tuple(feature_names)

    def predict_proba(self, features: Any) -> Any:
        return np.asarray(features[:, 0], dtype=np.float64)

    def feature_importance(self, kind: str, features: Any = None) -> Any:
        return np.ones(len(self.feature_names))


def feature_table(edge: float, seed: int = 1) -> pd.DataFrame:
    """Features where `signal` predicts the next return with strength `edge` (0: none)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-02", periods=DAYS, freq="B", tz="UTC")
    frame = pd.DataFrame([(s, d) for d in days for s in SYMBOLS], columns=["symbol", "timestamp"])
    signal = rng.normal(0.0, 1.0, len(frame))
    frame["signal"] = signal
    frame["noise"] = rng.normal(0.0, 1.0, len(frame))
    frame["forward_return"] = edge * 0.01 * signal + rng.normal(0.0, 0.01, len(frame))
    frame["target"] = (frame["forward_return"] > 0).astype(float)
    frame["label_end"] = frame["timestamp"] + pd.Timedelta(days=1)
    frame.loc[frame["timestamp"] == days[-1], ["target", "label_end"]] = np.nan
    return frame


def run(fakes: ModuleType, table: pd.DataFrame, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "feature_set": FeatureSet(NAMES, "hash-1", {"spec": "test"}),
        "recipe": EnsembleRecipe(
            base_factories={"signal_model": fakes.FakeEstimatorFactory("signal", 3.0)},
            meta_factory=PassThrough,
            inner_splitter=PurgedWalkForward(n_splits=2, embargo_bars=1),
            parallel=False,
            parameters={"fake": {"scale": 3.0}},
        ),
        "cpcv": CpcvSettings(n_folds=5, n_test_folds=2, embargo_fraction=0.01),
        "trading": PathTrading(cost_bps=1.0),
        "thresholds": GateThresholds(),
        "registry": fakes.FakeModelRegistry(),
        "feature_store": fakes.FakeFeatureStore(),
        "model_name": "stack",
    }
    arguments.update(overrides)
    return train_ensemble(table, **arguments), arguments


def test_a_planted_edge_passes_the_gates_and_is_registered_with_its_audit_trail(
    fakes: ModuleType,
) -> None:
    progress: list[tuple[int, int]] = []
    training, arguments = run(
        fakes, feature_table(edge=1.0), on_progress=lambda *p: progress.append(p)
    )

    assert training.passed, [g for g in training.gates if not g.passed]
    assert training.version.version == 1
    metadata = training.version.metadata
    assert metadata["feature_definition_hash"] == "hash-1"
    assert metadata["cpcv"]["n_splits"] == 10
    assert metadata["cpcv"]["n_paths"] == 4
    assert metadata["data_range"]["rows"] == (DAYS - 1) * len(SYMBOLS)
    assert len(metadata["data_hash"]) == 64
    assert set(metadata["gates"]) == {g.name for g in training.gates}
    assert metadata["gates_passed"] is True
    assert metadata["parameters"] == {"fake": {"scale": 3.0}}
    assert metadata["trials"] == {"n_trials": 1, "sharpe_variance": 0.0}
    # The report ranks the feature the model reads first.
    assert training.features.importances[0].name == "signal"
    assert progress[-1] == (11, 11)
    assert len(progress) == 11

    store = arguments["feature_store"]
    paths = store.load(cpcv_paths_table("stack", 1))
    assert list(paths.columns) == ["timestamp", "path_0", "path_1", "path_2", "path_3"]
    # The version's out-of-sample predictions are registered with it, not left in one shared
    # table that the next training overwrites.
    assert store.saved == [cpcv_paths_table("stack", 1)]
    oos = arguments["registry"].predictions("stack", 1)
    assert tuple(oos.columns) == PREDICTION_COLUMNS
    assert len(oos) == (DAYS - 1) * len(SYMBOLS)
    np.testing.assert_array_equal(
        oos["probability_up"].to_numpy(), training.evaluation.mean_probabilities()
    )


def test_each_training_registers_its_own_predictions_with_its_version(fakes: ModuleType) -> None:
    registry = fakes.FakeModelRegistry()
    first, _ = run(fakes, feature_table(edge=1.0), registry=registry)
    weaker_signal = EnsembleRecipe(
        base_factories={"signal_model": fakes.FakeEstimatorFactory("signal", 1.0)},
        meta_factory=PassThrough,
        inner_splitter=PurgedWalkForward(n_splits=2, embargo_bars=1),
        parallel=False,
    )
    second, _ = run(fakes, feature_table(edge=1.0), registry=registry, recipe=weaker_signal)

    assert (first.version.version, second.version.version) == (1, 2)
    one, two = registry.predictions("stack", 1), registry.predictions("stack", 2)
    np.testing.assert_array_equal(
        one["probability_up"].to_numpy(), first.evaluation.mean_probabilities()
    )
    np.testing.assert_array_equal(
        two["probability_up"].to_numpy(), second.evaluation.mean_probabilities()
    )
    assert not np.array_equal(one["probability_up"].to_numpy(), two["probability_up"].to_numpy())


def test_no_edge_fails_the_gates(fakes: ModuleType) -> None:
    training, _ = run(fakes, feature_table(edge=0.0))

    assert not training.passed
    failed = {g.name for g in training.gates if not g.passed}
    assert {"psr", "dsr"} <= failed


def test_validate_re_judges_the_stored_paths_with_todays_thresholds(fakes: ModuleType) -> None:
    training, arguments = run(fakes, feature_table(edge=1.0))
    registry, store = arguments["registry"], arguments["feature_store"]

    same = validate_model(registry, store, "stack", thresholds=GateThresholds())
    assert [(g.name, g.value) for g in same.gates] == [(g.name, g.value) for g in training.gates]
    assert same.passed

    strict = validate_model(registry, store, "stack", thresholds=GateThresholds(min_sharpe=1e6))
    assert strict.failures() == ["mean_sharpe"]


def test_validate_names_a_model_without_paths(fakes: ModuleType) -> None:
    _training, arguments = run(fakes, feature_table(edge=1.0))
    with pytest.raises(ModelError, match="stack v1 has no CPCV paths"):
        validate_model(
            arguments["registry"], fakes.FakeFeatureStore(), "stack", thresholds=GateThresholds()
        )


def test_tuning_trials_deflate_the_sharpe(fakes: ModuleType) -> None:
    store = fakes.FakeFeatureStore()
    sharpes = np.linspace(-1.0, 3.0, 200)
    store.save(TRIALS_TABLE, pd.DataFrame({"sharpe": sharpes}))
    alone, _ = run(fakes, feature_table(edge=0.3))
    tuned, _ = run(fakes, feature_table(edge=0.3), feature_store=store)

    assert tuned.trials.n_trials == 200
    dsr = {
        t: next(g.value for g in r.gates if g.name == "dsr")
        for t, r in (("a", alone), ("t", tuned))
    }
    assert dsr["t"] < dsr["a"]


def test_labels_not_known_by_the_cutoff_are_left_out() -> None:
    table = feature_table(edge=1.0)
    cutoff = table["timestamp"].iloc[len(table) // 2]
    sample = labelled_sample(table, NAMES, cutoff.to_pydatetime())

    assert (sample["label_end"] <= cutoff).all()
    assert sample["timestamp"].is_monotonic_increasing


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match="lacks noise"):
        labelled_sample(feature_table(1.0).drop(columns="noise"), NAMES, None)


def test_gates_on_hourly_training_bars_annualize_by_their_bars_per_year(
    fakes: ModuleType,
) -> None:
    table = feature_table(edge=1.0)
    days = sorted(table["timestamp"].unique())
    hours = {day: days[0] + pd.Timedelta(hours=i) for i, day in enumerate(days)}
    table["timestamp"] = table["timestamp"].map(hours)
    table["label_end"] = table["timestamp"] + pd.Timedelta(hours=1)
    table.loc[table["target"].isna(), "label_end"] = pd.NaT
    training, arguments = run(fakes, table)

    # A bar every hour around the clock: 24 × 365.25 = 8 766 a year, not 252.
    assert training.evaluation.periods_per_year == pytest.approx(8_766.0)
    sharpes = [sharpe_ratio(path, 8_766.0) for path in training.evaluation.path_returns]
    gates = {g.name: g.value for g in training.gates}
    assert gates["mean_sharpe"] == pytest.approx(np.mean(sharpes))
    assert gates["worst_path_sharpe"] == pytest.approx(np.min(sharpes))
    again = validate_model(
        arguments["registry"], arguments["feature_store"], "stack", thresholds=GateThresholds()
    )
    assert {g.name: g.value for g in again.gates} == pytest.approx(gates)
