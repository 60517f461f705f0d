"""XGBoost binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xgboost as xgb

from quantcli.adapters.ml.training_data import (
    check_importance_kind,
    check_training_data,
    mean_abs_contribution,
    prediction_input,
)
from quantcli.application.ports import FloatArray, ImportanceKind
from quantcli.domain.errors import ModelError

MODEL_FORMAT = "quantcli-xgboost-v1"
# Fixed by the constructor arguments (aliases included); a conflicting value is refused.
_FIXED_KEYS = ("objective", "seed", "random_state", "nthread", "n_jobs")


class XgboostEstimator:
    """Binary classifier on XGBoost's native API (hist trees); same data and seed, same output.

    `params` carries the regularisation: max_depth, learning_rate, reg_lambda, subsample,
    colsample_bytree, min_child_weight, ...
    """

    __slots__ = ("_booster", "_feature_names", "num_boost_round", "num_threads", "params", "seed")

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        num_boost_round: int = 200,
        seed: int = 42,
        num_threads: int = 1,
    ) -> None:
        if num_boost_round < 1:
            raise ModelError(f"num_boost_round must be >= 1, got {num_boost_round}")
        if num_threads < 1:
            raise ModelError(f"num_threads must be >= 1, got {num_threads}")
        self.params: dict[str, Any] = dict(params or {})
        self.num_boost_round = num_boost_round
        self.seed = seed
        self.num_threads = num_threads
        self._booster: xgb.Booster | None = None
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
            "objective": "binary:logistic",
            "seed": self.seed,
            "random_state": self.seed,
            "nthread": self.num_threads,
            "n_jobs": self.num_threads,
        }

    @property
    def is_fitted(self) -> bool:
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
        fixed = self._fixed_params()
        train_params = {
            "tree_method": "hist",
            "verbosity": 0,
            **self.params,
            "objective": fixed["objective"],
            "seed": self.seed,
            "nthread": self.num_threads,
        }
        train_params.pop("random_state", None)
        train_params.pop("n_jobs", None)
        try:
            matrix = xgb.DMatrix(x, label=y, feature_names=list(names), nthread=self.num_threads)
            booster = xgb.train(train_params, matrix, num_boost_round=self.num_boost_round)
        except xgb.core.XGBoostError as exc:
            raise ModelError(f"XGBoost training failed: {exc}") from exc
        self._booster = booster
        self._feature_names = names

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Return P(label = 1) for each row as float64."""
        booster = self._require_booster("predict_proba")
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        return np.asarray(booster.predict(self._matrix(x)), dtype=np.float64)

    def feature_importance(
        self, kind: ImportanceKind = "gain", features: FloatArray | None = None
    ) -> FloatArray:
        """Total split gain, or mean |TreeSHAP| over `features`, per feature in fit order."""
        booster = self._require_booster("feature_importance")
        check_importance_kind(kind, features)
        if kind == "gain" or features is None:
            gains = booster.get_score(importance_type="total_gain")
            return np.array([np.sum(gains.get(n, 0.0)) for n in self._feature_names], dtype=float)
        x = prediction_input(features, self._feature_names)
        contributions = booster.predict(self._matrix(x), pred_contribs=True)
        return mean_abs_contribution(contributions, len(self._feature_names))

    def to_model_string(self) -> str:
        """Serialize the fitted model and its training settings as one JSON text."""
        booster = self._require_booster("to_model_string")
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                "num_boost_round": self.num_boost_round,
                "seed": self.seed,
                "num_threads": self.num_threads,
                "params": self.params,
                # XGBoost's own JSON writes each float32 exactly: the trees round-trip bit for bit.
                "booster": booster.save_raw("json").decode("utf-8"),
            }
        )

    @classmethod
    def from_model_string(cls, text: str) -> XgboostEstimator:
        """Rebuild a fitted estimator; refitting it uses the saved training settings."""
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
                raise ValueError(f"format is not {MODEL_FORMAT}")
            estimator = cls(
                params=document["params"],
                num_boost_round=int(document["num_boost_round"]),
                seed=int(document["seed"]),
                num_threads=int(document["num_threads"]),
            )
            booster = xgb.Booster()
            booster.load_model(bytearray(document["booster"].encode("utf-8")))
            booster.set_param({"nthread": estimator.num_threads})
        except (ValueError, KeyError, TypeError, AttributeError, xgb.core.XGBoostError) as exc:
            raise ModelError(f"not a valid XGBoost model string: {exc}") from exc
        estimator._booster = booster
        estimator._feature_names = tuple(booster.feature_names or ())
        return estimator

    def _matrix(self, x: FloatArray) -> xgb.DMatrix:
        return xgb.DMatrix(x, feature_names=list(self._feature_names), nthread=self.num_threads)

    def _require_booster(self, operation: str) -> xgb.Booster:
        if self._booster is None:
            raise ModelError(
                f"XgboostEstimator.{operation}: the model is not fitted; call fit first"
            )
        return self._booster

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XgboostEstimator):
            return NotImplemented
        if self.is_fitted or other.is_fitted:
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
            f"XgboostEstimator(num_boost_round={self.num_boost_round}, seed={self.seed}, "
            f"num_threads={self.num_threads}, fitted={self.is_fitted})"
        )
