"""Any of our fitted estimators, a stacked ensemble of them included, as one text and back.

A LightGBM model stays LightGBM's own text (what model.txt always held); every other
estimator is a JSON envelope naming its kind around that estimator's to_model_string().
An ensemble nests its members' texts; rebuilding one takes `assemble_ensemble` (the
application's StackedEnsemble, passed in by the entrypoints: adapters do not import use cases).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from quantcli.adapters.ml.catboost_estimator import CatboostEstimator
from quantcli.adapters.ml.lightgbm_estimator import LightGbmEstimator
from quantcli.adapters.ml.meta_learners import LogisticMetaLearner, RidgeLogitMetaLearner
from quantcli.adapters.ml.xgboost_estimator import XgboostEstimator
from quantcli.application.modeling.ports import Estimator
from quantcli.domain.errors import ModelError

ENVELOPE_FORMAT = "quantcli-estimator-v1"
ENSEMBLE_KIND = "stacked_ensemble"
_DECODERS: dict[str, tuple[type, Callable[[str], Estimator]]] = {
    "lightgbm": (LightGbmEstimator, LightGbmEstimator.from_model_string),
    "xgboost": (XgboostEstimator, XgboostEstimator.from_model_string),
    "catboost": (CatboostEstimator, CatboostEstimator.from_model_string),
    "logistic_meta": (LogisticMetaLearner, LogisticMetaLearner.from_model_string),
    "ridge_logit_meta": (RidgeLogitMetaLearner, RidgeLogitMetaLearner.from_model_string),
}


@runtime_checkable
class StackedParts(Protocol):
    """What a stacked ensemble exposes for storing (the application's StackedEnsemble)."""

    @property
    def base_models(self) -> Mapping[str, Estimator]: ...

    @property
    def meta_learner(self) -> Estimator: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...


# Called with keywords base_models, meta_learner and feature_names.
EnsembleAssembler = Callable[..., Estimator]


def estimator_kind(estimator: object) -> str:
    """The kind name under which `estimator` is stored; ModelError if it cannot be stored."""
    if isinstance(estimator, StackedParts):
        return ENSEMBLE_KIND
    for kind, (cls, _decode) in _DECODERS.items():
        if type(estimator) is cls:
            return kind
    raise ModelError(f"cannot store a {type(estimator).__name__}: no model text format for it")


def encode_estimator(estimator: object) -> str:
    """The fitted `estimator` as text; ModelError if it is unfitted or of an unknown type."""
    kind = estimator_kind(estimator)
    if kind == "lightgbm":
        assert isinstance(estimator, LightGbmEstimator)
        return estimator.to_model_string()
    if kind == ENSEMBLE_KIND:
        assert isinstance(estimator, StackedParts)
        document: dict[str, Any] = {
            "format": ENVELOPE_FORMAT,
            "kind": kind,
            "feature_names": list(estimator.feature_names),
            "base_models": [
                {"name": name, "model": encode_estimator(model)}
                for name, model in estimator.base_models.items()
            ],
            "meta_learner": encode_estimator(estimator.meta_learner),
        }
        return json.dumps(document)
    to_text: Callable[[], str] = estimator.to_model_string  # type: ignore[attr-defined]
    return json.dumps({"format": ENVELOPE_FORMAT, "kind": kind, "model": to_text()})


def decode_estimator(text: str, *, assemble_ensemble: EnsembleAssembler | None = None) -> Estimator:
    """Rebuild an estimator from encode_estimator's text; ModelError if it is not one."""
    if not text.lstrip().startswith("{"):
        return LightGbmEstimator.from_model_string(text)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"not a valid estimator text: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != ENVELOPE_FORMAT:
        raise ModelError(f"not a valid estimator text: format is not {ENVELOPE_FORMAT}")
    kind = document.get("kind")
    try:
        if kind == ENSEMBLE_KIND:
            return _decode_ensemble(document, assemble_ensemble)
        if kind not in _DECODERS:
            raise ModelError(f"unknown estimator kind {kind!r}; known: {sorted(_DECODERS)}")
        return _DECODERS[kind][1](document["model"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"estimator text of kind {kind!r} lacks {exc}") from exc


def _decode_ensemble(
    document: Mapping[str, Any], assemble_ensemble: EnsembleAssembler | None
) -> Estimator:
    if assemble_ensemble is None:
        raise ModelError("this text holds a stacked ensemble: pass assemble_ensemble to load it")
    base_models = {
        str(entry["name"]): decode_estimator(entry["model"], assemble_ensemble=assemble_ensemble)
        for entry in document["base_models"]
    }
    return assemble_ensemble(
        base_models=base_models,
        meta_learner=decode_estimator(document["meta_learner"]),
        feature_names=tuple(str(name) for name in document["feature_names"]),
    )
