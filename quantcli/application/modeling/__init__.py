"""Modeling: ensembles, training, tuning, model versions and validation of a registered model.

A use case named like its module (e.g. `ensemble_diversity`) is imported from the module itself
(`from quantcli.application.modeling.ensemble_diversity import ensemble_diversity`):
re-exporting it here would hide the module.
"""

from quantcli.application.modeling.ensemble import StackedEnsemble, train_stacked_ensemble
from quantcli.application.modeling.manage_models import promote_model, prune_models
from quantcli.application.modeling.model_versions import chosen_model, chosen_predictions
from quantcli.application.modeling.train_ensemble import EnsembleRecipe, EnsembleTraining
from quantcli.application.modeling.train_model import train_direction_model
from quantcli.application.modeling.tune_ensemble import TuningResult
from quantcli.application.modeling.validate_model import ModelValidation

__all__ = [
    "EnsembleRecipe",
    "EnsembleTraining",
    "ModelValidation",
    "StackedEnsemble",
    "TuningResult",
    "chosen_model",
    "chosen_predictions",
    "promote_model",
    "prune_models",
    "train_direction_model",
    "train_stacked_ensemble",
]
