"""CatBoost binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from catboost import CatBoostClassifier, CatBoostError, Pool

from quantcli.adapters.ml.training_data import (
    check_importance_kind,
    check_training_data,
    mean_abs_contribution,
    prediction_input,
)
from quantcli.application.ports import FloatArray, ImportanceKind
from quantcli.domain.errors import ModelError

MODEL_FORMAT = "quantcli-catboost-v1"
# Fixed by the constructor arguments (aliases included); a conflicting value is refused.
_FIXED_KEYS = ("loss_function", "random_seed", "random_state", "thread_count", "n_jobs")
# Console output and the catboost_info/ folder are switched off; asking for them is refused.
_QUIET_KEYS = ("verbose", "silent", "logging_level", "verbose_eval", "allow_writing_files")


class CatboostEstimator:
    """Binary classifier on CatBoost (Logloss); same data, seed and threads give the same output.

    `params` carries the regularisation: depth, learning_rate, l2_leaf_reg, subsample, rsm
    (column sampling), min_data_in_leaf (with grow_policy Depthwise or Lossguide), ...
    """

    __slots__ = ("_feature_names", "_model", "iterations", "num_threads", "params", "seed")

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        iterations: int = 200,
        seed: int = 42,
        num_threads: int = 1,
    ) -> None:
        if iterations < 1:
            raise ModelError(f"iterations must be >= 1, got {iterations}")
        if num_threads < 1:
            raise ModelError(f"num_threads must be >= 1, got {num_threads}")
        self.params: dict[str, Any] = dict(params or {})
        self.iterations = iterations
        self.seed = seed
        self.num_threads = num_threads
        self._model: CatBoostClassifier | None = None
        self._feature_names: tuple[str, ...] = ()
        fixed = self._fixed_params()
        for key in _FIXED_KEYS:
            if key in self.params and self.params[key] != fixed[key]:
                raise ModelError(
                    f"params[{key!r}]={self.params[key]!r} conflicts with the estimator's "
                    f"{fixed[key]!r}; set seed/num_threads through the constructor arguments"
                )
        noisy = [key for key in _QUIET_KEYS if key in self.params]
        if noisy:
            raise ModelError(f"params {noisy}: CatboostEstimator is always quiet, drop them")
        if "iterations" in self.params or "n_estimators" in self.params:
            raise ModelError("set iterations through the constructor argument, not params")

    def _fixed_params(self) -> dict[str, Any]:
        return {
            "loss_function": "Logloss",
            "random_seed": self.seed,
            "random_state": self.seed,
            "thread_count": self.num_threads,
            "n_jobs": self.num_threads,
        }

    @property
    def is_fitted(self) -> bool:
        return self._model is not None

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
        extra = {k: v for k, v in self.params.items() if k not in _FIXED_KEYS}
        model = CatBoostClassifier(
            **extra,
            iterations=self.iterations,
            loss_function="Logloss",
            random_seed=self.seed,
            thread_count=self.num_threads,
            logging_level="Silent",
            allow_writing_files=False,
        )
        try:
            model.fit(Pool(x, label=y, feature_names=list(names)))
        except CatBoostError as exc:
            raise ModelError(f"CatBoost training failed: {exc}") from exc
        self._model = model
        self._feature_names = names

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Return P(label = 1) for each row as float64."""
        model = self._require_model("predict_proba")
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        proba = model.predict(
            self._pool(x), prediction_type="Probability", thread_count=self.num_threads
        )
        return np.asarray(proba[:, 1], dtype=np.float64)

    def feature_importance(
        self, kind: ImportanceKind = "gain", features: FloatArray | None = None
    ) -> FloatArray:
        """CatBoost's PredictionValuesChange (its split importance, summing to 100), or mean
        |TreeSHAP| over `features`, per feature in fit order."""
        model = self._require_model("feature_importance")
        check_importance_kind(kind, features)
        if kind == "gain" or features is None:
            gains = model.get_feature_importance(type="PredictionValuesChange")
            return np.asarray(gains, dtype=np.float64)
        x = prediction_input(features, self._feature_names)
        contributions = model.get_feature_importance(
            data=self._pool(x), type="ShapValues", thread_count=self.num_threads
        )
        return mean_abs_contribution(contributions, len(self._feature_names))

    def to_model_string(self) -> str:
        """Serialize the fitted model (CatBoost's binary format, base64) and its settings."""
        blob = _saved(self._require_model("to_model_string"), "cbm")
        return json.dumps(
            {
                **self._settings(),
                "format": MODEL_FORMAT,
                "feature_names": list(self._feature_names),
                "model_cbm_base64": base64.b64encode(blob).decode("ascii"),
            }
        )

    def _settings(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "seed": self.seed,
            "num_threads": self.num_threads,
            "params": self.params,
        }

    def _trees(self) -> dict[str, Any]:
        """The model as CatBoost's JSON without model_info, which holds a fresh id and the
        training time: two fits of the same data give equal trees but different ids."""
        document = json.loads(_saved(self._require_model("_trees"), "json"))
        document.pop("model_info", None)
        return dict(document)

    @classmethod
    def from_model_string(cls, text: str) -> CatboostEstimator:
        """Rebuild a fitted estimator; refitting it uses the saved training settings."""
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
                raise ValueError(f"format is not {MODEL_FORMAT}")
            estimator = cls(
                params=document["params"],
                iterations=int(document["iterations"]),
                seed=int(document["seed"]),
                num_threads=int(document["num_threads"]),
            )
            model = CatBoostClassifier()
            model.load_model(blob=base64.b64decode(document["model_cbm_base64"], validate=True))
            names = tuple(str(n) for n in document["feature_names"])
        except (ValueError, KeyError, TypeError, CatBoostError) as exc:
            raise ModelError(f"not a valid CatBoost model string: {exc}") from exc
        if tuple(model.feature_names_) != names:
            raise ModelError(
                f"CatBoost model string lists features {list(names)} but its model has "
                f"{list(model.feature_names_)}"
            )
        estimator._model = model
        estimator._feature_names = names
        return estimator

    def _pool(self, x: FloatArray) -> Pool:
        return Pool(x, feature_names=list(self._feature_names), thread_count=self.num_threads)

    def _require_model(self, operation: str) -> CatBoostClassifier:
        if self._model is None:
            raise ModelError(
                f"CatboostEstimator.{operation}: the model is not fitted; call fit first"
            )
        return self._model

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CatboostEstimator):
            return NotImplemented
        if self.is_fitted or other.is_fitted:
            return (
                self.is_fitted
                and other.is_fitted
                and self._settings() == other._settings()
                and self._feature_names == other._feature_names
                and self._trees() == other._trees()
            )
        return self._settings() == other._settings()

    __hash__ = None  # type: ignore[assignment]  # mutable: fit changes equality

    def __repr__(self) -> str:
        return (
            f"CatboostEstimator(iterations={self.iterations}, seed={self.seed}, "
            f"num_threads={self.num_threads}, fitted={self.is_fitted})"
        )


def _saved(model: CatBoostClassifier, file_format: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="quantcli-catboost-") as folder:
        path = Path(folder) / f"model.{file_format}"
        model.save_model(str(path), format=file_format)
        return path.read_bytes()
