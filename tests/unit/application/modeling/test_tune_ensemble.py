"""tune_ensemble: Optuna over a search space, scored by CPCV, every trial recorded for the DSR."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

from quantcli.application.modeling.train_ensemble import (
    TRIALS_TABLE,
    EnsembleRecipe,
    FeatureSet,
    trial_statistics,
)
from quantcli.application.modeling.tune_ensemble import (
    SearchDimension,
    TrialReport,
    nested,
    tune_ensemble,
)
from quantcli.application.validation.cpcv_evaluation import CpcvSettings, PathTrading
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import ValidationError

NAMES = ("signal", "noise")
SPACE = (SearchDimension("fake.scale", 0.05, 5.0, log=True),)


class PassThrough:
    def fit(self, features: Any, labels: Any, feature_names: Any) -> None:
        self.names = tuple(feature_names)

    def predict_proba(self, features: Any) -> Any:
        return np.asarray(features[:, 0], dtype=np.float64)

    def feature_importance(self, kind: str, features: Any = None) -> Any:
        return np.ones(len(self.names))


def feature_table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-02", periods=200, freq="B", tz="UTC")
    frame = pd.DataFrame([(s, d) for d in days for s in "ABC"], columns=["symbol", "timestamp"])
    frame["signal"] = rng.normal(0.0, 1.0, len(frame))
    frame["noise"] = rng.normal(0.0, 1.0, len(frame))
    frame["forward_return"] = 0.005 * frame["signal"] + rng.normal(0.0, 0.01, len(frame))
    frame["target"] = (frame["forward_return"] > 0).astype(float)
    frame["label_end"] = frame["timestamp"] + pd.Timedelta(days=1)
    return frame


def tune(fakes: ModuleType, store: Any, n_trials: int, **extra: Any) -> Any:
    seen: list[dict[str, Any]] = []

    def make_recipe(parameters: dict[str, dict[str, Any]]) -> EnsembleRecipe:
        seen.append(parameters)
        scale = parameters["fake"]["scale"]
        return EnsembleRecipe(
            base_factories={"fake": fakes.FakeEstimatorFactory("signal", scale)},
            meta_factory=PassThrough,
            inner_splitter=PurgedWalkForward(n_splits=2, embargo_bars=1),
            parallel=False,
        )

    result = tune_ensemble(
        feature_table(),
        feature_set=FeatureSet(NAMES, "h"),
        make_recipe=make_recipe,
        cpcv=CpcvSettings(n_folds=4, n_test_folds=2),
        trading=PathTrading(cost_bps=0.0),
        feature_store=store,
        n_trials=n_trials,
        search_space=SPACE,
        seed=7,
        **extra,
    )
    return result, seen


def test_every_trial_is_recorded_and_the_best_is_returned_nested(fakes: ModuleType) -> None:
    store = fakes.FakeFeatureStore()
    result, seen = tune(fakes, store, n_trials=8)

    assert len(seen) == 8
    assert len(result.trials) == 8
    assert set(result.trials["state"]) <= {"complete", "pruned"}
    complete = result.trials[result.trials["state"] == "complete"]
    assert np.isfinite(complete["sharpe"]).all()
    assert result.best_sharpe == pytest.approx(complete["sharpe"].max())
    best_row = complete.loc[complete["sharpe"].idxmax()]
    assert result.best_parameters == {"fake": {"scale": best_row["param.fake.scale"]}}
    assert store.load(TRIALS_TABLE)["trial"].tolist() == list(range(8))


def test_every_trial_is_reported_complete_or_pruned_with_the_best_sharpe_so_far(
    fakes: ModuleType,
) -> None:
    reports: list[TrialReport] = []
    result, _ = tune(fakes, fakes.FakeFeatureStore(), n_trials=8, on_trial=reports.append)

    assert [r.number for r in reports] == list(range(1, 9))
    assert {r.total for r in reports} == {8}
    assert [r.state for r in reports] == result.trials["state"].tolist()
    best = -np.inf
    for report, row in zip(reports, result.trials.itertuples(), strict=True):
        assert report.auc == pytest.approx(row.auc)
        if report.state == "complete":
            best = max(best, row.sharpe)
            assert report.sharpe == pytest.approx(row.sharpe)
            assert report.pruned_at_split is None
        else:
            assert report.sharpe is None
            assert report.pruned_at_split is not None
            assert report.pruned_at_split >= 1
        assert report.best_sharpe == (None if best == -np.inf else pytest.approx(best))


def test_optuna_logs_nothing_at_info_level(fakes: ModuleType) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    optuna_logger = logging.getLogger("optuna")
    optuna_logger.addHandler(handler)
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        tune(fakes, fakes.FakeFeatureStore(), n_trials=2)
    finally:
        optuna_logger.removeHandler(handler)

    assert [r.getMessage() for r in records if r.levelno < logging.WARNING] == []


def test_the_history_grows_across_runs_and_deflates_later_models(fakes: ModuleType) -> None:
    store = fakes.FakeFeatureStore()
    tune(fakes, store, n_trials=3)
    second, _ = tune(fakes, store, n_trials=4)

    assert second.total_trials == 7
    stats = trial_statistics(store, periods_per_year=252.0)
    assert stats.n_trials == 7
    assert stats.sharpe_variance > 0.0


def test_the_same_seed_tries_the_same_parameters(fakes: ModuleType) -> None:
    _, first = tune(fakes, fakes.FakeFeatureStore(), n_trials=4)
    _, again = tune(fakes, fakes.FakeFeatureStore(), n_trials=4)
    assert first == again


def test_nested_splits_model_and_parameter() -> None:
    assert nested({"a.x": 1, "a.y": 2.5, "b.z": 3}) == {"a": {"x": 1, "y": 2.5}, "b": {"z": 3}}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "no_model", "low": 1, "high": 2}, "<model>.<parameter>"),
        ({"name": "m.p", "low": 2, "high": 2}, "low must be below high"),
        ({"name": "m.p", "low": 0, "high": 2, "log": True}, "low > 0"),
    ],
)
def test_a_bad_dimension_is_named(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SearchDimension(**arguments)


def test_zero_trials_is_refused(fakes: ModuleType) -> None:
    with pytest.raises(ValidationError, match="n_trials 0"):
        tune(fakes, fakes.FakeFeatureStore(), n_trials=0)
