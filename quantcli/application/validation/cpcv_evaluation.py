"""Use case step: judge a model-fitting procedure by combinatorial purged cross-validation.

The folds are cut along the timeline (every symbol's bar at one time falls in the same fold),
purged by label end times and embargoed (`cpcv.CombinatorialPurgedCV`). Each split fits the
procedure on its training rows and predicts its test rows; the test predictions recombine into
`n_test_paths` full-length out-of-sample paths, and each path is traded by the signal rule
into a return series: the gates (PSR, DSR, drawdown) judge those paths.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from quantcli.application.analytics.annualization import infer_annualization
from quantcli.application.analytics.performance import sharpe_ratio
from quantcli.application.common.ports import FloatArray
from quantcli.application.validation.classification_scores import accuracy, roc_auc
from quantcli.application.validation.cpcv import CombinatorialPurgedCV
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.errors import DataError, ValidationError

IntArray = npt.NDArray[np.int64]
# Fit on the training rows, return P(up) for the test rows (in their order).
FitPredict = Callable[[IntArray, IntArray], FloatArray]
# Called after each split with its index and the mean test AUC so far; may raise to stop.
SplitCallback = Callable[[int, float], None]
SAMPLE_COLUMNS = ("symbol", "timestamp", "target", "label_end", "forward_return")


@attrs.frozen
class CpcvSettings:
    """N folds along the timeline, k of them tested per split; an AFML embargo fraction."""

    n_folds: int = 6
    n_test_folds: int = 2
    embargo_fraction: float = 0.01

    def __attrs_post_init__(self) -> None:
        if not self.n_folds >= 2:
            raise ValidationError(f"cpcv.n_folds {self.n_folds} must be at least 2")
        if not 1 <= self.n_test_folds < self.n_folds:
            raise ValidationError(
                f"cpcv.n_test_folds {self.n_test_folds} must be in 1..{self.n_folds - 1}"
            )
        if not 0.0 <= self.embargo_fraction < 0.5:
            raise ValidationError(f"cpcv.embargo_fraction {self.embargo_fraction} not in [0, 0.5)")


@attrs.frozen
class PathTrading:
    """How a path of probabilities becomes returns: the signal rule and a cost per turnover."""

    strategy: ThresholdStrategy = attrs.field(factory=ThresholdStrategy)
    cost_bps: float = 5.0  # per unit of weight traded: commission + slippage, one way
    horizon: int = 1  # bars the forward return spans; returns are spread evenly over them
    # Annualizes the path Sharpe ratios; None: inferred from the sample's timestamps.
    periods_per_year: float | None = None


@attrs.frozen(eq=False)
class CpcvEvaluation:
    settings: CpcvSettings
    n_splits: int
    probabilities: FloatArray  # (paths, rows): every row's out-of-sample P(up) on each path
    split_auc: tuple[float, ...]
    times: npt.NDArray[np.datetime64]  # the timeline of the path returns
    path_returns: FloatArray  # (paths, times): the signal rule's net returns on each path
    path_sharpes: FloatArray  # annualized, one per path
    path_accuracy: FloatArray
    path_auc: FloatArray
    periods_per_year: float  # what path_sharpes (and the gates on them) are annualized with

    @property
    def n_paths(self) -> int:
        return int(self.probabilities.shape[0])

    def mean_probabilities(self) -> FloatArray:
        """Each row's P(up) averaged over the paths (still out of sample: every one is)."""
        return np.asarray(self.probabilities.mean(axis=0), dtype=np.float64)

    def as_dict(self) -> dict[str, object]:
        """JSON-safe summary for model metadata."""
        return {
            "n_folds": self.settings.n_folds,
            "n_test_folds": self.settings.n_test_folds,
            "embargo_fraction": self.settings.embargo_fraction,
            "n_splits": self.n_splits,
            "n_paths": self.n_paths,
            "split_auc": [float(v) for v in self.split_auc],
            "path_sharpe": [float(v) for v in self.path_sharpes],
            "path_accuracy": [float(v) for v in self.path_accuracy],
            "path_auc": [float(v) for v in self.path_auc],
            "mean_sharpe": float(np.mean(self.path_sharpes)),
            "mean_accuracy": float(np.mean(self.path_accuracy)),
            "mean_auc": float(np.mean(self.path_auc)),
        }


def evaluate_cpcv(
    sample: pd.DataFrame,
    fit_predict: FitPredict,
    *,
    settings: CpcvSettings,
    trading: PathTrading,
    on_split: SplitCallback | None = None,
) -> CpcvEvaluation:
    """Run `fit_predict` on every CPCV split of `sample` (labelled rows, SAMPLE_COLUMNS; any
    row order) and trade the recombined paths; their Sharpe ratios are annualized with
    `trading.periods_per_year`, None with the sample's own (`infer_annualization`)."""
    _check_sample(sample)
    row_times = sample["timestamp"].to_numpy(dtype="datetime64[ns]")
    label_ends = sample["label_end"].to_numpy(dtype="datetime64[ns]")
    timeline, time_of_row = np.unique(row_times, return_inverse=True)
    if len(timeline) < settings.n_folds:
        raise DataError(f"{len(timeline)} timestamps are too few for {settings.n_folds} CPCV folds")
    # A time's label ends when the last of its rows' labels does.
    time_label_end = np.full(len(timeline), np.datetime64("NaT"), dtype="datetime64[ns]")
    np.maximum.at(time_label_end.view(np.int64), time_of_row, label_ends.view(np.int64))
    splitter = CombinatorialPurgedCV(
        settings.n_folds,
        settings.n_test_folds,
        embargo_fraction=settings.embargo_fraction,
        times=timeline,
        label_end_times=time_label_end,
    )
    rows_of_time = _rows_by_time(time_of_row, len(timeline))
    target = sample["target"].to_numpy(dtype=np.float64)
    probabilities = np.full((splitter.n_test_paths, len(sample)), np.nan)
    split_auc: list[float] = []
    for split in splitter.splits(timeline):
        train_rows = _rows(rows_of_time, split.train)
        test_rows = _rows(rows_of_time, split.test)
        predicted = np.asarray(fit_predict(train_rows, test_rows), dtype=np.float64)
        if predicted.shape != test_rows.shape:
            raise ValidationError(
                f"split {split.index}: {len(predicted)} predictions for {len(test_rows)} rows"
            )
        for block, path in zip(split.test_blocks, split.path_ids, strict=True):
            block_rows = _rows(rows_of_time, block)
            probabilities[path, block_rows] = predicted[np.searchsorted(test_rows, block_rows)]
        split_auc.append(roc_auc(target[test_rows], predicted))
        if on_split is not None:
            on_split(split.index, float(np.mean(split_auc)))
    returns = _path_returns(sample, probabilities, time_of_row, len(timeline), trading)
    periods = (
        trading.periods_per_year
        if trading.periods_per_year is not None
        else infer_annualization(pd.DatetimeIndex(timeline, tz="UTC")).periods_per_year
    )
    return CpcvEvaluation(
        settings=settings,
        n_splits=splitter.n_splits,
        probabilities=probabilities,
        split_auc=tuple(split_auc),
        times=timeline,
        path_returns=returns,
        path_sharpes=np.array([sharpe_ratio(path, periods) for path in returns]),
        path_accuracy=np.array([accuracy(target, p) for p in probabilities]),
        path_auc=np.array([roc_auc(target, p) for p in probabilities]),
        periods_per_year=periods,
    )


def _check_sample(sample: pd.DataFrame) -> None:
    missing = [c for c in SAMPLE_COLUMNS if c not in sample.columns]
    if missing:
        raise DataError(f"training sample lacks {', '.join(missing)}")
    if sample.empty:
        raise DataError("training sample is empty")
    if sample["target"].isna().any() or sample["label_end"].isna().any():
        raise DataError("training sample has unlabelled rows: drop rows without a target first")


def _rows_by_time(time_of_row: IntArray, n_times: int) -> list[IntArray]:
    order = np.argsort(time_of_row, kind="stable")
    bounds = np.searchsorted(time_of_row[order], np.arange(n_times + 1))
    return [order[bounds[t] : bounds[t + 1]].astype(np.int64) for t in range(n_times)]


def _rows(rows_of_time: list[IntArray], times: IntArray) -> IntArray:
    if len(times) == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.concatenate([rows_of_time[t] for t in times.tolist()]))


def _path_returns(
    sample: pd.DataFrame,
    probabilities: FloatArray,
    time_of_row: IntArray,
    n_times: int,
    trading: PathTrading,
) -> FloatArray:
    """Per path and time: the weights' share of the forward returns, less turnover costs."""
    symbol_of_row = pd.factorize(sample["symbol"])[0]
    n_symbols = int(symbol_of_row.max()) + 1
    forward = np.zeros((n_times, n_symbols))
    per_bar = sample["forward_return"].to_numpy(dtype=np.float64) / trading.horizon
    forward[time_of_row, symbol_of_row] = np.nan_to_num(per_bar)
    out = np.empty((probabilities.shape[0], n_times))
    for path, probability in enumerate(probabilities):
        weights = np.zeros((n_times, n_symbols))
        weights[time_of_row, symbol_of_row] = trading.strategy.target_weights(probability)
        traded = np.abs(np.diff(weights, axis=0, prepend=0.0)).sum(axis=1)
        out[path] = (weights * forward).sum(axis=1) - traded * trading.cost_bps / 1e4
    return out
