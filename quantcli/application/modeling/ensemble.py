"""Stacked ensemble: base models' out-of-fold probabilities feed a meta-learner.

Out-of-fold (OOF) predictions come from purged splits, so the meta-learner learns how far to
trust each base model from predictions those models made on rows they never trained on.
Every estimator (and so every scaler or other fitted transform inside it) is fitted on one
fold's training rows only; the meta-learner on the OOF rows only; the final base models on
all labelled rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ensemble_diversity import (
    DEFAULT_CORRELATION_THRESHOLD,
    DiversityReport,
    ensemble_diversity,
)
from quantcli.application.modeling.ports import Estimator, EstimatorFactory, ImportanceKind
from quantcli.domain.errors import ModelError, ValidationError

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]


class Split(Protocol):
    """Row indices of one fold."""

    @property
    def train(self) -> IntArray: ...

    @property
    def test(self) -> IntArray: ...


class Splitter(Protocol):
    """Purged cross-validation: walk-forward, CPCV, ..."""

    def split(self, times: TimeArray, label_ends: TimeArray) -> Iterable[Split]: ...


@attrs.frozen
class ParallelPlan:
    """Concurrent fits and the thread count each estimator should use: never more than cores."""

    workers: int
    threads_per_model: int


def plan_parallelism(parallel: bool | int, cores: int | None = None) -> ParallelPlan:
    """Workers for `parallel` (False: 1, True: one per core, n: n but at most the cores) and
    the threads each fit may use, so that workers × threads <= cores."""
    available = max(cores if cores is not None else (os.cpu_count() or 1), 1)
    workers = min(_requested_workers(parallel, available), available)
    return ParallelPlan(workers=workers, threads_per_model=max(available // workers, 1))


def _as_dict(models: Mapping[str, Estimator]) -> dict[str, Estimator]:
    return dict(models)


def _as_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


@attrs.frozen
class StackedEnsemble:
    """Estimator whose P(1) is the meta-learner's, given the base models' probabilities."""

    base_models: Mapping[str, Estimator] = attrs.field(converter=_as_dict)
    meta_learner: Estimator
    feature_names: tuple[str, ...] = attrs.field(converter=_as_names)

    def __attrs_post_init__(self) -> None:
        if not self.base_models:
            raise ModelError("a stacked ensemble needs at least one base model")

    @property
    def base_names(self) -> tuple[str, ...]:
        """The meta-learner's input columns, in order."""
        return tuple(self.base_models)

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        """Refused: stacking needs sample times for its purged folds; see train_stacked_ensemble."""
        raise ModelError(
            "StackedEnsemble.fit: a stacked ensemble is trained by train_stacked_ensemble, "
            "which needs sample times and label ends for its purged out-of-fold step"
        )

    def base_probabilities(self, features: FloatArray) -> FloatArray:
        """One column per base model: its P(1) for each row."""
        columns = [model.predict_proba(features) for model in self.base_models.values()]
        return np.column_stack(columns).astype(np.float64, copy=False)

    def predict_proba(self, features: FloatArray) -> FloatArray:
        if features.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        return self.meta_learner.predict_proba(self.base_probabilities(features))

    def feature_importance(
        self, kind: ImportanceKind, features: FloatArray | None = None
    ) -> FloatArray:
        """Base models' importances (each scaled to sum 1), weighted by the meta-learner's
        importance of that base model; sums to 1 unless every importance is zero."""
        base = np.vstack(
            [
                _normalized(model.feature_importance(kind, features))
                for model in self.base_models.values()
            ]
        )
        meta_features = None if features is None else self.base_probabilities(features)
        weights = _normalized(self.meta_learner.feature_importance(kind, meta_features))
        return np.asarray(weights @ base, dtype=np.float64)


@attrs.frozen
class EnsembleTrainingResult:
    ensemble: StackedEnsemble
    # Per base model, one probability per input row: the mean over the folds that tested the
    # row (CPCV tests a row more than once); NaN where no fold tested it.
    out_of_fold: Mapping[str, FloatArray]
    meta_rows: IntArray  # rows the meta-learner was fitted on: tested and labelled
    diversity: DiversityReport
    n_folds: int


def train_stacked_ensemble(
    features: FloatArray,
    labels: FloatArray,
    times: TimeArray,
    label_ends: TimeArray,
    feature_names: Sequence[str],
    *,
    base_factories: Mapping[str, EstimatorFactory],
    meta_factory: EstimatorFactory,
    splitter: Splitter,
    parallel: bool | int = False,
    correlation_threshold: float = DEFAULT_CORRELATION_THRESHOLD,
) -> EnsembleTrainingResult:
    """Fit base models per fold for OOF probabilities, the meta-learner on those, then the
    base models again on every labelled row. NaN labels mark unlabelled rows.

    With `parallel`, fits run on threads (the libraries release the GIL while training); give
    each factory's estimators `plan_parallelism(parallel).threads_per_model` threads so
    threads × concurrent fits stays within the cores. Results do not depend on `parallel`.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    names = tuple(feature_names)
    _check_inputs(x, y, (times, label_ends), names, base_factories)
    labelled = np.isfinite(y)
    splits = [(np.asarray(s.train), np.asarray(s.test)) for s in splitter.split(times, label_ends)]
    if not splits:
        raise ValidationError("the splitter yielded no folds")

    jobs: list[_FitJob] = []
    for name, factory in base_factories.items():
        for fold, (train, test) in enumerate(splits):
            rows = train[labelled[train]]
            if np.intersect1d(rows, test).size:
                raise ValidationError(f"fold {fold}: rows both train and test the model")
            if rows.size == 0:
                raise ValidationError(f"fold {fold}: no labelled training rows")
            # Factories are called here, in order and on this thread, so they need not be
            # thread-safe and the estimators are the same however the fits are scheduled.
            jobs.append(_FitJob(name, fold, factory(), rows, test))
        jobs.append(_FitJob(name, None, factory(), np.flatnonzero(labelled), None))
    # Largest fits first keeps the workers evenly busy; results come back in job order.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].rows.size)
    done = _run_all([jobs[i].runner(x, y, names) for i in order], _requested_workers(parallel))
    results: list[FloatArray | None] = [None] * len(jobs)
    for i, prediction in zip(order, done, strict=True):
        results[i] = prediction

    out_of_fold = {name: np.zeros(len(y)) for name in base_factories}
    tested = np.zeros(len(y), dtype=np.int64)
    for job, prediction in zip(jobs, results, strict=True):
        if job.test is not None and prediction is not None:
            np.add.at(out_of_fold[job.name], job.test, prediction)
    for _train, test in splits:
        np.add.at(tested, test, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out_of_fold = {
            name: np.where(tested > 0, sums / tested, np.nan) for name, sums in out_of_fold.items()
        }

    meta_rows = np.flatnonzero((tested > 0) & labelled).astype(np.int64)
    if meta_rows.size == 0:
        raise ValidationError("no labelled row got an out-of-fold prediction: nothing to stack")
    meta_inputs = np.column_stack([out_of_fold[name][meta_rows] for name in base_factories])
    meta_learner = meta_factory()
    meta_learner.fit(meta_inputs, y[meta_rows], tuple(base_factories))

    finals = {job.name: job.estimator for job in jobs if job.fold is None}
    ensemble = StackedEnsemble(
        base_models={name: finals[name] for name in base_factories},
        meta_learner=meta_learner,
        feature_names=names,
    )
    oof_rows = tested > 0
    diversity = ensemble_diversity(
        {name: values[oof_rows] for name, values in out_of_fold.items()},
        correlation_threshold=correlation_threshold,
    )
    return EnsembleTrainingResult(
        ensemble=ensemble,
        out_of_fold=out_of_fold,
        meta_rows=meta_rows,
        diversity=diversity,
        n_folds=len(splits),
    )


@attrs.frozen
class _FitJob:
    name: str
    fold: int | None  # None: the final fit on every labelled row
    estimator: Estimator
    rows: IntArray
    test: IntArray | None

    def runner(
        self, x: FloatArray, y: FloatArray, names: tuple[str, ...]
    ) -> Callable[[], FloatArray | None]:
        def run() -> FloatArray | None:
            self.estimator.fit(x[self.rows], y[self.rows], names)
            if self.test is None:
                return None
            return self.estimator.predict_proba(x[self.test])

        return run


def _run_all(
    tasks: Sequence[Callable[[], FloatArray | None]], workers: int
) -> list[FloatArray | None]:
    if workers <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = [pool.submit(task) for task in tasks]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # One failed fit fails the training: do not start the fits still waiting.
            for future in futures:
                future.cancel()
            raise


def _requested_workers(parallel: bool | int, cores: int | None = None) -> int:
    if isinstance(parallel, bool):
        if not parallel:
            return 1
        return max(cores if cores is not None else (os.cpu_count() or 1), 1)
    if parallel < 1:
        raise ValidationError(
            f"parallel must be True, False or a worker count >= 1, got {parallel}"
        )
    return parallel


def _normalized(values: FloatArray) -> FloatArray:
    magnitudes = np.abs(np.asarray(values, dtype=np.float64))
    total = float(magnitudes.sum())
    return magnitudes / total if total > 0 else magnitudes


def _check_inputs(
    x: FloatArray,
    y: FloatArray,
    timing: tuple[TimeArray, TimeArray],
    names: tuple[str, ...],
    base_factories: Mapping[str, EstimatorFactory],
) -> None:
    if x.ndim != 2:
        raise ValidationError(f"features must be 2-D (rows, columns), got shape {x.shape}")
    rows = x.shape[0]
    for label, array in (("labels", y), ("times", timing[0]), ("label_ends", timing[1])):
        if array.shape != (rows,):
            raise ValidationError(f"{label} has shape {array.shape}, expected ({rows},)")
    if len(names) != x.shape[1]:
        raise ValidationError(
            f"feature_names has {len(names)} names but features have {x.shape[1]} columns"
        )
    if not base_factories:
        raise ValidationError("base_factories is empty: a stacked ensemble needs base models")
