"""XGBoost binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from quantcli.adapters.ml.gradient_boosted import GradientBoostedEstimator
from quantcli.application.common.ports import FloatArray

MODEL_FORMAT = "quantcli-xgboost-v1"


class XgboostEstimator(GradientBoostedEstimator[xgb.Booster]):
    """Binary classifier on XGBoost's native API (hist trees); same data and seed, same output.

    `params` carries the regularisation: max_depth, learning_rate, reg_lambda, subsample,
    colsample_bytree, min_child_weight, ...
    """

    __slots__ = ()
    _LIBRARY = "XGBoost"
    _LIBRARY_ERROR = xgb.core.XGBoostError
    _ROUNDS_ARGUMENT = "num_boost_round"

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        num_boost_round: int = 200,
        seed: int = 42,
        num_threads: int = 1,
    ) -> None:
        super().__init__(params, num_boost_round, seed, num_threads)

    @property
    def num_boost_round(self) -> int:
        """Boosting rounds (trees) a fit trains."""
        return self._rounds

    def _fixed_params(self) -> dict[str, Any]:
        return {
            "objective": "binary:logistic",
            "seed": self.seed,
            "random_state": self.seed,
            "nthread": self.num_threads,
            "n_jobs": self.num_threads,
        }

    def _train(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], names: tuple[str, ...]
    ) -> xgb.Booster:
        fixed = self._fixed_params()
        train_params = {
            "tree_method": "hist",
            "verbosity": 0,
            **self.params,
            "objective": fixed["objective"],
            "seed": self.seed,
            "nthread": self.num_threads,
        }
        # seed and nthread are set above; their aliases are dropped so each is passed once.
        train_params.pop("random_state", None)
        train_params.pop("n_jobs", None)
        matrix = xgb.DMatrix(x, label=y, feature_names=list(names), nthread=self.num_threads)
        return xgb.train(train_params, matrix, num_boost_round=self.num_boost_round)

    def _predict(self, model: xgb.Booster, x: FloatArray) -> npt.ArrayLike:
        return model.predict(self._matrix(x))

    def _gain_importance(self, model: xgb.Booster) -> npt.ArrayLike:
        """Total split gain per feature; 0 for a feature no split uses."""
        gains = model.get_score(importance_type="total_gain")
        return np.array([np.sum(gains.get(n, 0.0)) for n in self._feature_names], dtype=float)

    def _contributions(self, model: xgb.Booster, x: FloatArray) -> npt.ArrayLike:
        return model.predict(self._matrix(x), pred_contribs=True)

    def _model_text(self, model: xgb.Booster) -> str:
        """The model and its training settings as one JSON text."""
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                **self._settings(),
                # XGBoost's own JSON writes each float32 exactly: the trees round-trip bit for bit.
                "booster": model.save_raw("json").decode("utf-8"),
            }
        )

    @classmethod
    def _read_model_text(cls, text: str) -> tuple[Self, xgb.Booster, tuple[str, ...]]:
        """Refitting the rebuilt estimator uses the saved training settings."""
        estimator, document = cls._from_settings_text(text, MODEL_FORMAT)
        booster = xgb.Booster()
        booster.load_model(bytearray(document["booster"].encode("utf-8")))
        booster.set_param({"nthread": estimator.num_threads})
        return estimator, booster, tuple(booster.feature_names or ())

    def _matrix(self, x: FloatArray) -> xgb.DMatrix:
        return xgb.DMatrix(x, feature_names=list(self._feature_names), nthread=self.num_threads)
