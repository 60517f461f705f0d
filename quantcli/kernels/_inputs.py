"""Input checks shared by every kernel entry point: arrays, lengths, reals, kernel errors."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from quantcli.domain.errors import ValidationError

FloatArray: TypeAlias = npt.NDArray[np.float64]


def series(name: str, values: npt.ArrayLike) -> FloatArray:
    return float_array(name, values, ndim=1)


def panel(name: str, values: npt.ArrayLike) -> FloatArray:
    return float_array(name, values, ndim=2)


def float_array(name: str, values: npt.ArrayLike, ndim: int) -> FloatArray:
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{name} is not an array of numbers: {error}") from error
    # Only ints and floats: bools, complex, strings, dates and objects would convert silently
    # into something that is not a price.
    if array.dtype.kind not in "iuf":
        raise ValidationError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float64)


def is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def length(name: str, value: int, series_length: int) -> int:
    if not is_int(value):
        raise ValidationError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValidationError(f"{name} must be >= 1, got {value}")
    if value > series_length:
        raise ValidationError(f"{name} {value} is longer than the series ({series_length} values)")
    return int(value)


def real(name: str, value: float) -> float:
    # Decimal is allowed because the domain keeps costs and cash in Decimal.
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValidationError(f"{name} must be a real number, got {value!r}")
    return float(value)


@contextmanager
def kernel_errors() -> Iterator[None]:
    """Re-raise the kernels' ValueError (bad values found in Rust) as our ValidationError."""
    try:
        yield
    except ValueError as error:
        raise ValidationError(str(error)) from error
