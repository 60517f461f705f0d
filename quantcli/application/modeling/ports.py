"""Modeling ports: estimators, trained models, the model store and the model registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ValidationError
from quantcli.domain.model_stages import PRODUCTION, Stage

# Keys a version's metadata usually carries; the registry stores any mapping it is given.
DATA_RANGE = "data_range"  # {"start": datetime, "end": datetime} of the training labels
DATA_HASH = "data_hash"  # hash of the training rows
FEATURE_HASH = "feature_hash"  # hash of the feature definitions
PARAMETERS = "parameters"  # estimator and splitter parameters
CPCV = "cpcv"  # combinatorial purged cross-validation results
GATES = "gates"  # {gate name: {"value": x, "threshold": y, "passed": bool}}
TRAINING_SECONDS = "training_seconds"
# The columns of a version's out-of-sample predictions: the first three are required (UTC
# timestamps, probability_up in [0, 1]); training also keeps target and forward_return.
PREDICTION_COLUMNS = ("symbol", "timestamp", "probability_up", "target", "forward_return")
REQUIRED_PREDICTION_COLUMNS = PREDICTION_COLUMNS[:3]


def _utc(_instance: Any, _attribute: Any, value: datetime) -> None:
    if value.utcoffset() != timedelta(0):
        raise ValidationError(f"created_at {value.isoformat()} is not a UTC timestamp")


def _positive(_instance: Any, _attribute: Any, value: int) -> None:
    if isinstance(value, bool) or value < 1:
        raise ValidationError(f"model version {value!r} is not a positive integer")


@attrs.frozen
class ModelVersion:
    """One registered version of a named model: its number, stage and audit metadata."""

    name: str
    version: int = attrs.field(validator=_positive)
    created_at: datetime = attrs.field(validator=_utc)
    stage: Stage
    metadata: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def is_production(self) -> bool:
        return self.stage == PRODUCTION

    @property
    def label(self) -> str:
        """How commands and reports name the version: "direction-ensemble v2 (production)"."""
        return f"{self.name} v{self.version} ({self.stage})"


class ModelRegistry(Protocol):
    """Numbered versions of named models; one version per name is in production.

    Unknown names and versions raise ModelError naming the model and the versions it has.

    A version may carry its out-of-sample predictions (PREDICTION_COLUMNS, one row per symbol
    and timestamp, each made by a model that never trained on its row): the table the `model`
    backtest trades, so that a backtest of version N is a backtest of version N.
    """

    def register(
        self,
        name: str,
        model: TrainedModel,
        metadata: Mapping[str, Any],
        predictions: pd.DataFrame | None = None,
    ) -> ModelVersion:
        """Store `model` as the next version (last + 1) of `name`, a candidate, with its
        out-of-sample `predictions` when given: the version appears with them or not at all."""
        ...

    def predictions(self, name: str, version: int | None = None) -> pd.DataFrame:
        """The out-of-sample predictions stored with one version, chosen as in `get`.

        ModelError naming the version when it has none (registered without them, as versions
        trained before the registry kept predictions were): retrain to get a version that has.
        """
        ...

    def list(self, name: str | None = None) -> tuple[ModelVersion, ...]:
        """Versions of `name`, or of every model, ordered by name then version."""
        ...

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """One version; None means the production version, else the latest."""
        ...

    def load(self, name: str, version: int | None = None) -> TrainedModel:
        """The model of one version, chosen as in `get`."""
        ...

    def promote(self, name: str, version: int, *, forced: bool = False) -> ModelVersion:
        """Put `version` in production; the previous production is archived as rollback target.
        `forced` records that it was promoted although some of its gates failed."""
        ...

    def rollback(self, name: str) -> ModelVersion:
        """Put the previous production back; ModelError when there is none. Returns it."""
        ...

    def prune(self, name: str, keep_last: int, *, dry_run: bool = False) -> tuple[int, ...]:
        """Delete all but the newest `keep_last` versions, never production nor the rollback
        target; returns the numbers of the deleted versions, oldest first. With `dry_run`,
        only returns the versions it would delete."""
        ...

    def history(self, name: str) -> tuple[Mapping[str, Any], ...]:
        """The log of `name`, oldest first: {"event": register|promote|rollback|prune,
        "at": ISO time, ...}; a promote event has "version", "previous" and "forced"."""
        ...


ImportanceKind = Literal["gain", "shap"]


class Estimator(Protocol):
    """A binary classifier: fit on features and 0/1 labels, predict the probability of 1."""

    def fit(
        self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]
    ) -> None: ...

    def predict_proba(self, features: FloatArray) -> FloatArray: ...

    def feature_importance(
        self, kind: ImportanceKind, features: FloatArray | None = None
    ) -> FloatArray:
        """One value per fitted feature, in fit order: "gain" is the model's own split gain,
        "shap" the mean |SHAP value| over the rows of `features` (required for it)."""
        ...


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
