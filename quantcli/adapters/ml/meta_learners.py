"""Meta-learners of a stacked ensemble: linear models on the base models' probabilities.

Each is a scikit-learn Pipeline (StandardScaler, then the linear model), so the scaler is
fitted on exactly the rows the meta-learner is fitted on and nothing else.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from quantcli.adapters.ml.training_data import (
    check_importance_kind,
    check_training_data,
    prediction_input,
)
from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ports import ImportanceKind
from quantcli.domain.errors import ModelError

MetaInputs = Literal["probability", "logit"]
MODEL_FORMAT = "quantcli-meta-learner-v1"
# Probabilities are clipped this far from 0 and 1 before the logit, so a base model that is
# certain gives a large but finite input.
_LOGIT_EPSILON = 1e-6


class _LinearMetaLearner(abc.ABC):
    """What the two meta-learners share: input transform, pipeline, weights, serialization."""

    kind: str = ""

    def __init__(self, inputs: MetaInputs, seed: int) -> None:
        if inputs not in ("probability", "logit"):
            raise ModelError(f"inputs must be 'probability' or 'logit', got {inputs!r}")
        self.inputs: MetaInputs = inputs
        self.seed = seed
        self._pipeline: Pipeline | None = None
        self._feature_names: tuple[str, ...] = ()

    @abc.abstractmethod
    def _linear_model(self) -> LogisticRegression | Ridge: ...

    @abc.abstractmethod
    def _settings(self) -> dict[str, Any]: ...

    @property
    def is_fitted(self) -> bool:
        return self._pipeline is not None

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._feature_names

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        """Fit scaler and linear model on these rows: base-model probabilities and 0/1 labels."""
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        names = tuple(feature_names)
        check_training_data(x, y, names)
        if np.unique(y).size < 2:
            raise ModelError("meta-learner labels are all one class: nothing to learn")
        pipeline = Pipeline([("scaler", StandardScaler()), ("model", self._linear_model())])
        pipeline.fit(self._transform(x), y)
        self._pipeline = pipeline
        self._feature_names = names

    def predict_proba(self, features: FloatArray) -> FloatArray:
        pipeline = self._require_pipeline("predict_proba")
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        return self._probability(pipeline, self._transform(x))

    @abc.abstractmethod
    def _probability(self, pipeline: Pipeline, x: FloatArray) -> FloatArray: ...

    @property
    def weights(self) -> dict[str, float]:
        """Coefficient per input on the standardized scale: comparable across base models."""
        model = self._require_pipeline("weights").named_steps["model"]
        coefficients = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
        return {name: float(c) for name, c in zip(self._feature_names, coefficients, strict=True)}

    @property
    def intercept(self) -> float:
        model = self._require_pipeline("intercept").named_steps["model"]
        return float(np.asarray(model.intercept_, dtype=np.float64).reshape(-1)[0])

    def feature_importance(
        self, kind: ImportanceKind = "gain", features: FloatArray | None = None
    ) -> FloatArray:
        """|standardized coefficient|, or the mean |linear SHAP| (coefficient × standardized
        input, the training mean as background) over `features`."""
        pipeline = self._require_pipeline("feature_importance")
        check_importance_kind(kind, features)
        coefficients = np.abs(np.array(list(self.weights.values()), dtype=np.float64))
        if kind == "gain" or features is None:
            return coefficients
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            raise ModelError("SHAP importance needs at least one row of features")
        scaled = pipeline.named_steps["scaler"].transform(self._transform(x))
        return np.asarray(np.abs(scaled * coefficients).mean(axis=0), dtype=np.float64)

    def _transform(self, x: FloatArray) -> FloatArray:
        if self.inputs == "probability":
            return x
        finite = x[np.isfinite(x)]
        if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
            raise ModelError(
                "logit inputs must be probabilities in [0, 1], got values in "
                f"[{finite.min():.4g}, {finite.max():.4g}]"
            )
        clipped = np.clip(x, _LOGIT_EPSILON, 1.0 - _LOGIT_EPSILON)
        return np.asarray(np.log(clipped / (1.0 - clipped)), dtype=np.float64)

    def to_model_string(self) -> str:
        """The fitted scaler and coefficients as JSON; floats round-trip exactly."""
        pipeline = self._require_pipeline("to_model_string")
        scaler = pipeline.named_steps["scaler"]
        model = pipeline.named_steps["model"]
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                "kind": self.kind,
                "inputs": self.inputs,
                "seed": self.seed,
                "settings": self._settings(),
                "feature_names": list(self._feature_names),
                "scaler": {
                    "mean": scaler.mean_.tolist(),
                    "scale": scaler.scale_.tolist(),
                    "var": scaler.var_.tolist(),
                    "n_samples_seen": int(np.max(scaler.n_samples_seen_)),
                },
                "coef": np.asarray(model.coef_).tolist(),
                "intercept": np.asarray(model.intercept_).tolist(),
                "classes": (
                    np.asarray(model.classes_).tolist() if hasattr(model, "classes_") else None
                ),
            }
        )

    def _restore(self, document: Mapping[str, Any]) -> None:
        names = tuple(str(n) for n in document["feature_names"])
        scaler = StandardScaler()
        scaler.mean_ = np.array(document["scaler"]["mean"], dtype=np.float64)
        scaler.scale_ = np.array(document["scaler"]["scale"], dtype=np.float64)
        scaler.var_ = np.array(document["scaler"]["var"], dtype=np.float64)
        scaler.n_samples_seen_ = int(document["scaler"]["n_samples_seen"])
        scaler.n_features_in_ = len(names)
        model = self._linear_model()
        model.coef_ = np.array(document["coef"], dtype=np.float64)
        intercept = np.array(document["intercept"], dtype=np.float64)
        model.intercept_ = intercept if intercept.ndim else float(intercept)
        if document["classes"] is not None:
            model.classes_ = np.array(document["classes"], dtype=np.float64)
        model.n_features_in_ = len(names)
        for array in (scaler.mean_, scaler.scale_, model.coef_.reshape(-1)):
            if array.shape != (len(names),):
                raise ValueError(f"an array has shape {array.shape}, expected ({len(names)},)")
        self._pipeline = Pipeline([("scaler", scaler), ("model", model)])
        self._feature_names = names

    def _require_pipeline(self, operation: str) -> Pipeline:
        if self._pipeline is None:
            raise ModelError(
                f"{type(self).__name__}.{operation}: the model is not fitted; call fit first"
            )
        return self._pipeline

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _LinearMetaLearner)
        if self.is_fitted or other.is_fitted:
            return (
                self.is_fitted
                and other.is_fitted
                and self.to_model_string() == other.to_model_string()
            )
        return (self.inputs, self.seed, self._settings()) == (
            other.inputs,
            other.seed,
            other._settings(),
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: fit changes equality


class LogisticMetaLearner(_LinearMetaLearner):
    """L2-penalized logistic regression (strength 1 / c) on standardized base probabilities
    or, with inputs="logit", on their log-odds."""

    kind = "logistic"

    def __init__(self, c: float = 1.0, inputs: MetaInputs = "logit", seed: int = 42) -> None:
        if not c > 0:
            raise ModelError(f"c (inverse regularization strength) must be positive, got {c}")
        super().__init__(inputs, seed)
        self.c = float(c)

    def _linear_model(self) -> LogisticRegression:
        # lbfgs is deterministic; random_state only matters to other solvers, set anyway.
        return LogisticRegression(C=self.c, solver="lbfgs", max_iter=1000, random_state=self.seed)

    def _settings(self) -> dict[str, Any]:
        return {"c": self.c}

    def _probability(self, pipeline: Pipeline, x: FloatArray) -> FloatArray:
        return np.asarray(pipeline.predict_proba(x)[:, 1], dtype=np.float64)

    @classmethod
    def from_model_string(cls, text: str) -> LogisticMetaLearner:
        document = _document(text, cls.kind)
        try:
            learner = cls(
                c=float(document["settings"]["c"]),
                inputs=document["inputs"],
                seed=int(document["seed"]),
            )
            learner._restore(document)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"not a valid logistic meta-learner string: {exc}") from exc
        return learner

    def __repr__(self) -> str:
        return f"LogisticMetaLearner(c={self.c}, inputs={self.inputs!r}, fitted={self.is_fitted})"


class RidgeLogitMetaLearner(_LinearMetaLearner):
    """Ridge regression of the 0/1 label on the standardized log-odds of the base models
    (a linear probability model); predictions are clipped to [0, 1]."""

    kind = "ridge_logit"

    def __init__(self, alpha: float = 1.0, seed: int = 42) -> None:
        if not alpha >= 0:
            raise ModelError(f"alpha must not be negative, got {alpha}")
        super().__init__("logit", seed)
        self.alpha = float(alpha)

    def _linear_model(self) -> Ridge:
        return Ridge(alpha=self.alpha, solver="cholesky")

    def _settings(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def _probability(self, pipeline: Pipeline, x: FloatArray) -> FloatArray:
        return np.clip(np.asarray(pipeline.predict(x), dtype=np.float64), 0.0, 1.0)

    @classmethod
    def from_model_string(cls, text: str) -> RidgeLogitMetaLearner:
        document = _document(text, cls.kind)
        try:
            learner = cls(alpha=float(document["settings"]["alpha"]), seed=int(document["seed"]))
            learner._restore(document)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"not a valid ridge meta-learner string: {exc}") from exc
        return learner

    def __repr__(self) -> str:
        return f"RidgeLogitMetaLearner(alpha={self.alpha}, fitted={self.is_fitted})"


def _document(text: str, kind: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"not a valid {kind} meta-learner string: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise ModelError(f"not a valid {kind} meta-learner string: format is not {MODEL_FORMAT}")
    if document.get("kind") != kind:
        raise ModelError(f"meta-learner string holds a {document.get('kind')!r}, not {kind!r}")
    return document
