"""LightGBM binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np

from quantcli.adapters.ml.training_data import (
    check_importance_kind,
    check_training_data,
    mean_abs_contribution,
    prediction_input,
)
from quantcli.application.ports import FloatArray, ImportanceKind
from quantcli.domain.errors import ModelError

# Fixed by the constructor arguments; a conflicting value in `params` is refused.
_FIXED_KEYS = (
    "objective",
    "deterministic",
    "force_row_wise",
    "seed",
    "bagging_seed",
    "feature_fraction_seed",
    "data_random_seed",
    "num_threads",
)


class LightGbmEstimator:
    """Binary classifier on LightGBM's native API; same data and seed give identical predictions."""

    __slots__ = ("_booster", "_feature_names", "num_boost_round", "num_threads", "params", "seed")

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        num_boost_round: int = 200,
        seed: int = 42,
        num_threads: int = 2,
    ) -> None:
        if num_boost_round < 1:
            raise ModelError(f"num_boost_round must be >= 1, got {num_boost_round}")
        if num_threads < 1:
            raise ModelError(f"num_threads must be >= 1, got {num_threads}")
        self.params: dict[str, Any] = dict(params or {})
        self.num_boost_round = num_boost_round
        self.seed = seed
        self.num_threads = num_threads
        self._booster: lgb.Booster | None = None
        self._feature_names: tuple[str, ...] = ()
        fixed = self._fixed_params()
        for key in _FIXED_KEYS:
            if key in self.params and self.params[key] != fixed[key]:
                raise ModelError(
                    f"params[{key!r}]={self.params[key]!r} conflicts with the estimator's "
                    f"{fixed[key]!r}; set seed/num_threads through the constructor arguments"
                )

    def _fixed_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "deterministic": True,
            "force_row_wise": True,
            "seed": self.seed,
            "bagging_seed": self.seed,
            "feature_fraction_seed": self.seed,
            "data_random_seed": self.seed,
            "num_threads": self.num_threads,
        }

    @property
    def is_fitted(self) -> bool:
        """True once fit (or from_model_string) has produced a model."""
        return self._booster is not None

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns the model was fitted on (empty before fit)."""
        return self._feature_names

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        """Train on a 2-D feature matrix (NaN allowed) and 0/1 labels."""
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        names = tuple(feature_names)
        check_training_data(x, y, names)
        train_params = {"verbosity": -1, **self.params, **self._fixed_params()}
        try:
            dataset = lgb.Dataset(x, label=y, feature_name=list(names), free_raw_data=True)
            booster = lgb.train(train_params, dataset, num_boost_round=self.num_boost_round)
        except lgb.basic.LightGBMError as exc:
            raise ModelError(f"LightGBM training failed: {exc}") from exc
        self._booster = booster
        self._feature_names = names

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Return P(label = 1) for each row as float64."""
        booster = self._require_booster("predict_proba")
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        proba = booster.predict(x, num_threads=self.num_threads)
        return np.asarray(proba, dtype=np.float64)

    def feature_importance(
        self, kind: ImportanceKind = "gain", features: FloatArray | None = None
    ) -> FloatArray:
        """Total split gain, or mean |TreeSHAP| over `features`, per feature in fit order."""
        booster = self._require_booster("feature_importance")
        check_importance_kind(kind, features)
        if kind == "gain" or features is None:
            gains = booster.feature_importance(importance_type="gain")
            return np.asarray(gains, dtype=np.float64)
        x = prediction_input(features, self._feature_names)
        contributions = booster.predict(x, pred_contrib=True, num_threads=self.num_threads)
        return mean_abs_contribution(contributions, len(self._feature_names))

    def to_model_string(self) -> str:
        """Serialize the fitted model as LightGBM's text format."""
        return str(self._require_booster("to_model_string").model_to_string())

    @classmethod
    def from_model_string(cls, text: str) -> LightGbmEstimator:
        """Rebuild a fitted estimator; refitting it uses default training params."""
        try:
            booster = lgb.Booster(model_str=text)
        except lgb.basic.LightGBMError as exc:
            raise ModelError(f"not a valid LightGBM model string: {exc}") from exc
        loaded = booster.params
        estimator = cls(
            num_boost_round=max(booster.current_iteration(), 1),
            seed=int(loaded.get("seed", 42)),
            num_threads=max(int(loaded.get("num_threads", 2)), 1),
        )
        estimator._booster = booster
        estimator._feature_names = tuple(booster.feature_name())
        return estimator

    def _require_booster(self, operation: str) -> lgb.Booster:
        if self._booster is None:
            raise ModelError(
                f"LightGbmEstimator.{operation}: the model is not fitted; call fit first"
            )
        return self._booster

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LightGbmEstimator):
            return NotImplemented
        if self.is_fitted or other.is_fitted:
            # The model string holds trees, feature names and training parameters.
            return (
                self.is_fitted
                and other.is_fitted
                and self.to_model_string() == other.to_model_string()
            )
        return (self.params, self.num_boost_round, self.seed, self.num_threads) == (
            other.params,
            other.num_boost_round,
            other.seed,
            other.num_threads,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: fit changes equality

    def __repr__(self) -> str:
        return (
            f"LightGbmEstimator(num_boost_round={self.num_boost_round}, seed={self.seed}, "
            f"num_threads={self.num_threads}, fitted={self.is_fitted})"
        )
