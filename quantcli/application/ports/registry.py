"""Port of the model registry: numbered versions of each named model, with stages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from quantcli.application.ports.research import TrainedModel
from quantcli.domain.errors import ValidationError
from quantcli.domain.model_stages import ARCHIVED, CANDIDATE, PRODUCTION, STAGES, Stage

__all__ = [
    "ARCHIVED",
    "CANDIDATE",
    "CPCV",
    "DATA_HASH",
    "DATA_RANGE",
    "FEATURE_HASH",
    "GATES",
    "PARAMETERS",
    "PRODUCTION",
    "STAGES",
    "TRAINING_SECONDS",
    "ModelRegistry",
    "ModelVersion",
    "Stage",
]

# Keys a version's metadata usually carries; the registry stores any mapping it is given.
DATA_RANGE = "data_range"  # {"start": datetime, "end": datetime} of the training labels
DATA_HASH = "data_hash"  # hash of the training rows
FEATURE_HASH = "feature_hash"  # hash of the feature definitions
PARAMETERS = "parameters"  # estimator and splitter parameters
CPCV = "cpcv"  # combinatorial purged cross-validation results
GATES = "gates"  # {gate name: {"value": x, "threshold": y, "passed": bool}}
TRAINING_SECONDS = "training_seconds"


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


class ModelRegistry(Protocol):
    """Numbered versions of named models; one version per name is in production.

    Unknown names and versions raise ModelError naming the model and the versions it has.
    """

    def register(self, name: str, model: TrainedModel, metadata: Mapping[str, Any]) -> ModelVersion:
        """Store `model` as the next version (last + 1) of `name`, a candidate."""
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
