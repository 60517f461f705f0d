"""Model metadata to and from JSON, bringing datetimes, dates, tuples and Decimals back on load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from quantcli.domain.errors import ModelError

# A JSON file only holds str/number/bool/null/list/object; the paths of values that were
# something richer are recorded beside it so that a loaded model equals the saved one.
KeyPath = list[str | int]
Restore = list[tuple[str, KeyPath]]

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "tuple": tuple,
    "decimal": Decimal,
}


def encode_metadata(metadata: Mapping[str, Any], model_name: str) -> tuple[dict[str, Any], Restore]:
    """Turn metadata into JSON values plus the (type, path) list that restores the rich ones."""
    restore: Restore = []
    encoded = _encode(metadata, [], restore, model_name)
    return encoded, restore


def decode_metadata(encoded: Any, restore: Any, source: str) -> dict[str, Any]:
    """Undo encode_metadata; `source` names the file in errors."""
    if not isinstance(encoded, dict):
        raise ModelError(f"{source}: 'metadata' must be a JSON object")
    if not isinstance(restore, list):
        raise ModelError(f"{source}: 'restore' must be a list")
    root: dict[str, Any] = encoded
    # Deepest first, so a value inside a tuple is restored before the tuple is frozen.
    for entry in sorted(restore, key=lambda item: -len(item[1]) if _is_entry(item) else 0):
        if not _is_entry(entry) or entry[0] not in _DECODERS or not entry[1]:
            raise ModelError(f"{source}: bad restore entry {entry!r}")
        kind, path = entry
        try:
            parent = root
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = _DECODERS[kind](parent[path[-1]])
        except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as exc:
            raise ModelError(f"{source}: cannot restore {kind} at {_dotted(path)}: {exc}") from exc
    return root


def _is_entry(item: Any) -> bool:
    return isinstance(item, Sequence) and len(item) == 2 and isinstance(item[1], list)


def _encode(value: Any, path: KeyPath, restore: Restore, model_name: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), path, restore, model_name)
    if isinstance(value, np.ndarray):
        return _encode(value.tolist(), path, restore, model_name)
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        restore.append(("datetime", list(path)))
        return value.isoformat()
    if isinstance(value, dt.date):
        restore.append(("date", list(path)))
        return value.isoformat()
    if isinstance(value, Decimal):
        restore.append(("decimal", list(path)))
        return str(value)
    if isinstance(value, Mapping):
        encoded: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ModelError(
                    f"model {model_name!r}: metadata key {_dotted([*path, repr(key)])} is a "
                    f"{type(key).__name__}; only string keys can be stored"
                )
            encoded[key] = _encode(item, [*path, key], restore, model_name)
        return encoded
    if isinstance(value, list | tuple):
        if isinstance(value, tuple):
            restore.append(("tuple", list(path)))
        return [_encode(item, [*path, i], restore, model_name) for i, item in enumerate(value)]
    raise ModelError(
        f"model {model_name!r}: metadata key {_dotted(path)} holds a value of type "
        f"{type(value).__name__}, which cannot be stored as JSON"
    )


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path) or "<root>"
