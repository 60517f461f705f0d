"""The feature registry: definitions by family, targets, and the definition hash."""

from quantcli.application.features.cross_sectional import rank_across_symbols, rank_feature
from quantcli.application.features.definition import (
    BAR_INPUTS,
    CrossSection,
    FeatureDefinition,
    FeatureFamily,
    SymbolBars,
    SymbolCompute,
)
from quantcli.application.features.definition_hash import (
    canonical_json,
    definition_document,
    definition_hash,
)
from quantcli.application.features.feature_diagnostics import FeatureReport, feature_report
from quantcli.application.features.feature_refresh import FeatureRefresh, refresh_features
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.leakage_check import LeakageReport, check_leakage
from quantcli.application.features.parameters import (
    CALENDAR_FEATURES,
    FAMILIES,
    INTRADAY_FEATURES,
    BollingerParameters,
    FeatureParameterError,
    FeatureParameters,
    MacdParameters,
    StochParameters,
)
from quantcli.application.features.registry import (
    FeatureRegistry,
    build_registry,
    check_parameters,
)
from quantcli.application.features.targets import (
    Labels,
    TargetDefinition,
    TargetKind,
    compute_labels,
    horizon_labels,
    triple_barrier_labels,
)

__all__ = [
    "BAR_INPUTS",
    "CALENDAR_FEATURES",
    "FAMILIES",
    "INTRADAY_FEATURES",
    "BollingerParameters",
    "CrossSection",
    "FeatureDefinition",
    "FeatureFamily",
    "FeatureParameterError",
    "FeatureParameters",
    "FeatureRefresh",
    "FeatureRegistry",
    "FeatureReport",
    "FeatureSpec",
    "Labels",
    "LeakageReport",
    "MacdParameters",
    "StochParameters",
    "SymbolBars",
    "SymbolCompute",
    "TargetDefinition",
    "TargetKind",
    "build_registry",
    "canonical_json",
    "check_leakage",
    "check_parameters",
    "compute_labels",
    "definition_document",
    "definition_hash",
    "feature_report",
    "horizon_labels",
    "rank_across_symbols",
    "rank_feature",
    "refresh_features",
    "triple_barrier_labels",
]
