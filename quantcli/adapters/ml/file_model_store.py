"""Trained LightGBM models as folders of plain files: model.txt and metadata.json."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from quantcli.adapters.ml.estimator_codec import EnsembleAssembler
from quantcli.adapters.ml.model_files import (
    METADATA_FILE,
    VALID_NAME,
    check_model_name,
    encode_model,
    fsync_directory,
    read_model_folder,
)
from quantcli.application.modeling.ports import TrainedModel
from quantcli.domain.errors import ModelError, StorageError

__all__ = ["FileModelStore", "check_model_name"]


class FileModelStore:
    """ModelStore keeping each model under `directory/<name>/`; a save replaces it atomically.

    Assumes one writer per model name at a time.
    """

    def __init__(self, directory: Path, assemble_ensemble: EnsembleAssembler | None = None) -> None:
        self.directory = Path(directory)
        self._assemble_ensemble = assemble_ensemble

    def save(self, model: TrainedModel) -> Path:
        """Write the model and return its folder; readers see old or new, never half."""
        files = encode_model(model)
        target = self.directory / model.name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # mkdir (not mkdtemp) so the folder gets the usual umask-based permissions.
            staging = self.directory / f".{model.name}.{uuid.uuid4().hex}.tmp"
            staging.mkdir()
            try:
                files.write_into(staging)
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
        return read_model_folder(folder, name, self._assemble_ensemble)

    def names(self) -> list[str]:
        """Names of the saved models, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.directory.iterdir()
            if VALID_NAME.fullmatch(entry.name) and (entry / METADATA_FILE).is_file()
        )


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
    fsync_directory(target.parent)
