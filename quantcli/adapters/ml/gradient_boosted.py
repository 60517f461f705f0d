"""What the gradient-boosted tree estimators share: argument checks, fitted-state guards and
the fit / predict / importance / model-text templates around each library's own calls."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np
import numpy.typing as npt

from quantcli.adapters.ml.training_data import (
    check_importance_kind,
    check_training_data,
    mean_abs_contribution,
    prediction_input,
)
from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ports import ImportanceKind
from quantcli.domain.errors import ModelError

ModelT = TypeVar("ModelT")


class GradientBoostedEstimator(ABC, Generic[ModelT]):
    """Binary classifier on one boosting library; a subclass supplies only the library calls."""

    __slots__ = ("_feature_names", "_model", "_rounds", "num_threads", "params", "seed")

    # The library's name in error messages, the error it raises, and the constructor
    # argument that counts boosting rounds (it names the rounds in messages and model text).
    _LIBRARY: ClassVar[str]
    _LIBRARY_ERROR: ClassVar[type[Exception]]
    _ROUNDS_ARGUMENT: ClassVar[str]

    def __init__(
        self, params: Mapping[str, Any] | None, rounds: int, seed: int, num_threads: int
    ) -> None:
        if rounds < 1:
            raise ModelError(f"{self._ROUNDS_ARGUMENT} must be >= 1, got {rounds}")
        if num_threads < 1:
            raise ModelError(f"num_threads must be >= 1, got {num_threads}")
        self.params: dict[str, Any] = dict(params or {})
        self._rounds = rounds
        self.seed = seed
        self.num_threads = num_threads
        self._model: ModelT | None = None
        self._feature_names: tuple[str, ...] = ()
        fixed = self._fixed_params()
        for key in fixed:
            if key in self.params and self.params[key] != fixed[key]:
                raise ModelError(
                    f"params[{key!r}]={self.params[key]!r} conflicts with the estimator's "
                    f"{fixed[key]!r}; set seed/num_threads through the constructor arguments"
                )

    @abstractmethod
    def _fixed_params(self) -> dict[str, Any]:
        """Library params set from the constructor arguments (aliases included); a different
        value for one of them in `params` would break reproducibility, so it is refused."""

    @abstractmethod
    def _train(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], names: tuple[str, ...]
    ) -> ModelT:
        """The library's model trained on checked inputs."""

    @abstractmethod
    def _predict(self, model: ModelT, x: FloatArray) -> npt.ArrayLike:
        """P(label = 1) per row of a non-empty, checked matrix."""

    @abstractmethod
    def _gain_importance(self, model: ModelT) -> npt.ArrayLike:
        """The library's split importance per feature, in fit order."""

    @abstractmethod
    def _contributions(self, model: ModelT, x: FloatArray) -> npt.ArrayLike:
        """TreeSHAP values: one row per row of `x`, one column per feature plus the bias."""

    @abstractmethod
    def _model_text(self, model: ModelT) -> str:
        """The fitted model as text that _read_model_text reads back."""

    @classmethod
    @abstractmethod
    def _read_model_text(cls, text: str) -> tuple[Self, ModelT, tuple[str, ...]]:
        """An unfitted estimator, its model and feature names from _model_text's text."""

    @property
    def is_fitted(self) -> bool:
        """True once fit (or from_model_string) has produced a model."""
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
        try:
            model = self._train(x, y, names)
        except self._LIBRARY_ERROR as exc:
            raise ModelError(f"{self._LIBRARY} training failed: {exc}") from exc
        self._model = model
        self._feature_names = names

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Return P(label = 1) for each row as float64."""
        model = self._require_model("predict_proba")
        x = prediction_input(features, self._feature_names)
        if x.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        return np.asarray(self._predict(model, x), dtype=np.float64)

    def feature_importance(
        self, kind: ImportanceKind = "gain", features: FloatArray | None = None
    ) -> FloatArray:
        """The library's split importance, or mean |TreeSHAP| over `features`, per feature
        in fit order."""
        model = self._require_model("feature_importance")
        check_importance_kind(kind, features)
        if kind == "gain" or features is None:
            return np.asarray(self._gain_importance(model), dtype=np.float64)
        x = prediction_input(features, self._feature_names)
        return mean_abs_contribution(self._contributions(model, x), len(self._feature_names))

    def to_model_string(self) -> str:
        """Serialize the fitted model as text that from_model_string reads back."""
        return self._model_text(self._require_model("to_model_string"))

    @classmethod
    def from_model_string(cls, text: str) -> Self:
        """Rebuild a fitted estimator from to_model_string's text."""
        try:
            estimator, model, names = cls._read_model_text(text)
        except (ValueError, KeyError, TypeError, AttributeError, cls._LIBRARY_ERROR) as exc:
            raise ModelError(f"not a valid {cls._LIBRARY} model string: {exc}") from exc
        estimator._model = model
        estimator._feature_names = names
        return estimator

    def _settings(self) -> dict[str, Any]:
        """The constructor arguments by name: what a refit after from_model_string needs."""
        return {
            self._ROUNDS_ARGUMENT: self._rounds,
            "seed": self.seed,
            "num_threads": self.num_threads,
            "params": self.params,
        }

    @classmethod
    def _from_settings_text(cls, text: str, model_format: str) -> tuple[Self, dict[str, Any]]:
        """An estimator built from the settings in a JSON model text, and the parsed text;
        ValueError/KeyError/TypeError when the text is not of `model_format`."""
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("format") != model_format:
            raise ValueError(f"format is not {model_format}")
        estimator = cls(
            document["params"],
            int(document[cls._ROUNDS_ARGUMENT]),
            seed=int(document["seed"]),
            num_threads=int(document["num_threads"]),
        )
        return estimator, document

    def _require_model(self, operation: str) -> ModelT:
        if self._model is None:
            raise ModelError(
                f"{type(self).__name__}.{operation}: the model is not fitted; call fit first"
            )
        return self._model

    def _fitted_identity(self) -> object:
        """What makes two fitted estimators equal: by default the model text, which holds
        the trees, the feature names and the training settings."""
        return self.to_model_string()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        if self.is_fitted or other.is_fitted:
            return (
                self.is_fitted
                and other.is_fitted
                and self._fitted_identity() == other._fitted_identity()
            )
        return self._settings() == other._settings()

    __hash__ = None  # type: ignore[assignment]  # mutable: fit changes equality

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._ROUNDS_ARGUMENT}={self._rounds}, seed={self.seed}, "
            f"num_threads={self.num_threads}, fitted={self.is_fitted})"
        )
