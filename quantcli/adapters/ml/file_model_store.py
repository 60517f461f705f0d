"""Trained LightGBM models as folders of plain files: model.txt and metadata.json."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from quantcli.adapters.ml.lightgbm_estimator import LightGbmEstimator
from quantcli.adapters.ml.metadata_json import decode_metadata, encode_metadata
from quantcli.application.ports import TrainedModel
from quantcli.domain.errors import ModelError, StorageError

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
# No leading dot: dot-names are this store's temporary folders.
_VALID_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")


class FileModelStore:
    """ModelStore keeping each model under `directory/<name>/`; a save replaces it atomically.

    Assumes one writer per model name at a time.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def save(self, model: TrainedModel) -> Path:
        """Write the model and return its folder; readers see old or new, never half."""
        check_model_name(model.name)
        estimator = model.estimator
        if not isinstance(estimator, LightGbmEstimator):
            raise ModelError(
                f"model {model.name!r}: FileModelStore stores LightGbmEstimator models, "
                f"got {type(estimator).__name__}"
            )
        if not estimator.is_fitted:
            raise ModelError(f"model {model.name!r}: the estimator is not fitted")
        feature_names = tuple(model.feature_names)
        if feature_names != estimator.feature_names:
            raise ModelError(
                f"model {model.name!r}: feature_names {list(feature_names)} differ from the "
                f"estimator's {list(estimator.feature_names)}"
            )
        metadata, restore = encode_metadata(model.metadata, model.name)
        document = {
            "format_version": FORMAT_VERSION,
            "name": model.name,
            "feature_names": list(feature_names),
            "metadata": metadata,
            "restore": restore,
        }
        target = self.directory / model.name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # mkdir (not mkdtemp) so the folder gets the usual umask-based permissions.
            staging = self.directory / f".{model.name}.{uuid.uuid4().hex}.tmp"
            staging.mkdir()
            try:
                _write_durably(staging / MODEL_FILE, estimator.to_model_string())
                _write_durably(staging / METADATA_FILE, json.dumps(document, indent=2))
                _swap_in(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:
            raise StorageError(f"model {model.name!r}: cannot write {target}: {exc}") from exc
        return target

    def load(self, name: str) -> TrainedModel:
        """Read a saved model; ModelError names the model and the path when it is missing or bad."""
        check_model_name(name)
        folder = self.directory / name
        if not folder.is_dir():
            raise ModelError(f"model {name!r} not found: no folder {folder}")
        metadata_path = folder / METADATA_FILE
        model_path = folder / MODEL_FILE
        document = _read_metadata_document(name, metadata_path)
        feature_names = document.get("feature_names")
        if not isinstance(feature_names, list) or not all(
            isinstance(n, str) for n in feature_names
        ):
            raise ModelError(f"model {name!r}: {metadata_path} has no list of feature_names")
        source = f"model {name!r}: {metadata_path}"
        metadata = decode_metadata(document.get("metadata"), document.get("restore", []), source)
        try:
            estimator = LightGbmEstimator.from_model_string(model_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ModelError) as exc:
            raise ModelError(f"model {name!r}: cannot read {model_path}: {exc}") from exc
        if estimator.feature_names != tuple(feature_names):
            raise ModelError(
                f"model {name!r}: {model_path} has features {list(estimator.feature_names)} "
                f"but {metadata_path} lists {feature_names}"
            )
        return TrainedModel(
            name=name, estimator=estimator, feature_names=tuple(feature_names), metadata=metadata
        )

    def names(self) -> list[str]:
        """Names of the saved models, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.directory.iterdir()
            if _VALID_NAME.fullmatch(entry.name) and (entry / METADATA_FILE).is_file()
        )


def check_model_name(name: str) -> None:
    """Raise ModelError unless `name` is 1-128 of letters, digits, _ . - not starting with '.'."""
    if not isinstance(name, str) or not _VALID_NAME.fullmatch(name):
        raise ModelError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "not starting with '.'"
        )


def _read_metadata_document(name: str, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"model {name!r}: cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ModelError(f"model {name!r}: {path} does not hold a JSON object")
    if document.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"model {name!r}: {path} has format_version {document.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}"
        )
    return document


def _write_durably(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, target: Path) -> None:
    # A folder cannot be renamed over a non-empty one, so the old model steps aside first;
    # a crash in between leaves it whole under a dot-name, never a half-written model.
    retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    had_old = target.exists()
    if had_old:
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except OSError:
        if had_old:
            os.replace(retired, target)
        raise
    if had_old:
        shutil.rmtree(retired, ignore_errors=True)
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows has no directory handles to sync.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
