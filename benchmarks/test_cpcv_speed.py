"""CPCV splits: 10 folds, 2 test folds (45 splits), 20 samples purged and 20 embargoed around
each test block; every split's train and test index arrays materialised, against skfolio's
CombinatorialPurgedCV (which yields the train array and one test array per test fold; ours
also yields the test folds concatenated).

Both run on 1e6 samples even with QUANTCLI_BENCH_FULL=1: at 1e7 one skfolio call takes ~47 s
and ~10 GB (an (n, splits) float64 matrix and its diff), too slow and too big to repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from skfolio.model_selection import CombinatorialPurgedCV as SkfolioCPCV

from quantcli.application.validation.cpcv import CombinatorialPurgedCV

Measure = Callable[..., Any]
N_SAMPLES = 1_000_000
N_FOLDS, N_TEST_FOLDS, PURGED, EMBARGO = 10, 2, 20, 20
N_SPLITS = 45


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    return np.zeros((N_SAMPLES, 1))


def quantcli_splits(samples: np.ndarray) -> list[Any]:
    cv = CombinatorialPurgedCV(N_FOLDS, N_TEST_FOLDS, purged_size=PURGED, embargo_size=EMBARGO)
    return [(s.train, s.test, s.test_blocks) for s in cv.splits(samples)]


def skfolio_splits(samples: np.ndarray) -> list[Any]:
    cv = SkfolioCPCV(N_FOLDS, N_TEST_FOLDS, purged_size=PURGED, embargo_size=EMBARGO)
    return list(cv.split(samples))


# More rounds for the fast side: its best time is the one that tells, and a busy machine hides it.
@pytest.mark.benchmark(group="cpcv splits", min_rounds=20)
def test_cpcv_kernel(measure: Measure, samples: np.ndarray) -> None:
    splits = measure("kernel", quantcli_splits, samples)
    assert len(splits) == N_SPLITS
    # 8 of 10 folds train, less at least the purge next to each test block.
    assert all(len(train) <= 0.8 * N_SAMPLES - PURGED for train, _, _ in splits)


@pytest.mark.benchmark(group="cpcv splits", min_rounds=5)
def test_cpcv_skfolio(measure: Measure, samples: np.ndarray) -> None:
    splits = measure("skfolio", skfolio_splits, samples)
    assert len(splits) == N_SPLITS
    assert all(len(train) <= 0.8 * N_SAMPLES - PURGED for train, _ in splits)
