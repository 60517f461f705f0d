"""LightGBM binary classifier behind the Estimator port, reproducible bit for bit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from quantcli.adapters.ml.gradient_boosted import GradientBoostedEstimator
from quantcli.application.common.ports import FloatArray


class LightGbmEstimator(GradientBoostedEstimator[lgb.Booster]):
    """Binary classifier on LightGBM's native API; same data and seed give identical predictions."""

    __slots__ = ()
    _LIBRARY = "LightGBM"
    _LIBRARY_ERROR = lgb.basic.LightGBMError
    _ROUNDS_ARGUMENT = "num_boost_round"

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        num_boost_round: int = 200,
        seed: int = 42,
        num_threads: int = 2,
    ) -> None:
        super().__init__(params, num_boost_round, seed, num_threads)

    @property
    def num_boost_round(self) -> int:
        """Boosting rounds (trees) a fit trains."""
        return self._rounds

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

    def _train(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], names: tuple[str, ...]
    ) -> lgb.Booster:
        train_params = {"verbosity": -1, **self.params, **self._fixed_params()}
        dataset = lgb.Dataset(x, label=y, feature_name=list(names), free_raw_data=True)
        return lgb.train(train_params, dataset, num_boost_round=self.num_boost_round)

    def _predict(self, model: lgb.Booster, x: FloatArray) -> npt.ArrayLike:
        return model.predict(x, num_threads=self.num_threads)

    def _gain_importance(self, model: lgb.Booster) -> npt.ArrayLike:
        """Total split gain per feature."""
        return model.feature_importance(importance_type="gain")

    def _contributions(self, model: lgb.Booster, x: FloatArray) -> npt.ArrayLike:
        return model.predict(x, pred_contrib=True, num_threads=self.num_threads)

    def _model_text(self, model: lgb.Booster) -> str:
        """LightGBM's own text format: it holds the training params as well as the trees."""
        return str(model.model_to_string())

    @classmethod
    def _read_model_text(cls, text: str) -> tuple[Self, lgb.Booster, tuple[str, ...]]:
        """Refitting the rebuilt estimator uses default training params: only the rounds, seed
        and threads are read back from LightGBM's text."""
        booster = lgb.Booster(model_str=text)
        loaded = booster.params
        estimator = cls(
            num_boost_round=max(booster.current_iteration(), 1),
            seed=int(loaded.get("seed", 42)),
            num_threads=max(int(loaded.get("num_threads", 2)), 1),
        )
        return estimator, booster, tuple(booster.feature_name())
