"""A model version's out-of-sample predictions as one Parquet file in the version's folder.

Encoded (and checked) before anything touches the disk, like the model files, so a registry
can write them into a version's staging folder with the rest of the version.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from quantcli.application.modeling.ports import REQUIRED_PREDICTION_COLUMNS
from quantcli.domain.errors import ModelError

PREDICTIONS_FILE = "predictions.parquet"


def encode_predictions(predictions: pd.DataFrame, subject: str) -> bytes:
    """The table as Parquet bytes; ModelError starting with `subject` when it cannot be stored."""
    if not isinstance(predictions, pd.DataFrame):
        raise ModelError(
            f"{subject}: predictions must be a DataFrame, got {type(predictions).__name__}"
        )
    missing = [c for c in REQUIRED_PREDICTION_COLUMNS if c not in predictions.columns]
    if missing:
        raise ModelError(f"{subject}: predictions lack column(s) {', '.join(missing)}")
    if predictions.empty:
        raise ModelError(f"{subject}: the out-of-sample predictions have no rows")
    buffer = io.BytesIO()
    try:
        predictions.reset_index(drop=True).to_parquet(buffer, engine="pyarrow", index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise ModelError(f"{subject}: predictions cannot be written as Parquet ({exc})") from exc
    return buffer.getvalue()


def write_predictions(folder: Path, encoded: bytes) -> None:
    """Write encoded predictions into the existing `folder`, fsynced; OSError on failure."""
    with (folder / PREDICTIONS_FILE).open("wb") as handle:
        handle.write(encoded)
        handle.flush()
        os.fsync(handle.fileno())


def read_predictions(folder: Path, subject: str) -> pd.DataFrame | None:
    """The predictions stored in `folder`, None when it has none; ModelError when unreadable."""
    path = folder / PREDICTIONS_FILE
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
        frame = table.to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise ModelError(f"{subject}: cannot read {path}: {exc}") from exc
    # pandas 3 reads text back as str; give object columns back the dtype they were saved with.
    metadata = table.schema.pandas_metadata or {}
    for entry in metadata.get("columns", []):
        column = entry.get("field_name")
        if (
            entry.get("numpy_type") == "object"
            and column in frame.columns
            and isinstance(frame[column].dtype, pd.StringDtype)
        ):
            frame[column] = frame[column].astype(object)
    return frame
