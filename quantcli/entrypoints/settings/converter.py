"""The cattrs converter for settings: strict scalar hooks with messages a person can act on.

cattrs' defaults call int()/float() on anything, so `1.9` becomes 1, `true` becomes 1 and the
string "5,10" becomes a list of characters; these hooks refuse such values instead. Strings are
parsed into numbers, booleans and dates because ${VAR} substitution always yields a string.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.cols import is_mapping, mapping_structure_factory
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn

from quantcli.entrypoints.settings.schema import show

_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


class UnreadableValueError(ValueError):
    """A value that cannot be read as its field's type; `problem` is the message."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def make_converter() -> Converter:
    """A converter that rejects unknown keys and structures strictly."""
    converter = Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _to_int)
    converter.register_structure_hook(float, _to_float)
    converter.register_structure_hook(bool, _to_bool)
    converter.register_structure_hook(str, _to_str)
    converter.register_structure_hook(Decimal, _to_decimal)
    converter.register_structure_hook(date, _to_date)
    converter.register_structure_hook(Path, _to_path)
    converter.register_structure_hook_factory(_is_tuple, lambda t: _tuple_hook(converter, t))
    converter.register_structure_hook_factory(is_mapping, lambda t: _mapping_hook(converter, t))
    converter.register_structure_hook_factory(attrs.has, lambda t: _class_hook(converter, t))
    return converter


def _is_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple


def _class_hook(converter: Converter, cl: type) -> Callable[[Any, Any], Any]:
    structure: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cl, converter)

    def hook(value: Any, _type: Any) -> Any:
        if not isinstance(value, Mapping):
            raise UnreadableValueError(f"{show(value)} is not a mapping of keys")
        return structure(value, cl)

    return hook


def _mapping_hook(converter: Converter, mapping_type: Any) -> Callable[[Any, Any], Any]:
    """cattrs' own mapping hook, behind a check that the value is a mapping at all."""
    structure = mapping_structure_factory(mapping_type, converter)

    def hook(value: Any, _type: Any) -> Any:
        if not isinstance(value, Mapping):
            raise UnreadableValueError(f"{show(value)} is not a mapping of keys")
        return structure(value, mapping_type)

    return hook


def _tuple_hook(converter: Converter, tuple_type: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    item_type = get_args(tuple_type)[0]

    def hook(value: Any, _type: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise UnreadableValueError(f"{show(value)} is not a list")
        structure_item = converter.get_structure_hook(item_type)
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(structure_item(item, item_type))
            except Exception as exc:
                exc.add_note(IterableValidationNote(f"@ index {index}", index, item_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {tuple_type}", errors, tuple_type)
        return tuple(items)

    return hook


def _to_int(value: Any, _type: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise UnreadableValueError(f"{show(value)} is not an integer")


def _to_float(value: Any, _type: Any) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value)
    if number is None:
        raise UnreadableValueError(f"{show(value)} is not a number")
    if not math.isfinite(number):
        raise UnreadableValueError(f"{show(value)} is not a finite number")
    return number


def _to_decimal(value: Any, _type: Any) -> Decimal:
    number: Decimal | None = None
    # Through str() so that the YAML float 0.005 becomes Decimal('0.005'), not its binary value.
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        with contextlib.suppress(InvalidOperation):
            number = Decimal(str(value).strip())
    if number is None:
        raise UnreadableValueError(f"{show(value)} is not a number")
    if not number.is_finite():
        raise UnreadableValueError(f"{show(value)} is not a finite number")
    return number


def _to_bool(value: Any, _type: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise UnreadableValueError(f"{show(value)} is not true or false")


def _to_str(value: Any, _type: Any) -> str:
    if isinstance(value, str):
        return value
    raise UnreadableValueError(f"{show(value)} is not a string")


def _to_date(value: Any, _type: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UnreadableValueError(f"{show(value)} is not a date (YYYY-MM-DD)")


def _to_path(value: Any, _type: Any) -> Path:
    if not isinstance(value, str):
        raise UnreadableValueError(f"{show(value)} is not a path")
    if not value.strip():
        raise UnreadableValueError("path is empty")
    # expanduser so that "~/quantcli" in YAML or an env var means the home directory.
    return Path(value).expanduser()
