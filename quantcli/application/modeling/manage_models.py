"""Use cases: promote a registered model version (refused when its gates failed, unless
forced) and prune old versions with every file that belongs to them.

A version's files are its registry folder (the model and its metadata) and its CPCV path
returns in the feature store (`cpcv_paths__<name>__v<version>`, which `validate` re-judges);
pruning removes both, and path tables of versions the registry no longer lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.ports import ModelRegistry, ModelVersion
from quantcli.application.modeling.train_ensemble import cpcv_paths_table
from quantcli.domain.errors import ModelError

GATES = "gates"


@attrs.frozen
class RecordedGate:
    """One gate as training recorded it in the version's metadata; `passed` None when unknown."""

    name: str
    value: float
    threshold: float
    comparison: str
    passed: bool | None
    detail: str = ""


class GatesFailed(ModelError):
    """A version whose recorded gates failed was to be promoted without force."""

    def __init__(self, version: ModelVersion, failures: tuple[RecordedGate, ...]) -> None:
        self.version = version
        self.failures = failures
        super().__init__(
            f"model {version.name} version {version.version} fails gate(s) "
            f"{', '.join(g.name for g in failures)}; not promoted"
        )


@attrs.frozen
class Promotion:
    version: ModelVersion
    previous: int | None  # the production version before, None when there was none
    forced_past: tuple[RecordedGate, ...]  # the failed gates a forced promotion overrode

    @property
    def changed(self) -> bool:
        return self.previous != self.version.version


@attrs.frozen
class PrunedVersions:
    versions: tuple[int, ...]  # deleted from the registry, oldest first
    tables: tuple[str, ...]  # feature-store tables removed with them (CPCV paths)


def recorded_gates(version: ModelVersion) -> tuple[RecordedGate, ...]:
    """The gates in `version.metadata["gates"]`, in their recorded order."""
    gates = version.metadata.get(GATES)
    if not isinstance(gates, Mapping):
        return ()
    return tuple(_recorded(str(name), result) for name, result in gates.items())


def promote_model(
    registry: ModelRegistry, name: str, version: int, *, force: bool = False
) -> Promotion:
    """Put `version` of `name` in production. GatesFailed when any of its recorded gates
    failed, unless `force`; a forced promotion is recorded as such in the registry."""
    chosen = registry.get(name, version)
    failures = tuple(gate for gate in recorded_gates(chosen) if gate.passed is False)
    if failures and not force:
        raise GatesFailed(chosen, failures)
    previous = next((v.version for v in registry.list(name) if v.is_production), None)
    if previous == version:
        return Promotion(chosen, previous, ())
    promoted = registry.promote(name, version, forced=bool(failures))
    return Promotion(promoted, previous, failures)


def versions_to_prune(registry: ModelRegistry, name: str, keep_last: int) -> tuple[int, ...]:
    """The versions `prune_models` would delete, deleting nothing."""
    return registry.prune(name, keep_last, dry_run=True)


def prune_models(
    registry: ModelRegistry, feature_store: FeatureStore, name: str, keep_last: int
) -> PrunedVersions:
    """Delete all but the newest `keep_last` versions of `name` (never production nor the
    rollback target) and their CPCV path tables, and path tables of versions already gone."""
    dropped = registry.prune(name, keep_last)
    kept = {v.version for v in registry.list(name)}
    prefix = cpcv_paths_table(name, 0).removesuffix("0")
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    removed = []
    for table in feature_store.names():
        match = pattern.fullmatch(table)
        if match is not None and int(match.group(1)) not in kept and feature_store.delete(table):
            removed.append(table)
    return PrunedVersions(versions=dropped, tables=tuple(removed))


def _recorded(name: str, result: Any) -> RecordedGate:
    details: Mapping[str, Any] = result if isinstance(result, Mapping) else {}
    outcome = details.get("passed") if details else result
    value = details.get("value", result if not isinstance(result, bool | Mapping) else None)
    return RecordedGate(
        name=name,
        value=_float(value),
        threshold=_float(details.get("threshold")),
        comparison=str(details.get("comparison", "")),
        passed=outcome if isinstance(outcome, bool) else None,
        detail=str(details.get("detail", "")),
    )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
