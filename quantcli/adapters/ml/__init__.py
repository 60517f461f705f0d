"""Machine-learning adapters: the LightGBM estimator, a file model store and model registry."""

from quantcli.adapters.ml.catboost_estimator import CatboostEstimator
from quantcli.adapters.ml.file_model_registry import FileModelRegistry
from quantcli.adapters.ml.file_model_store import FileModelStore, check_model_name
from quantcli.adapters.ml.lightgbm_estimator import LightGbmEstimator
from quantcli.adapters.ml.meta_learners import LogisticMetaLearner, RidgeLogitMetaLearner
from quantcli.adapters.ml.xgboost_estimator import XgboostEstimator

__all__ = [
    "CatboostEstimator",
    "FileModelRegistry",
    "FileModelStore",
    "LightGbmEstimator",
    "LogisticMetaLearner",
    "RidgeLogitMetaLearner",
    "XgboostEstimator",
    "check_model_name",
]
