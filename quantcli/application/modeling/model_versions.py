"""Use cases: which version of a registered model a command uses, resolved once.

`version` None means the production version, else the latest (ModelRegistry.get). The model
and its out-of-sample predictions always come from the version returned with them, so what a
command says it used is what it used.
"""

from __future__ import annotations

import pandas as pd

from quantcli.application.modeling.ports import ModelRegistry, ModelVersion, TrainedModel


def chosen_model(
    registry: ModelRegistry, name: str, version: int | None = None
) -> tuple[ModelVersion, TrainedModel]:
    """The chosen version of `name` and its model; ModelError names an unknown name or version."""
    chosen = registry.get(name, version)
    return chosen, registry.load(name, chosen.version)


def chosen_predictions(
    registry: ModelRegistry, name: str, version: int | None = None
) -> tuple[ModelVersion, pd.DataFrame]:
    """The chosen version of `name` and the out-of-sample predictions stored with it;
    ModelError when the version has none (registered before versions kept them)."""
    chosen = registry.get(name, version)
    return chosen, registry.predictions(name, chosen.version)
