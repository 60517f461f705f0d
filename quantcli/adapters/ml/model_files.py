"""A trained model (any estimator estimator_codec can write: LightGBM, XGBoost, CatBoost, a
meta-learner or a stacked ensemble of them) as a folder of plain files (model.txt,
metadata.json), both ways.

Shared by FileModelStore and FileModelRegistry, so a model folder reads the same in either.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

import attrs

from quantcli.adapters.ml.estimator_codec import (
    EnsembleAssembler,
    decode_estimator,
    encode_estimator,
)
from quantcli.adapters.ml.metadata_json import decode_metadata, encode_metadata
from quantcli.application.modeling.ports import TrainedModel
from quantcli.domain.errors import ModelError

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
# No leading dot: dot-names are the stores' temporary folders.
VALID_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")


@attrs.frozen
class ModelFiles:
    """A model's files as text, checked and encoded but not yet written."""

    model_text: str
    metadata_text: str

    def write_into(self, folder: Path) -> None:
        """Write both files into the existing `folder`, each fsynced; OSError on failure."""
        write_durably(folder / MODEL_FILE, self.model_text)
        write_durably(folder / METADATA_FILE, self.metadata_text)


def encode_model(model: TrainedModel) -> ModelFiles:
    """Check that `model` can be stored and encode it; ModelError names the model otherwise."""
    check_model_name(model.name)
    estimator = model.estimator
    if getattr(estimator, "is_fitted", True) is False:
        raise ModelError(f"model {model.name!r}: the estimator is not fitted")
    feature_names = tuple(model.feature_names)
    fitted_names = tuple(getattr(estimator, "feature_names", feature_names))
    if feature_names != fitted_names:
        raise ModelError(
            f"model {model.name!r}: feature_names {list(feature_names)} differ from the "
            f"estimator's {list(fitted_names)}"
        )
    try:
        model_text = encode_estimator(estimator)
    except ModelError as exc:
        raise ModelError(f"model {model.name!r}: {exc}") from exc
    metadata, restore = encode_metadata(model.metadata, model.name)
    document = {
        "format_version": FORMAT_VERSION,
        "name": model.name,
        "feature_names": list(feature_names),
        "metadata": metadata,
        "restore": restore,
    }
    return ModelFiles(model_text=model_text, metadata_text=json.dumps(document, indent=2))


def read_model_folder(
    folder: Path, name: str, assemble_ensemble: EnsembleAssembler | None = None
) -> TrainedModel:
    """Read the model `name` from `folder`; ModelError names the model and the bad file.

    `assemble_ensemble` rebuilds a stored stacked ensemble from its parts (the application's
    StackedEnsemble, which an adapter cannot import itself)."""
    metadata_path = folder / METADATA_FILE
    model_path = folder / MODEL_FILE
    document = read_json_document(metadata_path, f"model {name!r}")
    feature_names = document.get("feature_names")
    if not isinstance(feature_names, list) or not all(isinstance(n, str) for n in feature_names):
        raise ModelError(f"model {name!r}: {metadata_path} has no list of feature_names")
    source = f"model {name!r}: {metadata_path}"
    metadata = decode_metadata(document.get("metadata"), document.get("restore", []), source)
    try:
        estimator = decode_estimator(
            model_path.read_text(encoding="utf-8"), assemble_ensemble=assemble_ensemble
        )
    except (OSError, UnicodeDecodeError, ModelError) as exc:
        raise ModelError(f"model {name!r}: cannot read {model_path}: {exc}") from exc
    stored_names = tuple(getattr(estimator, "feature_names", feature_names))
    if stored_names != tuple(feature_names):
        raise ModelError(
            f"model {name!r}: {model_path} has features {list(stored_names)} "
            f"but {metadata_path} lists {feature_names}"
        )
    return TrainedModel(
        name=name, estimator=estimator, feature_names=tuple(feature_names), metadata=metadata
    )


def check_model_name(name: str) -> None:
    """Raise ModelError unless `name` is 1-128 of letters, digits, _ . - not starting with '.'."""
    if not isinstance(name, str) or not VALID_NAME.fullmatch(name):
        raise ModelError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "not starting with '.'"
        )


def read_json_document(path: Path, subject: str) -> dict[str, Any]:
    """A JSON object with our format_version; ModelError starting with `subject` otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{subject}: cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ModelError(f"{subject}: {path} does not hold a JSON object")
    if document.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{subject}: {path} has format_version {document.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}"
        )
    return document


def write_durably(path: Path, text: str) -> None:
    """Write `text` to `path` and fsync it before returning."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Make renames inside `directory` durable on POSIX; Windows has no directory handles."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
