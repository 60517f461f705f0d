"""Machine-learning adapters: the LightGBM estimator and a file-based model store."""

from quantcli.adapters.ml.file_model_store import FileModelStore, check_model_name
from quantcli.adapters.ml.lightgbm_estimator import LightGbmEstimator

__all__ = ["FileModelStore", "LightGbmEstimator", "check_model_name"]
