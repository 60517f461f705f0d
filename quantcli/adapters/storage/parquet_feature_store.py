"""The FeatureStore port as one Parquet file per table, replaced atomically."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from quantcli.domain.errors import DataError, StorageError, ValidationError

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# `.<table>.<pid>.<random>.parquet.tmp`: a save's temporary file, named after its process so a
# later process can tell one left by a killed writer (process gone) from one being written.
_TEMPORARY = re.compile(r"^\.[A-Za-z0-9_-]{1,128}\.(\d+)\.[^.]*\.parquet\.tmp$")


class ParquetFeatureStore:
    """Feature tables as <directory>/<name>.parquet; readers see the old or new file, never half."""

    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    @property
    def directory(self) -> Path:
        return self._directory

    def path_for(self, name: str) -> Path:
        """Where table `name` lives."""
        _check_name(name)
        return self._directory / f"{name}.parquet"

    def names(self) -> list[str]:
        """The stored tables, sorted."""
        if not self._directory.is_dir():
            return []
        return sorted(
            p.stem for p in self._directory.glob("*.parquet") if _TABLE_NAME.match(p.stem)
        )

    def save(self, name: str, table: pd.DataFrame) -> None:
        """Replace table `name`: write a temporary file beside it, then rename over the old one."""
        path = self.path_for(name)
        if not isinstance(table, pd.DataFrame):
            raise DataError(
                f"feature table {name}: expected a DataFrame, got {type(table).__name__}"
            )
        bad_columns = [c for c in table.columns if not isinstance(c, str)]
        if bad_columns:
            # Parquet would silently turn them into strings, so the table would not round-trip.
            raise DataError(f"feature table {name}: column names must be text, got {bad_columns!r}")
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"feature table {name}: cannot create folder {self._directory} ({exc})"
            ) from exc
        temporary: Path | None = None
        try:
            # Same directory as the target, so os.replace is a rename within one file system.
            handle, temporary_name = tempfile.mkstemp(
                prefix=f".{name}.{os.getpid()}.", suffix=".parquet.tmp", dir=self._directory
            )
            temporary = Path(temporary_name)
            with os.fdopen(handle, "wb") as file:
                table.to_parquet(file, engine="pyarrow")
                file.flush()
                # Durable before the rename: a crash must not leave a renamed but empty file.
                os.fsync(file.fileno())
            os.replace(temporary, path)
            temporary = None
            _fsync_directory(self._directory)
        except OSError as exc:  # first: pyarrow's I/O errors are OSErrors too
            raise StorageError(f"feature table {name}: cannot write {path} ({exc})") from exc
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise DataError(f"feature table {name}: cannot be written as Parquet ({exc})") from exc
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()

    def delete(self, name: str) -> bool:
        """Remove table `name`; False when there was none."""
        path = self.path_for(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"feature table {name}: cannot delete {path} ({exc})") from exc
        _fsync_directory(self._directory)
        return True

    def discard_debris(self) -> tuple[str, ...]:
        """Delete the temporary files of saves whose process is gone (killed mid-write);
        returns their names."""
        if not self._directory.is_dir():
            return ()
        removed = []
        for entry in self._directory.iterdir():
            match = _TEMPORARY.match(entry.name)
            if match is None or _process_alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry.name)
        return tuple(sorted(removed))

    def load(self, name: str) -> pd.DataFrame:
        """Table `name` with the dtypes it was saved with; DataError naming it when missing."""
        path = self.path_for(name)
        if not path.is_file():
            raise DataError(f"feature table {name} does not exist (no file {path})")
        try:
            arrow_table = pq.read_table(path)
            frame = arrow_table.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise StorageError(f"feature table {name}: cannot read {path} ({exc})") from exc
        return _restore_object_columns(frame, arrow_table.schema.pandas_metadata or {})


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise ValidationError(
            f"feature table name {name!r}: expected 1-128 letters, digits, _ or -"
        )


def _restore_object_columns(frame: pd.DataFrame, metadata: dict[str, Any]) -> pd.DataFrame:
    """Give back object dtype to text columns saved as object; pandas 3 reads them as str."""
    saved_as_object = {
        entry.get("field_name")
        for entry in metadata.get("columns", [])
        if entry.get("numpy_type") == "object"
    }
    for column in frame.columns:
        if column in saved_as_object and isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype(object)
    index_names = [n for n in metadata.get("index_columns", []) if isinstance(n, str)]
    if isinstance(frame.index, pd.MultiIndex):
        levels = [
            level.astype(object)
            if field in saved_as_object and isinstance(level.dtype, pd.StringDtype)
            else level
            for level, field in zip(frame.index.levels, index_names, strict=False)
        ]
        if len(levels) == frame.index.nlevels:
            frame.index = frame.index.set_levels(levels)  # type: ignore[arg-type]
    elif (
        index_names
        and index_names[0] in saved_as_object
        and isinstance(frame.index.dtype, pd.StringDtype)
    ):
        frame.index = frame.index.astype(object)
    return frame


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or sys.platform == "win32":  # os.kill(pid, 0) terminates on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open directories, and the rename
    # has already happened, so failing here must not report the save as failed.
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
