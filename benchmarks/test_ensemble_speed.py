"""Stacked-ensemble training (LightGBM, XGBoost, CatBoost on 3 purged folds + final refits,
logistic meta-learner), fits run on threads against one after another.

Both use every core: in parallel one fit per core with 1 thread each, sequentially one fit at
a time with all the cores' threads. Small trees on a few thousand rows, as in a fold of daily
bars, where one library's own threads help little and running the fits side by side helps more.
QUANTCLI_BENCH_FULL=1 uses 4x the rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quantcli.adapters.ml import (
    CatboostEstimator,
    LightGbmEstimator,
    LogisticMetaLearner,
    XgboostEstimator,
)
from quantcli.application.modeling.ensemble import (
    EnsembleTrainingResult,
    plan_parallelism,
    train_stacked_ensemble,
)
from quantcli.application.modeling.ports import EstimatorFactory
from quantcli.application.validation.purged_splits import PurgedWalkForward

Measure = Callable[..., Any]
ROWS = 12_000 if os.environ.get("QUANTCLI_BENCH_FULL") == "1" else 3_000
NAMES = tuple(f"feature_{i}" for i in range(8))
SPLITTER = PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=5, min_train_fraction=0.4)
PARALLEL = plan_parallelism(True)
SEQUENTIAL = plan_parallelism(False)


def members(threads: int) -> dict[str, EstimatorFactory]:
    return {
        "lightgbm": lambda: LightGbmEstimator(
            {"learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 50},
            num_boost_round=60,
            num_threads=threads,
        ),
        "xgboost": lambda: XgboostEstimator(
            {"max_depth": 4, "learning_rate": 0.1, "subsample": 0.8},
            num_boost_round=60,
            num_threads=threads,
        ),
        "catboost": lambda: CatboostEstimator(
            {"depth": 4, "learning_rate": 0.1}, iterations=60, num_threads=threads
        ),
    }


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    features = rng.normal(size=(ROWS, len(NAMES)))
    score = features[:, 0] - 0.5 * features[:, 1] + rng.normal(0.0, 1.0, ROWS)
    labels = (score > 0).astype(np.float64)
    times = np.datetime64("2010-01-01", "ns") + np.arange(ROWS) * np.timedelta64(1, "D")
    return features, labels, times, times + np.timedelta64(1, "D")


def train(sample: tuple[np.ndarray, ...], workers: int, threads: int) -> EnsembleTrainingResult:
    features, labels, times, label_ends = sample
    return train_stacked_ensemble(
        features,
        labels,
        times,
        label_ends,
        NAMES,
        base_factories=members(threads),
        meta_factory=LogisticMetaLearner,
        splitter=SPLITTER,
        parallel=workers,
    )


@pytest.mark.benchmark(group="stacked ensemble")
def test_ensemble_parallel(measure: Measure, sample: tuple[np.ndarray, ...]) -> None:
    result = measure("kernel", train, sample, PARALLEL.workers, PARALLEL.threads_per_model)
    assert result.n_folds == 3
    assert PARALLEL.workers * PARALLEL.threads_per_model <= (os.cpu_count() or 1)


@pytest.mark.benchmark(group="stacked ensemble")
def test_ensemble_sequential(measure: Measure, sample: tuple[np.ndarray, ...]) -> None:
    result = measure("sequential", train, sample, SEQUENTIAL.workers, SEQUENTIAL.threads_per_model)
    assert result.n_folds == 3


@pytest.mark.benchmark(group="stacked ensemble")
def test_ensemble_sequential_one_thread(measure: Measure, sample: tuple[np.ndarray, ...]) -> None:
    result = measure("sequential, 1 thread", train, sample, 1, 1)
    assert result.n_folds == 3
