"""What features and which target to build: registered feature definitions and a target."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from quantcli.application.features.definition import CrossSection, FeatureDefinition
from quantcli.application.features.definition_hash import definition_document, definition_hash
from quantcli.application.features.parameters import FeatureParameters
from quantcli.application.features.registry import FeatureRegistry, build_registry
from quantcli.application.features.targets import TargetDefinition
from quantcli.domain.errors import ValidationError


def _default_features() -> tuple[FeatureDefinition, ...]:
    return build_registry().definitions


def _as_definitions(features: Iterable[FeatureDefinition]) -> tuple[FeatureDefinition, ...]:
    return tuple(features)


def _unique_names(_instance: Any, _attribute: Any, features: tuple[FeatureDefinition, ...]) -> None:
    if not features:
        raise ValidationError("a feature spec needs at least one feature")
    FeatureRegistry(features)  # raises on a repeated name


@attrs.frozen
class FeatureSpec:
    """The features in table order and the target; every feature is causal (bars up to t)."""

    features: tuple[FeatureDefinition, ...] = attrs.field(
        factory=_default_features, converter=_as_definitions, validator=_unique_names
    )
    target: TargetDefinition = attrs.field(factory=TargetDefinition)

    @classmethod
    def from_parameters(
        cls, params: FeatureParameters | None = None, target: TargetDefinition | None = None
    ) -> FeatureSpec:
        """The registry's features for `params` (defaults when None) and `target`."""
        return cls(build_registry(params).definitions, target or TargetDefinition())

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    @property
    def cross_sectional_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.cross_section is CrossSection.RANK)

    @property
    def lookback(self) -> int:
        """Bars of history a symbol needs before every feature is defined."""
        return max(feature.lookback for feature in self.features)

    @property
    def definition_hash(self) -> str:
        """sha256 of the canonical JSON of every feature definition and the target."""
        return definition_hash(self.features, self.target)

    def metadata(self) -> dict[str, Any]:
        """JSON values describing the features and the target, with their hash, for a model."""
        document = definition_document(self.features, self.target)
        return {
            "definition_hash": self.definition_hash,
            "feature_names": list(self.feature_names),
            "features": document["features"],
            "target": document["target"],
        }

    def with_features(self, *extra: FeatureDefinition) -> FeatureSpec:
        """This spec with `extra` definitions appended (names must stay unique)."""
        return attrs.evolve(self, features=(*self.features, *extra))
