"""Numbered model versions in folders, with stages in one small, atomically replaced JSON file.

    <root>/<name>/registry.json        stages, production, rollback targets, history
    <root>/<name>/.lock                 flock'ed around every read-modify-write
    <root>/<name>/v0001/metadata.json   the version's metadata (data range, hashes, gates ...)
    <root>/<name>/v0001/model/          the model, as FileModelStore writes it
    <root>/<name>/v0001/predictions.parquet  its out-of-sample predictions, when it has them

registry.json decides which versions exist: a folder it does not list is debris of a crash
(ignored, and swept by prune). A version folder is written under a dot-name and renamed into
place before registry.json names it, so a listed version is always whole: with its
predictions if it was registered with them. Versions registered before the registry kept
predictions have none; `predictions` says so, naming the version, and asks for a retrain.
Staging folders left by an interrupted write (`.v0002.<hex>.tmp`) are removed by the next write
to that model, under its lock, and by `discard_debris`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from quantcli.adapters.ml.estimator_codec import EnsembleAssembler
from quantcli.adapters.ml.metadata_json import decode_metadata, encode_metadata
from quantcli.adapters.ml.model_files import (
    FORMAT_VERSION,
    VALID_NAME,
    check_model_name,
    encode_model,
    fsync_directory,
    read_json_document,
    read_model_folder,
    write_durably,
)
from quantcli.adapters.ml.prediction_files import (
    encode_predictions,
    read_predictions,
    write_predictions,
)
from quantcli.application.modeling.ports import ModelVersion, TrainedModel
from quantcli.domain.errors import ModelError, StorageError, ValidationError
from quantcli.domain.model_stages import ModelLineage, is_stage

if sys.platform != "win32":
    import fcntl

REGISTRY_FILE = "registry.json"
LOCK_FILE = ".lock"
VERSION_METADATA_FILE = "metadata.json"
MODEL_FOLDER = "model"
_VERSION_FOLDER = re.compile(r"v(\d{4,})")
# Left behind only by a crash: staged or half-deleted versions, unreplaced registry files.
_DEBRIS = re.compile(r"\.(v\d{4,}\.[0-9a-f]+\.(tmp|deleted)|registry\.json\.[0-9a-f]+\.tmp)")

Clock = Callable[[], datetime]
History = list[Any]  # registry.json's events, oldest first


def version_folder_name(version: int) -> str:
    return f"v{version:04d}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FileModelRegistry:
    """ModelRegistry in folders under `root`; safe for several processes at once (flock)."""

    def __init__(
        self,
        root: Path,
        clock: Clock = _utc_now,
        assemble_ensemble: EnsembleAssembler | None = None,
    ) -> None:
        self.root = Path(root)
        self._clock = clock
        self._assemble_ensemble = assemble_ensemble

    # --- reading ------------------------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """The registered model names, sorted."""
        if not self.root.is_dir():
            return ()
        return tuple(
            sorted(
                entry.name
                for entry in self.root.iterdir()
                if VALID_NAME.fullmatch(entry.name) and (entry / REGISTRY_FILE).is_file()
            )
        )

    def list(self, name: str | None = None) -> tuple[ModelVersion, ...]:
        """Versions of `name`, or of every model, ordered by name then version."""
        if name is None:
            return tuple(found for each in self.names() for found in self.list(each))
        with self._reading(name) as (folder, lineage, _history):
            return tuple(self._version(folder, lineage, v) for v in lineage.versions)

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """One version; None means the production version, else the latest."""
        with self._reading(name) as (folder, lineage, _history):
            return self._version(folder, lineage, lineage.resolve(version))

    def load(self, name: str, version: int | None = None) -> TrainedModel:
        """The model of one version, chosen as in `get`."""
        with self._reading(name) as (folder, lineage, _history):
            chosen = lineage.resolve(version)
            return read_model_folder(
                folder / version_folder_name(chosen) / MODEL_FOLDER, name, self._assemble_ensemble
            )

    def predictions(self, name: str, version: int | None = None) -> pd.DataFrame:
        """The out-of-sample predictions stored with one version, chosen as in `get`."""
        with self._reading(name) as (folder, lineage, _history):
            chosen = lineage.resolve(version)
            subject = f"model {name} version {chosen}"
            found = read_predictions(folder / version_folder_name(chosen), subject)
        if found is None:
            raise ModelError(
                f"{subject} has no stored out-of-sample predictions (it was registered before "
                "versions kept them): retrain with `quantcli train` and use the new version"
            )
        return found

    def history(self, name: str) -> tuple[Mapping[str, Any], ...]:
        """The registry's log for `name`: register, promote, rollback and prune events."""
        with self._reading(name) as (_folder, _lineage, history):
            return tuple(history)

    # --- writing ------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        model: TrainedModel,
        metadata: Mapping[str, Any],
        predictions: pd.DataFrame | None = None,
    ) -> ModelVersion:
        """Store `model` as the next version (last + 1) of `name`, a candidate, with its
        out-of-sample `predictions` when given: the version appears with them or not at all."""
        check_model_name(name)
        if model.name != name:
            raise ModelError(f"cannot register model {model.name!r} under the name {name}")
        files = encode_model(model)  # checks and encodes before anything touches the disk
        table = None if predictions is None else encode_predictions(predictions, f"model {name}")
        encoded, restore = encode_metadata(metadata, name)
        created_at = self._now()
        with self._writing(name, create=True) as (folder, current, history):
            lineage, version = current.register()
            document = {
                "format_version": FORMAT_VERSION,
                "name": name,
                "version": version,
                "created_at": created_at.isoformat(),
                "metadata": encoded,
                "restore": restore,
            }
            target = folder / version_folder_name(version)
            staging = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
            try:
                staging.mkdir()
                try:
                    (staging / MODEL_FOLDER).mkdir()
                    files.write_into(staging / MODEL_FOLDER)
                    if table is not None:
                        write_predictions(staging, table)
                    write_durably(staging / VERSION_METADATA_FILE, json.dumps(document, indent=2))
                    if target.exists():  # debris of a register that crashed before registry.json
                        _delete_folder(target)
                    os.rename(staging, target)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                fsync_directory(folder)
            except OSError as exc:
                raise StorageError(f"model {name}: cannot write {target}: {exc}") from exc
            event = {"event": "register", "version": version}
            try:
                self._save(folder, lineage, [*history, self._stamp(event)])
            except StorageError:
                shutil.rmtree(target, ignore_errors=True)
                raise
            return self._version(folder, lineage, version)

    def promote(self, name: str, version: int, *, forced: bool = False) -> ModelVersion:
        """Put `version` in production; the previous production is archived as rollback target.
        `forced` is recorded in the promote event (promoted although gates failed)."""
        with self._writing(name) as (folder, lineage, history):
            previous = lineage.production
            promoted = lineage.promote(version)
            if promoted != lineage:
                event = {
                    "event": "promote",
                    "version": version,
                    "previous": previous,
                    "forced": forced,
                }
                self._save(folder, promoted, [*history, self._stamp(event)])
            return self._version(folder, promoted, version)

    def rollback(self, name: str) -> ModelVersion:
        """Put the previous production back; ModelError when there is none. Returns it."""
        with self._writing(name) as (folder, lineage, history):
            previous = lineage.production
            rolled_back, version = lineage.rollback()
            event = {"event": "rollback", "version": version, "previous": previous}
            self._save(folder, rolled_back, [*history, self._stamp(event)])
            return self._version(folder, rolled_back, version)

    def prune(self, name: str, keep_last: int, *, dry_run: bool = False) -> tuple[int, ...]:
        """Delete all but the newest `keep_last` versions, never production nor the rollback
        target; returns the numbers of the deleted versions, oldest first. With `dry_run`,
        only returns the versions it would delete."""
        if dry_run:
            with self._reading(name) as (_folder, lineage, _history):
                return lineage.prune(keep_last)[1]
        with self._writing(name) as (folder, lineage, history):
            pruned, dropped = lineage.prune(keep_last)
            if dropped:
                event = {"event": "prune", "versions": list(dropped), "keep_last": keep_last}
                self._save(folder, pruned, [*history, self._stamp(event)])
            # registry.json no longer names them, so a crash from here on leaves only debris.
            _sweep(folder, pruned)
            return dropped

    def discard_debris(self) -> None:
        """Remove what interrupted writes left behind (staging `.tmp` folders, half-deleted
        versions, unreplaced registry files) under every model's write lock. Every write
        does this for its model; `quantcli train` and `tune` call it when they start."""
        if not self.root.is_dir():
            return
        for entry in sorted(self.root.iterdir()):
            if VALID_NAME.fullmatch(entry.name) and (entry / REGISTRY_FILE).is_file():
                with contextlib.suppress(StorageError, ModelError), self._writing(entry.name):
                    pass

    # --- internals ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.utcoffset() is None:
            raise ValidationError(f"the registry clock gave a naive timestamp {now.isoformat()}")
        return now.astimezone(UTC)

    def _stamp(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"at": self._now().isoformat(), **event}

    @contextlib.contextmanager
    def _reading(self, name: str) -> Iterator[tuple[Path, ModelLineage, History]]:
        folder = self._existing_folder(name)
        with _flock(folder / LOCK_FILE, exclusive=False):
            lineage, history = self._read(folder, name)
            yield folder, lineage, history

    @contextlib.contextmanager
    def _writing(
        self, name: str, *, create: bool = False
    ) -> Iterator[tuple[Path, ModelLineage, History]]:
        if create:
            check_model_name(name)
            folder = self.root / name
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"model {name}: cannot create {folder}: {exc}") from exc
        else:
            folder = self._existing_folder(name)
        with _flock(folder / LOCK_FILE, exclusive=True):
            # Under the write lock no other writer is mid-way: any debris is a dead process's.
            _discard_debris(folder)
            if create and not (folder / REGISTRY_FILE).exists():
                lineage, history = ModelLineage(name=name), History()
            else:
                lineage, history = self._read(folder, name)
            yield folder, lineage, history

    def _existing_folder(self, name: str) -> Path:
        check_model_name(name)
        folder = self.root / name
        if not (folder / REGISTRY_FILE).is_file():
            known = self.names()
            listing = (
                f"registered models: {', '.join(known)}"
                if known
                else f"no model is registered under {self.root}"
            )
            raise ModelError(f"model {name} is not registered; {listing}")
        return folder

    def _read(self, folder: Path, name: str) -> tuple[ModelLineage, History]:
        path = folder / REGISTRY_FILE
        document = read_json_document(path, f"model {name}")
        try:
            versions = document["versions"]
            last_version = document["last_version"]
            targets = document["rollback_targets"]
            history = document["history"]
            if not isinstance(versions, dict) or not all(key.isdigit() for key in versions):
                raise ValueError("'versions' must map version numbers to stages")
            if not isinstance(last_version, int) or not isinstance(targets, list):
                raise ValueError("'last_version' must be a number, 'rollback_targets' a list")
            if not isinstance(history, list):
                raise ValueError("'history' must be a list")
            stages = {int(key): stage for key, stage in versions.items() if is_stage(stage)}
            if len(stages) != len(versions):
                raise ValueError(f"unknown stage in {versions}")
            lineage = ModelLineage(
                name=name, stages=stages, last_version=last_version, rollback_targets=targets
            )
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise ModelError(f"model {name}: {path} is not a valid registry file: {exc}") from exc
        if document.get("name") != name or document.get("production") != lineage.production:
            raise ModelError(
                f"model {name}: {path} names model {document.get('name')!r} with production "
                f"{document.get('production')!r}, which its versions contradict"
            )
        return lineage, history

    def _save(self, folder: Path, lineage: ModelLineage, history: History) -> None:
        document = {
            "format_version": FORMAT_VERSION,
            "name": lineage.name,
            "production": lineage.production,
            "last_version": lineage.last_version,
            "rollback_targets": list(lineage.rollback_targets),
            "versions": {str(v): lineage.stages[v] for v in lineage.versions},
            "history": history,
        }
        path = folder / REGISTRY_FILE
        temporary = folder / f".{REGISTRY_FILE}.{uuid.uuid4().hex}.tmp"
        try:
            try:
                write_durably(temporary, json.dumps(document, indent=2))
                os.replace(temporary, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
        except OSError as exc:
            raise StorageError(f"model {lineage.name}: cannot write {path}: {exc}") from exc
        # The new state is in place: from here on a failure must not look like a failed write.
        with contextlib.suppress(OSError):
            fsync_directory(folder)

    def _version(self, folder: Path, lineage: ModelLineage, version: int) -> ModelVersion:
        name = lineage.name
        path = folder / version_folder_name(version) / VERSION_METADATA_FILE
        subject = f"model {name} version {version}"
        document = read_json_document(path, subject)
        if document.get("name") != name or document.get("version") != version:
            raise ModelError(
                f"{subject}: {path} describes model {document.get('name')!r} "
                f"version {document.get('version')!r}"
            )
        try:
            created_at = datetime.fromisoformat(document["created_at"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{subject}: {path} has no valid created_at: {exc}") from exc
        metadata = decode_metadata(document.get("metadata"), document.get("restore", []), subject)
        try:
            return ModelVersion(
                name=name,
                version=version,
                created_at=created_at,
                stage=lineage.stages[version],
                metadata=metadata,
            )
        except ValidationError as exc:
            raise ModelError(f"{subject}: {path}: {exc}") from exc


@contextlib.contextmanager
def _flock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold an flock on `path` (created if need be); closing the descriptor releases it."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exclusive:
            raise StorageError(f"cannot lock {path}: {exc}") from exc
        # A read-only registry has no writers to wait for; atomic replaces keep reads whole.
        yield
        return
    try:
        if sys.platform != "win32":
            fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(descriptor)


def _delete_folder(folder: Path) -> None:
    # Renamed first so that a crash halfway leaves debris under a dot-name, not a half version.
    doomed = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.deleted")
    os.rename(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _sweep(folder: Path, lineage: ModelLineage) -> None:
    """Delete version folders `lineage` does not list and the debris of crashed writes."""
    kept = {version_folder_name(v) for v in lineage.versions}
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            if _VERSION_FOLDER.fullmatch(entry.name) and entry.name not in kept:
                _delete_folder(entry)
    _discard_debris(folder)


def _discard_debris(folder: Path) -> None:
    """Delete the staging and half-deleted folders and temporary files of crashed writes."""
    for entry in folder.iterdir():
        if not _DEBRIS.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
