"""Input checks and importance helpers shared by the estimator adapters."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from quantcli.application.common.ports import FloatArray
from quantcli.application.modeling.ports import ImportanceKind
from quantcli.domain.errors import ModelError

# Names must survive each library's model text unchanged: LightGBM rewrites whitespace and
# rejects JSON punctuation, XGBoost rejects '<', '[' and ']'.
_BAD_FEATURE_NAME = re.compile(r'[\s",:<\[\]{}]')
IMPORTANCE_KINDS: tuple[ImportanceKind, ...] = ("gain", "shap")


def check_training_data(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], names: tuple[str, ...]
) -> None:
    """Raise ModelError naming the problem unless fit can use these arrays and names."""
    if x.ndim != 2:
        raise ModelError(f"features must be 2-D (rows, columns), got shape {x.shape}")
    if y.ndim != 1:
        raise ModelError(f"labels must be 1-D, got shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ModelError(f"features have {x.shape[0]} rows but labels have {y.shape[0]}")
    if x.shape[0] == 0:
        raise ModelError("features and labels are empty: nothing to fit")
    if len(names) != x.shape[1]:
        raise ModelError(
            f"feature_names has {len(names)} names but features have {x.shape[1]} columns"
        )
    if not np.isfinite(y).all():
        raise ModelError(f"labels contain {int((~np.isfinite(y)).sum())} non-finite values")
    bad_labels = np.setdiff1d(np.unique(y), [0.0, 1.0])
    if bad_labels.size:
        raise ModelError(f"labels must be 0 or 1, found {bad_labels[:5].tolist()}")
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ModelError(f"feature_names must be unique, duplicated: {duplicates}")
    for name in names:
        if not name or _BAD_FEATURE_NAME.search(name):
            raise ModelError(
                f'feature name {name!r} is empty or has whitespace or one of " , : < [ ] {{ }}'
            )


def prediction_input(features: FloatArray, feature_names: tuple[str, ...]) -> FloatArray:
    """`features` as a float64 matrix with one column per fitted feature, else ModelError."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ModelError(f"features must be 2-D (rows, columns), got shape {x.shape}")
    if x.shape[1] != len(feature_names):
        raise ModelError(
            f"features have {x.shape[1]} columns but the model was fitted on "
            f"{len(feature_names)}: {list(feature_names)}"
        )
    return x


def check_importance_kind(kind: str, features: FloatArray | None) -> None:
    if kind not in IMPORTANCE_KINDS:
        raise ModelError(f"importance kind {kind!r} is not one of {', '.join(IMPORTANCE_KINDS)}")
    if kind == "shap" and features is None:
        raise ModelError('importance kind "shap" needs the feature rows to explain')


def mean_abs_contribution(contributions: npt.ArrayLike, n_features: int) -> FloatArray:
    """Mean |SHAP| per feature from a (rows, features + 1 bias column) contribution matrix."""
    matrix = np.asarray(contributions, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != n_features + 1:
        raise ModelError(
            f"SHAP contributions have shape {matrix.shape}, expected (rows, {n_features + 1})"
        )
    if matrix.shape[0] == 0:
        raise ModelError("SHAP importance needs at least one row of features")
    return np.asarray(np.abs(matrix[:, :n_features]).mean(axis=0), dtype=np.float64)
