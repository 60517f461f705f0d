"""Ports of the research path: feature store, estimators, model store, reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]


class FeatureStore(Protocol):
    """Named feature tables (one row per symbol and timestamp)."""

    def save(self, name: str, table: pd.DataFrame) -> None:
        """Replace the table atomically: readers see the old or the new one, never half."""
        ...

    def load(self, name: str) -> pd.DataFrame:
        """Raise DataError naming the table when it does not exist."""
        ...


class Estimator(Protocol):
    """A binary classifier: fit on features and 0/1 labels, predict the probability of 1."""

    def fit(
        self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]
    ) -> None: ...

    def predict_proba(self, features: FloatArray) -> FloatArray: ...


EstimatorFactory = Callable[[], Estimator]


@attrs.frozen
class TrainedModel:
    """A fitted estimator with what it takes to use and audit it."""

    name: str
    estimator: Estimator
    feature_names: tuple[str, ...]
    metadata: Mapping[str, Any]


class ModelStore(Protocol):
    def save(self, model: TrainedModel) -> Path: ...

    def load(self, name: str) -> TrainedModel:
        """Raise ModelError naming the model when it does not exist or cannot be read."""
        ...


@attrs.frozen
class BacktestReport:
    """Everything a report shows about one backtest."""

    title: str
    equity: pd.Series  # indexed by UTC timestamp
    drawdown: pd.Series  # fraction below the running peak, <= 0
    metrics: Mapping[str, float]
    trades: pd.DataFrame  # timestamp, symbol, quantity, price, commission
    configuration: Mapping[str, Any]
    # Optional sections; a writer leaves out a section that is None or empty.
    monthly_returns: pd.DataFrame | None = None  # years × Jan..Dec + "Year", fractions
    rolling_sharpe: pd.Series | None = None  # annualized, indexed by UTC timestamp
    cost_breakdown: Mapping[str, float] = attrs.field(factory=dict)  # cost name -> currency
    # MonteCarloResult.as_dict(): settings plus "metrics": {metric: {point_estimate, lower, ...}}
    monte_carlo: Mapping[str, Any] = attrs.field(factory=dict)
    lookahead_warning: str | None = None  # set when results may have seen the future


class ReportWriter(Protocol):
    def write(self, report: BacktestReport, path: Path) -> Path:
        """Write the report (creating parent folders) and return its path."""
        ...
