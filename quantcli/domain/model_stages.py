"""The versions of one named model and their stages: candidate → production → archived.

At most one version is in production. Promoting another archives it and remembers it as the
rollback target; rollback undoes promotions one at a time, most recent first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal, TypeGuard

import attrs

from quantcli.domain.errors import ModelError, ValidationError

Stage = Literal["candidate", "production", "archived"]
CANDIDATE: Final = "candidate"  # registered, never in production
PRODUCTION: Final = "production"  # the version predictions use
ARCHIVED: Final = "archived"  # was in production, replaced since
STAGES: Final[tuple[Stage, ...]] = (CANDIDATE, PRODUCTION, ARCHIVED)


def is_stage(value: object) -> TypeGuard[Stage]:
    return value in STAGES


def _stage_copy(stages: Mapping[int, Stage]) -> dict[int, Stage]:
    return dict(stages)


def _version_tuple(versions: Iterable[int]) -> tuple[int, ...]:
    return tuple(versions)


def _check_lineage(lineage: ModelLineage) -> None:
    name = lineage.name
    for version, stage in lineage.stages.items():
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError(f"model {name}: version {version!r} is not a positive integer")
        if not is_stage(stage):
            raise ValidationError(
                f"model {name}: version {version} has stage {stage!r}, "
                f"not one of {', '.join(STAGES)}"
            )
    in_production = [v for v, stage in lineage.stages.items() if stage == PRODUCTION]
    if len(in_production) > 1:
        listed = ", ".join(map(str, sorted(in_production)))
        raise ValidationError(f"model {name}: versions {listed} are all in production")
    if lineage.stages and lineage.last_version < max(lineage.stages):
        raise ValidationError(
            f"model {name}: last_version {lineage.last_version} is below version "
            f"{max(lineage.stages)}"
        )
    for target in lineage.rollback_targets:
        if lineage.stages.get(target) != ARCHIVED:
            raise ValidationError(
                f"model {name}: rollback target {target} is not an archived version"
            )
    if len(set(lineage.rollback_targets)) != len(lineage.rollback_targets):
        raise ValidationError(f"model {name}: rollback targets {lineage.rollback_targets} repeat")
    if lineage.rollback_targets and not in_production:
        raise ValidationError(f"model {name}: rollback targets without a production version")


@attrs.frozen
class ModelLineage:
    """Every version of one model name with its stage; each change returns a new lineage.

    Raises ValidationError when the parts contradict each other (two productions, say).
    """

    name: str
    stages: Mapping[int, Stage] = attrs.field(factory=dict, converter=_stage_copy)
    last_version: int = 0  # the highest number ever given out, so none is reused after a prune
    # Earlier production versions a rollback restores, most recent last.
    rollback_targets: tuple[int, ...] = attrs.field(default=(), converter=_version_tuple)

    def __attrs_post_init__(self) -> None:
        _check_lineage(self)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self.stages))

    @property
    def production(self) -> int | None:
        return next((v for v, stage in self.stages.items() if stage == PRODUCTION), None)

    @property
    def latest(self) -> int | None:
        return max(self.stages, default=None)

    @property
    def rollback_target(self) -> int | None:
        """The version rollback would put back in production."""
        return self.rollback_targets[-1] if self.rollback_targets else None

    def require(self, version: int) -> None:
        """ModelError naming the model and its versions unless `version` exists."""
        if version not in self.stages:
            raise ModelError(f"model {self.name} has no version {version}; {self._listing()}")

    def resolve(self, version: int | None) -> int:
        """`version` if it exists; None means the production version, else the latest."""
        if version is not None:
            self.require(version)
            return version
        chosen = self.production or self.latest
        if chosen is None:
            raise ModelError(f"model {self.name} has no versions")
        return chosen

    def register(self) -> tuple[ModelLineage, int]:
        """Add the next version as a candidate; returns the new lineage and its number."""
        version = self.last_version + 1
        stages = {**self.stages, version: CANDIDATE}
        return attrs.evolve(self, stages=stages, last_version=version), version

    def promote(self, version: int) -> ModelLineage:
        """Put `version` in production, archiving the current one as the rollback target."""
        self.require(version)
        current = self.production
        if current == version:
            return self
        stages: dict[int, Stage] = {**self.stages, version: PRODUCTION}
        targets = [t for t in self.rollback_targets if t != version]
        if current is not None:
            stages[current] = ARCHIVED
            targets.append(current)
        return attrs.evolve(self, stages=stages, rollback_targets=targets)

    def rollback(self) -> tuple[ModelLineage, int]:
        """Put the previous production version back; returns the new lineage and that version."""
        current, target = self.production, self.rollback_target
        if current is None or target is None:
            now = f"version {current} is in production" if current else "no version is"
            raise ModelError(
                f"model {self.name} has no previous production version to roll back to "
                f"({now}; {self._listing()})"
            )
        stages = {**self.stages, current: ARCHIVED, target: PRODUCTION}
        lineage = attrs.evolve(self, stages=stages, rollback_targets=self.rollback_targets[:-1])
        return lineage, target

    def prune(self, keep_last: int) -> tuple[ModelLineage, tuple[int, ...]]:
        """Drop all but the newest `keep_last` versions, always keeping production and the
        rollback target; returns the new lineage and the dropped versions, oldest first."""
        if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
            raise ValidationError(f"model {self.name}: keep_last must be >= 1, got {keep_last!r}")
        kept = set(self.versions[-keep_last:])
        kept.update(v for v in (self.production, self.rollback_target) if v is not None)
        dropped = tuple(v for v in self.versions if v not in kept)
        lineage = attrs.evolve(
            self,
            stages={v: s for v, s in self.stages.items() if v in kept},
            rollback_targets=[t for t in self.rollback_targets if t in kept],
        )
        return lineage, dropped

    def _listing(self) -> str:
        if not self.stages:
            return "it has no versions"
        return "versions: " + ", ".join(map(str, self.versions))
