"""CatBoost binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from catboost import CatBoostClassifier, CatBoostError, Pool

from quantcli.adapters.ml.gradient_boosted import GradientBoostedEstimator
from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ModelError

MODEL_FORMAT = "quantcli-catboost-v1"
# Console output and the catboost_info/ folder are switched off; asking for them is refused.
_QUIET_KEYS = ("verbose", "silent", "logging_level", "verbose_eval", "allow_writing_files")


class CatboostEstimator(GradientBoostedEstimator[CatBoostClassifier]):
    """Binary classifier on CatBoost (Logloss); same data, seed and threads give the same output.

    `params` carries the regularisation: depth, learning_rate, l2_leaf_reg, subsample, rsm
    (column sampling), min_data_in_leaf (with grow_policy Depthwise or Lossguide), ...
    """

    __slots__ = ()
    _LIBRARY = "CatBoost"
    _LIBRARY_ERROR = CatBoostError
    _ROUNDS_ARGUMENT = "iterations"

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        iterations: int = 200,
        seed: int = 42,
        num_threads: int = 1,
    ) -> None:
        super().__init__(params, iterations, seed, num_threads)
        noisy = [key for key in _QUIET_KEYS if key in self.params]
        if noisy:
            raise ModelError(f"params {noisy}: CatboostEstimator is always quiet, drop them")
        if "iterations" in self.params or "n_estimators" in self.params:
            raise ModelError("set iterations through the constructor argument, not params")

    @property
    def iterations(self) -> int:
        """Boosting iterations (trees) a fit trains."""
        return self._rounds

    def _fixed_params(self) -> dict[str, Any]:
        return {
            "loss_function": "Logloss",
            "random_seed": self.seed,
            "random_state": self.seed,
            "thread_count": self.num_threads,
            "n_jobs": self.num_threads,
        }

    def _train(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], names: tuple[str, ...]
    ) -> CatBoostClassifier:
        fixed = self._fixed_params()
        extra = {k: v for k, v in self.params.items() if k not in fixed}
        model = CatBoostClassifier(
            **extra,
            iterations=self.iterations,
            loss_function="Logloss",
            random_seed=self.seed,
            thread_count=self.num_threads,
            logging_level="Silent",
            allow_writing_files=False,
        )
        model.fit(Pool(x, label=y, feature_names=list(names)))
        return model

    def _predict(self, model: CatBoostClassifier, x: FloatArray) -> npt.ArrayLike:
        proba = model.predict(
            self._pool(x), prediction_type="Probability", thread_count=self.num_threads
        )
        return np.asarray(proba[:, 1], dtype=np.float64)

    def _gain_importance(self, model: CatBoostClassifier) -> npt.ArrayLike:
        """PredictionValuesChange: CatBoost's split importance, summing to 100."""
        gains = model.get_feature_importance(type="PredictionValuesChange")
        return np.asarray(gains, dtype=np.float64)

    def _contributions(self, model: CatBoostClassifier, x: FloatArray) -> npt.ArrayLike:
        contributions = model.get_feature_importance(
            data=self._pool(x), type="ShapValues", thread_count=self.num_threads
        )
        return np.asarray(contributions, dtype=np.float64)

    def _model_text(self, model: CatBoostClassifier) -> str:
        """The model (CatBoost's binary format, base64) and its settings as one JSON text."""
        return json.dumps(
            {
                **self._settings(),
                "format": MODEL_FORMAT,
                "feature_names": list(self._feature_names),
                "model_cbm_base64": base64.b64encode(_saved(model, "cbm")).decode("ascii"),
            }
        )

    @classmethod
    def _read_model_text(cls, text: str) -> tuple[Self, CatBoostClassifier, tuple[str, ...]]:
        """Refitting the rebuilt estimator uses the saved training settings."""
        estimator, document = cls._from_settings_text(text, MODEL_FORMAT)
        model = CatBoostClassifier()
        model.load_model(blob=base64.b64decode(document["model_cbm_base64"], validate=True))
        names = tuple(str(n) for n in document["feature_names"])
        if tuple(model.feature_names_) != names:
            raise ModelError(
                f"CatBoost model string lists features {list(names)} but its model has "
                f"{list(model.feature_names_)}"
            )
        return estimator, model, names

    def _fitted_identity(self) -> object:
        # Not the model text: its binary model holds a fresh id and the training time.
        return (self._settings(), self._feature_names, self._trees())

    def _trees(self) -> dict[str, Any]:
        """The model as CatBoost's JSON without model_info, which holds a fresh id and the
        training time: two fits of the same data give equal trees but different ids."""
        document = json.loads(_saved(self._require_model("_trees"), "json"))
        document.pop("model_info", None)
        return dict(document)

    def _pool(self, x: FloatArray) -> Pool:
        return Pool(x, feature_names=list(self._feature_names), thread_count=self.num_threads)


def _saved(model: CatBoostClassifier, file_format: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="quantcli-catboost-") as folder:
        path = Path(folder) / f"model.{file_format}"
        model.save_model(str(path), format=file_format)
        return path.read_bytes()
