"""evaluate_cpcv: timeline folds, purged training rows, recombined paths and their returns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.validation.cpcv_evaluation import (
    CpcvSettings,
    PathTrading,
    evaluate_cpcv,
)
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.errors import DataError, ValidationError

DAYS = 60
SYMBOLS = ("AAA", "BBB", "CCC")
HORIZON = 3


def sample_frame(seed: int = 0) -> pd.DataFrame:
    """Three symbols over 60 days, labels ending HORIZON days later, shuffled rows."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=DAYS, freq="D", tz="UTC")
    frame = pd.DataFrame([(s, d) for d in days for s in SYMBOLS], columns=["symbol", "timestamp"])
    frame["forward_return"] = rng.normal(0.0, 0.01, len(frame))
    frame["target"] = (frame["forward_return"] > 0).astype(float)
    frame["label_end"] = frame["timestamp"] + pd.Timedelta(days=HORIZON)
    frame["signal"] = frame["forward_return"] * 50.0
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def oracle(frame: pd.DataFrame, calls: list[tuple[np.ndarray, np.ndarray]]):  # type: ignore[no-untyped-def]
    """P(up) from the (peeking) signal column, recording the rows of every call."""

    def fit_predict(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        calls.append((train, test))
        return 1.0 / (1.0 + np.exp(-frame["signal"].to_numpy()[test]))

    return fit_predict


SETTINGS = CpcvSettings(n_folds=6, n_test_folds=2, embargo_fraction=0.05)


def test_every_split_trains_before_and_after_but_never_on_overlapping_labels() -> None:
    frame = sample_frame()
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    evaluate_cpcv(frame, oracle(frame, calls), settings=SETTINGS, trading=PathTrading())

    assert len(calls) == math.comb(6, 2)
    times = frame["timestamp"]
    for train, test in calls:
        assert np.intersect1d(train, test).size == 0
        # Whole timestamps: all symbols of a time are on the same side.
        assert set(times[test]).isdisjoint(set(times[train]))
        test_days = sorted(set(times[test]))
        for day in times[train].unique():
            label_end = day + pd.Timedelta(days=HORIZON)
            # No training label interval overlaps a test time.
            assert not any(day <= t <= label_end for t in test_days)


def test_each_path_holds_one_out_of_sample_prediction_per_row() -> None:
    frame = sample_frame()
    evaluation = evaluate_cpcv(frame, oracle(frame, []), settings=SETTINGS, trading=PathTrading())

    assert evaluation.n_paths == math.comb(5, 1)
    expected = 1.0 / (1.0 + np.exp(-frame["signal"].to_numpy()))
    for path in evaluation.probabilities:
        np.testing.assert_allclose(path, expected)
    # A peeking model is right on every row and path.
    np.testing.assert_array_equal(evaluation.path_accuracy, np.ones(evaluation.n_paths))


def test_path_returns_are_the_rule_weights_times_forward_returns_less_costs() -> None:
    frame = sample_frame()
    rule = ThresholdStrategy(long_threshold=0.5, short_threshold=0.5, weight_per_symbol=0.1)
    trading = PathTrading(strategy=rule, cost_bps=10.0, horizon=1)
    evaluation = evaluate_cpcv(frame, oracle(frame, []), settings=SETTINGS, trading=trading)

    ordered = frame.sort_values(["timestamp", "symbol"])
    weights = np.sign(ordered["forward_return"].to_numpy()).reshape(DAYS, 3) * 0.1
    forward = ordered["forward_return"].to_numpy().reshape(DAYS, 3)
    traded = np.abs(np.diff(weights, axis=0, prepend=0.0)).sum(axis=1)
    expected = (weights * forward).sum(axis=1) - traded * 10.0 / 1e4
    for path in evaluation.path_returns:
        np.testing.assert_allclose(path, expected, atol=1e-15)
    assert (evaluation.path_sharpes > 5).all()
    days = np.unique(frame["timestamp"].to_numpy(dtype="datetime64[ns]"))
    np.testing.assert_array_equal(evaluation.times, days)


def test_on_split_sees_the_running_mean_auc_and_can_stop_the_run() -> None:
    frame = sample_frame()
    seen: list[tuple[int, float]] = []

    class Stop(Exception):
        pass

    def on_split(index: int, mean_auc: float) -> None:
        seen.append((index, mean_auc))
        if index == 2:
            raise Stop

    with pytest.raises(Stop):
        evaluate_cpcv(
            frame, oracle(frame, []), settings=SETTINGS, trading=PathTrading(), on_split=on_split
        )
    assert [i for i, _ in seen] == [0, 1, 2]
    assert all(auc == 1.0 for _, auc in seen)


def test_the_summary_is_json_safe_and_consistent() -> None:
    frame = sample_frame()
    evaluation = evaluate_cpcv(frame, oracle(frame, []), settings=SETTINGS, trading=PathTrading())
    summary = evaluation.as_dict()

    assert summary["n_splits"] == 15
    assert summary["n_paths"] == 5
    assert summary["mean_sharpe"] == pytest.approx(float(np.mean(evaluation.path_sharpes)))
    assert all(isinstance(v, float) for v in summary["path_sharpe"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda f: f.drop(columns="label_end"), DataError, "lacks label_end"),
        (lambda f: f.iloc[:0], DataError, "empty"),
        (lambda f: f.assign(target=np.nan), DataError, "unlabelled rows"),
        (lambda f: f[f.timestamp < f.timestamp.min() + pd.Timedelta(days=5)], DataError, "5 "),
    ],
)
def test_a_bad_sample_is_named(change, error, message) -> None:  # type: ignore[no-untyped-def]
    frame = change(sample_frame())
    with pytest.raises(error, match=message):
        evaluate_cpcv(frame, oracle(frame, []), settings=SETTINGS, trading=PathTrading())


def test_a_fit_predict_returning_the_wrong_length_is_refused() -> None:
    frame = sample_frame()
    with pytest.raises(ValidationError, match="predictions for"):
        evaluate_cpcv(
            frame, lambda train, test: np.zeros(3), settings=SETTINGS, trading=PathTrading()
        )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_folds": 1}, "at least 2"),
        ({"n_folds": 4, "n_test_folds": 4}, "n_test_folds 4"),
        ({"embargo_fraction": 0.6}, "embargo_fraction"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CpcvSettings(**settings)  # type: ignore[arg-type]
