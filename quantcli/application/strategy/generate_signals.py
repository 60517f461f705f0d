"""Use case: today's signals from the trained model and the latest features."""

from __future__ import annotations

from datetime import datetime

import attrs
import numpy as np
import pandas as pd

from quantcli.application.modeling.ports import TrainedModel
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.errors import DataError
from quantcli.domain.signals import Signal


def predict_rows(model: TrainedModel, rows: pd.DataFrame) -> pd.DataFrame:
    """symbol, timestamp and the model's probability_up for each feature row."""
    missing = [name for name in model.feature_names if name not in rows.columns]
    if missing:
        raise DataError(f"model {model.name} needs features {', '.join(missing)}: rebuild features")
    matrix = rows[list(model.feature_names)].to_numpy(dtype=np.float64)
    predictions = rows.loc[:, ["symbol", "timestamp"]].copy()
    predictions["probability_up"] = model.estimator.predict_proba(matrix)
    return predictions.reset_index(drop=True)


def generate_signals(
    features: pd.DataFrame,
    model: TrainedModel,
    strategy: ThresholdStrategy,
    as_of: datetime | None = None,
) -> list[Signal]:
    """Signals for every symbol at `as_of` (default: the latest bar in the feature table)."""
    if features.empty:
        raise DataError("feature table is empty: build features first")
    moment = features["timestamp"].max() if as_of is None else pd.Timestamp(as_of)
    rows = features[features["timestamp"] == moment]
    if rows.empty:
        raise DataError(f"no features at {moment.isoformat()}")
    return strategy.signals(predict_rows(model, rows))


@attrs.define
class PrecomputedSignalSource:
    """Signals per bar from predictions made once, up front, over a window of feature rows.

    Features at t depend only on bars up to t, so predicting the window at once is the same as
    predicting bar by bar, without a model call per bar.
    """

    by_time: dict[pd.Timestamp, list[Signal]]

    @classmethod
    def from_model(
        cls, features: pd.DataFrame, model: TrainedModel, strategy: ThresholdStrategy
    ) -> PrecomputedSignalSource:
        signals = strategy.signals(predict_rows(model, features)) if not features.empty else []
        by_time: dict[pd.Timestamp, list[Signal]] = {}
        for signal in signals:
            by_time.setdefault(pd.Timestamp(signal.as_of), []).append(signal)
        return cls(by_time)

    def __call__(self, timestamp: datetime) -> list[Signal]:
        return self.by_time.get(pd.Timestamp(timestamp), [])
