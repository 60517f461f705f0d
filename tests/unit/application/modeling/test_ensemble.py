"""train_stacked_ensemble and StackedEnsemble with spy estimators: who is fitted on which rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import attrs
import numpy as np
import pytest

from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ensemble import (
    EnsembleTrainingResult,
    ParallelPlan,
    StackedEnsemble,
    plan_parallelism,
    train_stacked_ensemble,
)
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.domain.errors import ModelError, ValidationError

N_ROWS = 60
HORIZON = 2
NAMES = ("row_id", "signal")  # row_id tells which rows an estimator saw
DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-01-01T00:00:00", "ns")
SPLITTER = PurgedWalkForward(n_splits=3, purge_bars=1, embargo_bars=2, min_train_fraction=0.4)


def sample(seed: int = 0) -> tuple[FloatArray, FloatArray, np.ndarray, np.ndarray]:
    """One row per day; the signal drifts upward, so early and all-row statistics differ.

    The last HORIZON labels are unknown: NaN label, NaT label end.
    """
    rng = np.random.default_rng(seed)
    signal = rng.normal(0.0, 1.0, N_ROWS) + np.linspace(0.0, 3.0, N_ROWS)
    features = np.column_stack([np.arange(N_ROWS, dtype=np.float64), signal])
    labels = (signal + rng.normal(0.0, 1.0, N_ROWS) > 1.5).astype(np.float64)
    times = T0 + np.arange(N_ROWS) * DAY
    label_ends = times + HORIZON * DAY
    labels[-HORIZON:] = np.nan
    label_ends[-HORIZON:] = np.datetime64("NaT")
    return features, labels, times, label_ends


def sigmoid(values: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-values))


class ScalingSpy:
    """Standardizes the signal with statistics of its own training rows, like a pipeline
    with a scaler inside; records every row it was fitted on and asked about."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.fitted_features: FloatArray | None = None
        self.fitted_labels: FloatArray | None = None
        self.names: tuple[str, ...] = ()
        self.scaler_mean = np.nan
        self.scaler_std = np.nan
        self.predicted_rows: list[np.ndarray] = []
        self.fit_thread: int | None = None

    @property
    def fitted_rows(self) -> np.ndarray:
        assert self.fitted_features is not None
        return self.fitted_features[:, 0].astype(np.int64)

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        self.fitted_features = features.copy()
        self.fitted_labels = labels.copy()
        self.names = tuple(feature_names)
        self.scaler_mean = float(features[:, 1].mean())
        self.scaler_std = float(features[:, 1].std()) or 1.0
        self.fit_thread = threading.get_ident()

    def predict_proba(self, features: FloatArray) -> FloatArray:
        if self.fitted_features is None:
            raise ModelError("ScalingSpy: predict before fit")
        self.predicted_rows.append(features[:, 0].astype(np.int64))
        return sigmoid(self.scale * (features[:, 1] - self.scaler_mean) / self.scaler_std)

    def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
        return np.array([0.0, self.scale])


class SpyFactory:
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.created: list[ScalingSpy] = []
        self.creating_threads: list[int] = []

    def __call__(self) -> ScalingSpy:
        self.creating_threads.append(threading.get_ident())
        self.created.append(ScalingSpy(self.scale))
        return self.created[-1]


class MetaSpy:
    """Averages its inputs; importance = the weights it was given."""

    def __init__(self, weights: Sequence[float] = (1.0, 1.0)) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.fitted_features: FloatArray | None = None
        self.fitted_labels: FloatArray | None = None
        self.names: tuple[str, ...] = ()

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        self.fitted_features = features.copy()
        self.fitted_labels = labels.copy()
        self.names = tuple(feature_names)

    def predict_proba(self, features: FloatArray) -> FloatArray:
        return np.asarray(features @ self.weights / self.weights.sum(), dtype=np.float64)

    def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
        return np.abs(self.weights)


@attrs.frozen
class Fold:
    train: np.ndarray
    test: np.ndarray


@attrs.frozen
class ListSplitter:
    """Yields the given folds whatever the times: stands in for CPCV and broken splitters."""

    folds: tuple[Fold, ...]

    def split(self, times: np.ndarray, label_ends: np.ndarray) -> Iterator[Fold]:
        yield from self.folds


def fold(train: Sequence[int], test: Sequence[int]) -> Fold:
    return Fold(np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64))


def train(
    factories: dict[str, SpyFactory] | None = None,
    meta: MetaSpy | None = None,
    splitter: object = SPLITTER,
    parallel: bool | int = False,
    data: tuple[FloatArray, FloatArray, np.ndarray, np.ndarray] | None = None,
) -> EnsembleTrainingResult:
    features, labels, times, label_ends = sample() if data is None else data
    factories = factories or {"strong": SpyFactory(2.0), "weak": SpyFactory(0.5)}
    meta_learner = meta or MetaSpy()
    return train_stacked_ensemble(
        features,
        labels,
        times,
        label_ends,
        NAMES,
        base_factories=factories,
        meta_factory=lambda: meta_learner,
        splitter=splitter,  # type: ignore[arg-type]
        parallel=parallel,
    )


def splits() -> list[tuple[np.ndarray, np.ndarray]]:
    _features, _labels, times, label_ends = sample()
    return [(s.train, s.test) for s in SPLITTER.split(times, label_ends)]


# --- who is fitted on what ----------------------------------------------------------------------


def test_each_fold_model_and_its_scaler_see_only_that_folds_training_rows() -> None:
    features, labels, _times, _ends = sample()
    factories = {"strong": SpyFactory(2.0), "weak": SpyFactory(0.5)}

    train(factories)

    for factory in factories.values():
        fold_models = factory.created[: len(splits())]
        for spy, (train_rows, _test) in zip(fold_models, splits(), strict=True):
            labelled_train = train_rows[~np.isnan(labels[train_rows])]
            np.testing.assert_array_equal(spy.fitted_rows, labelled_train)
            # The raw rows, untouched: a scaler fitted on all rows before splitting shows here.
            np.testing.assert_array_equal(spy.fitted_features, features[labelled_train])
            assert spy.scaler_mean == pytest.approx(features[labelled_train, 1].mean(), abs=0)
            # The drift makes the all-rows statistic different, so the check has teeth.
            assert abs(spy.scaler_mean - features[:, 1].mean()) > 0.3


def test_a_scaler_fitted_on_all_rows_before_splitting_fails_the_fold_check() -> None:
    """The negative control: the same check on a leaky pipeline (standardize, then split)."""
    features, labels, times, label_ends = sample()
    leaky = features.copy()
    leaky[:, 1] = (leaky[:, 1] - leaky[:, 1].mean()) / leaky[:, 1].std()
    factory = SpyFactory()

    train({"only": factory}, MetaSpy([1.0]), data=(leaky, labels, times, label_ends))

    first_train = splits()[0][0]
    spy = factory.created[0]
    assert not np.array_equal(spy.fitted_features, features[first_train])


def test_out_of_fold_predictions_come_from_the_model_that_did_not_train_on_the_row() -> None:
    features, _labels, _times, _ends = sample()
    factory = SpyFactory(2.0)

    result = train({"strong": factory}, MetaSpy([1.0]))

    tested = np.zeros(N_ROWS, dtype=bool)
    for spy, (_train_rows, test_rows) in zip(factory.created, splits(), strict=False):
        np.testing.assert_array_equal(spy.predicted_rows[0], test_rows)
        assert np.intersect1d(spy.fitted_rows, test_rows).size == 0
        expected = sigmoid(2.0 * (features[test_rows, 1] - spy.scaler_mean) / spy.scaler_std)
        np.testing.assert_array_equal(result.out_of_fold["strong"][test_rows], expected)
        tested[test_rows] = True
    assert np.isnan(result.out_of_fold["strong"][~tested]).all()
    assert not np.isnan(result.out_of_fold["strong"][tested]).any()


def test_meta_learner_is_fitted_only_on_labelled_rows_with_out_of_fold_predictions() -> None:
    _features, labels, _times, _ends = sample()
    meta = MetaSpy()

    result = train(meta=meta)

    tested = np.zeros(N_ROWS, dtype=bool)
    for _train_rows, test_rows in splits():
        tested[test_rows] = True
    expected_rows = np.flatnonzero(tested & ~np.isnan(labels))
    np.testing.assert_array_equal(result.meta_rows, expected_rows)
    oof = np.column_stack([result.out_of_fold["strong"], result.out_of_fold["weak"]])
    np.testing.assert_array_equal(meta.fitted_features, oof[expected_rows])
    np.testing.assert_array_equal(meta.fitted_labels, labels[expected_rows])
    assert meta.names == ("strong", "weak")
    assert result.ensemble.meta_learner is meta


def test_final_base_models_are_refitted_on_every_labelled_row() -> None:
    features, labels, _times, _ends = sample()
    factories = {"strong": SpyFactory(2.0), "weak": SpyFactory(0.5)}

    result = train(factories)

    labelled = np.flatnonzero(~np.isnan(labels))
    for name, factory in factories.items():
        final = factory.created[-1]
        assert result.ensemble.base_models[name] is final
        np.testing.assert_array_equal(final.fitted_rows, labelled)
        np.testing.assert_array_equal(final.fitted_features, features[labelled])
    assert result.n_folds == 3


def test_unlabelled_rows_are_predicted_out_of_fold_but_never_trained_on() -> None:
    factory = SpyFactory()

    result = train({"only": factory}, MetaSpy([1.0]))

    unlabelled = np.arange(N_ROWS - HORIZON, N_ROWS)
    assert not np.isnan(result.out_of_fold["only"][unlabelled]).any()
    for spy in factory.created:
        assert np.intersect1d(spy.fitted_rows, unlabelled).size == 0
    assert np.intersect1d(result.meta_rows, unlabelled).size == 0


def test_a_row_tested_by_several_folds_gets_the_mean_of_their_predictions() -> None:
    features, *_ = sample()
    # CPCV tests a row once per path: rows 40-49 are tested by both folds.
    cpcv_like = ListSplitter((fold(range(20), range(30, 50)), fold(range(10), range(40, 60))))
    factory = SpyFactory()

    result = train({"only": factory}, MetaSpy([1.0]), splitter=cpcv_like)

    first, second = factory.created[0], factory.created[1]

    def predicted(spy: ScalingSpy, rows: np.ndarray) -> FloatArray:
        return sigmoid((features[rows, 1] - spy.scaler_mean) / spy.scaler_std)

    both = np.arange(40, 50)
    np.testing.assert_allclose(
        result.out_of_fold["only"][both],
        (predicted(first, both) + predicted(second, both)) / 2,
        rtol=0,
        atol=1e-15,
    )
    np.testing.assert_array_equal(
        result.out_of_fold["only"][30:40], predicted(first, np.arange(30, 40))
    )
    assert np.isnan(result.out_of_fold["only"][:30]).all()
    np.testing.assert_array_equal(result.meta_rows, np.arange(30, 58))


def test_the_result_reports_the_diversity_of_the_out_of_fold_probabilities() -> None:
    result = train()

    tested = ~np.isnan(result.out_of_fold["strong"])
    strong, weak = result.out_of_fold["strong"][tested], result.out_of_fold["weak"][tested]
    pair = result.diversity.pair("strong", "weak")
    assert pair.rows == int(tested.sum())
    assert pair.correlation == pytest.approx(np.corrcoef(strong, weak)[0, 1], rel=1e-12)
    assert pair.disagreement_rate == np.mean((strong > 0.5) != (weak > 0.5))
    # Both spies are monotone in the same signal: a warning is due.
    assert [(w.first, w.second) for w in result.diversity.warnings] == [("strong", "weak")]


# --- parallel -----------------------------------------------------------------------------------


def test_parallel_training_gives_results_identical_to_sequential() -> None:
    features, *_ = sample()
    sequential = train(parallel=False)
    parallel = train(parallel=2)

    for name in ("strong", "weak"):
        np.testing.assert_array_equal(parallel.out_of_fold[name], sequential.out_of_fold[name])
    np.testing.assert_array_equal(parallel.meta_rows, sequential.meta_rows)
    np.testing.assert_array_equal(
        parallel.ensemble.predict_proba(features), sequential.ensemble.predict_proba(features)
    )


def test_factories_are_called_on_the_calling_thread_in_order_even_in_parallel() -> None:
    factories = {"strong": SpyFactory(2.0), "weak": SpyFactory(0.5)}

    train(factories, parallel=4)

    for factory in factories.values():
        assert set(factory.creating_threads) == {threading.get_ident()}
        assert len(factory.created) == len(splits()) + 1


class BarrierSpy(ScalingSpy):
    """Fitting waits until another fit is running at the same time."""

    barrier = threading.Barrier(2, timeout=10)

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        self.barrier.wait()
        super().fit(features, labels, feature_names)


def test_parallel_runs_two_fits_at_the_same_time() -> None:
    BarrierSpy.barrier = threading.Barrier(2, timeout=10)
    # Two folds and a final fit per model, two models: six fits, met two at a time.
    splitter = ListSplitter((fold(range(20), range(20, 40)), fold(range(30), range(40, 58))))

    result = train_stacked_ensemble(
        *sample(),
        NAMES,
        base_factories={"a": BarrierSpy, "b": BarrierSpy},
        meta_factory=MetaSpy,
        splitter=splitter,
        parallel=2,
    )

    fit_threads = {spy.fit_thread for spy in result.ensemble.base_models.values()}  # type: ignore[attr-defined]
    assert threading.get_ident() not in fit_threads


def test_sequential_training_never_runs_two_fits_at_once() -> None:
    BarrierSpy.barrier = threading.Barrier(2, timeout=0.2)
    splitter = ListSplitter((fold(range(20), range(20, 40)),))

    with pytest.raises(threading.BrokenBarrierError):
        train_stacked_ensemble(
            *sample(),
            NAMES,
            base_factories={"a": BarrierSpy, "b": BarrierSpy},
            meta_factory=MetaSpy,
            splitter=splitter,
            parallel=False,
        )


class FailingSpy(ScalingSpy):
    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        raise ModelError("FailingSpy: the library refused the data")


@pytest.mark.parametrize("parallel", [False, 2])
def test_a_failing_fit_fails_the_training_with_its_error(parallel: bool | int) -> None:
    with pytest.raises(ModelError, match="refused the data"):
        train_stacked_ensemble(
            *sample(),
            NAMES,
            base_factories={"good": SpyFactory(), "bad": FailingSpy},
            meta_factory=MetaSpy,
            splitter=SPLITTER,
            parallel=parallel,
        )


@pytest.mark.parametrize(
    ("parallel", "cores", "plan"),
    [
        (False, 2, ParallelPlan(workers=1, threads_per_model=2)),
        (True, 2, ParallelPlan(workers=2, threads_per_model=1)),
        (True, 8, ParallelPlan(workers=8, threads_per_model=1)),
        (3, 8, ParallelPlan(workers=3, threads_per_model=2)),
        (4, 2, ParallelPlan(workers=2, threads_per_model=1)),
        (1, 1, ParallelPlan(workers=1, threads_per_model=1)),
    ],
)
def test_parallel_plan_keeps_workers_times_threads_within_the_cores(
    parallel: bool | int, cores: int, plan: ParallelPlan
) -> None:
    assert plan_parallelism(parallel, cores) == plan
    assert plan.workers * plan.threads_per_model <= cores


# --- the fitted ensemble ------------------------------------------------------------------------


def fitted_spy(scale: float) -> ScalingSpy:
    features, labels, *_ = sample()
    spy = ScalingSpy(scale)
    spy.fit(features[:40], labels[:40], NAMES)
    return spy


def test_ensemble_probability_is_the_meta_learner_applied_to_base_probabilities() -> None:
    features, *_ = sample()
    strong, weak = fitted_spy(2.0), fitted_spy(0.5)
    ensemble = StackedEnsemble(
        base_models={"strong": strong, "weak": weak},
        meta_learner=MetaSpy([3.0, 1.0]),
        feature_names=NAMES,
    )

    base = ensemble.base_probabilities(features)

    np.testing.assert_array_equal(base[:, 0], strong.predict_proba(features))
    np.testing.assert_array_equal(base[:, 1], weak.predict_proba(features))
    np.testing.assert_array_equal(
        ensemble.predict_proba(features), base @ np.array([3.0, 1.0]) / 4.0
    )
    assert ensemble.base_names == ("strong", "weak")
    assert ensemble.predict_proba(features[:0]).shape == (0,)


def test_ensemble_importance_weights_each_base_models_importance_by_the_meta_learner() -> None:
    class Fixed(ScalingSpy):
        def __init__(self, importance: Sequence[float]) -> None:
            super().__init__()
            self.importance = np.asarray(importance, dtype=np.float64)

        def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
            return self.importance

    ensemble = StackedEnsemble(
        base_models={"a": Fixed([3.0, 1.0]), "b": Fixed([0.0, 10.0])},
        meta_learner=MetaSpy([3.0, 1.0]),
        feature_names=NAMES,
    )

    # a: (0.75, 0.25) weighted 0.75; b: (0, 1) weighted 0.25.
    np.testing.assert_allclose(ensemble.feature_importance("gain"), [0.5625, 0.4375])


def test_fitting_a_stacked_ensemble_directly_is_refused_with_the_way_to_train_it() -> None:
    ensemble = StackedEnsemble({"a": fitted_spy(1.0)}, MetaSpy([1.0]), NAMES)
    features, labels, *_ = sample()

    with pytest.raises(ModelError, match="train_stacked_ensemble"):
        ensemble.fit(features, labels, NAMES)


def test_ensemble_without_base_models_is_refused() -> None:
    with pytest.raises(ModelError, match="at least one base model"):
        StackedEnsemble({}, MetaSpy([1.0]), NAMES)


# --- bad input ----------------------------------------------------------------------------------


def test_a_splitter_that_tests_on_training_rows_is_refused() -> None:
    with pytest.raises(ValidationError, match="fold 0: rows both train and test"):
        train(splitter=ListSplitter((fold(range(30), range(25, 40)),)))


def test_a_splitter_without_folds_is_refused() -> None:
    with pytest.raises(ValidationError, match="no folds"):
        train(splitter=ListSplitter(()))


def test_folds_testing_only_unlabelled_rows_leave_nothing_to_stack() -> None:
    with pytest.raises(ValidationError, match="nothing to stack"):
        train(splitter=ListSplitter((fold(range(40), [58, 59]),)))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: (d[0][:, 0], *d[1:]), "features must be 2-D"),
        (lambda d: (d[0], d[1][:-1], *d[2:]), r"labels has shape \(59,\), expected \(60,\)"),
        (lambda d: (*d[:2], d[2][:-1], d[3]), "times has shape"),
        (lambda d: (*d[:3], d[3][:-1]), "label_ends has shape"),
    ],
    ids=["1d-features", "labels", "times", "label-ends"],
)
def test_inconsistent_inputs_are_refused_naming_the_input(change: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        train(data=change(sample()))  # type: ignore[operator]


def test_no_base_models_or_zero_workers_are_refused() -> None:
    with pytest.raises(ValidationError, match="base_factories is empty"):
        train_stacked_ensemble(
            *sample(), NAMES, base_factories={}, meta_factory=MetaSpy, splitter=SPLITTER
        )
    with pytest.raises(ValidationError, match="worker count"):
        train(parallel=0)
