"""Validation: purged splits, CPCV and its path evaluation, classification scores, gates."""

from quantcli.application.validation.cpcv import CombinatorialPurgedCV
from quantcli.application.validation.cpcv_evaluation import (
    CpcvEvaluation,
    CpcvSettings,
    evaluate_cpcv,
)
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.application.validation.validation_gates import GateThresholds, evaluate_gates

__all__ = [
    "CombinatorialPurgedCV",
    "CpcvEvaluation",
    "CpcvSettings",
    "GateThresholds",
    "PurgedWalkForward",
    "ThresholdStrategy",
    "evaluate_cpcv",
    "evaluate_gates",
]
