"""Use case: re-judge a registered model version by the gates, from its stored CPCV paths.

Training keeps each version's path returns and the tuning trials behind it; validating applies
today's thresholds to them, so tightening a gate in config re-judges old models too.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from quantcli.application.analytics.annualization import infer_annualization
from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.ports import ModelRegistry, ModelVersion
from quantcli.application.modeling.train_ensemble import cpcv_paths_table
from quantcli.application.validation.validation_gates import (
    GateResult,
    GateThresholds,
    TrialStatistics,
    evaluate_gates,
)
from quantcli.domain.errors import DataError, ModelError


@attrs.frozen
class ModelValidation:
    version: ModelVersion
    gates: tuple[GateResult, ...]
    trials: TrialStatistics

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)

    def failures(self) -> list[str]:
        return [gate.name for gate in self.gates if not gate.passed]


def validate_model(
    registry: ModelRegistry,
    feature_store: FeatureStore,
    name: str,
    *,
    version: int | None = None,
    thresholds: GateThresholds,
    periods_per_year: float | None = None,
) -> ModelValidation:
    """The gates of `name` (the production version, else the latest, unless `version`).

    Sharpe ratios are annualized with `periods_per_year`, None with the bars per year of the
    stored paths' timestamps (the training data's, `infer_annualization`), as at training.
    """
    chosen = registry.get(name, version)
    table = cpcv_paths_table(name, chosen.version)
    try:
        paths = feature_store.load(table)
    except DataError as error:
        raise ModelError(
            f"model {name} v{chosen.version} has no CPCV paths ({table}): retrain it"
        ) from error
    columns = [c for c in paths.columns if str(c).startswith("path_")]
    if not columns:
        raise ModelError(f"model {name} v{chosen.version}: {table} holds no path columns")
    returns = paths[columns].to_numpy(dtype=np.float64).T
    if periods_per_year is None:
        times = pd.DatetimeIndex(paths["timestamp"] if "timestamp" in paths.columns else [])
        periods_per_year = infer_annualization(times).periods_per_year
    trials = _trials(chosen)
    gates = evaluate_gates(returns, trials, thresholds, periods_per_year)
    return ModelValidation(version=chosen, gates=gates, trials=trials)


def _trials(version: ModelVersion) -> TrialStatistics:
    stored = version.metadata.get("trials")
    if not isinstance(stored, dict):
        return TrialStatistics(n_trials=1, sharpe_variance=0.0)
    return TrialStatistics(
        n_trials=int(stored.get("n_trials", 1)),
        sharpe_variance=float(stored.get("sharpe_variance", 0.0)),
    )
