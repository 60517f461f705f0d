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


def output(name: str, out: FloatArray | None, like: FloatArray) -> FloatArray | None:
    """Checks a caller's output buffer: a writeable, C-contiguous float64 array shaped like the
    input and sharing no memory with it (a kernel reads inputs after writing earlier outputs)."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray) or out.dtype != np.float64:
        raise ValidationError(f"{name} must be a float64 numpy array")
    if out.shape != like.shape:
        raise ValidationError(f"{name} has shape {out.shape}, the input has {like.shape}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValidationError(f"{name} must be C-contiguous and writeable")
    if np.may_share_memory(out, like):
        raise ValidationError(f"{name} shares memory with the input: pass a separate buffer")
    return out


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


def panels(*named: tuple[str, npt.ArrayLike]) -> tuple[FloatArray, ...]:
    """Each (symbols × time) panel as C-contiguous float64, all of the first one's shape."""
    arrays = tuple(panel(name, values) for name, values in named)
    first_name, first = named[0][0], arrays[0]
    for (name, _), array in zip(named[1:], arrays[1:], strict=True):
        if array.shape != first.shape:
            raise ValidationError(
                f"{name} has shape {array.shape}, but {first_name} has shape {first.shape}"
            )
    return arrays


def ddof(value: int, window: int) -> int:
    """Delta degrees of freedom for a window's standard deviation: an int in [0, window)."""
    if not is_int(value) or not 0 <= value < window:
        raise ValidationError(f"ddof must be an int in [0, window={window}), got {value!r}")
    return int(value)


def same_length(*named: tuple[str, FloatArray]) -> None:
    """Every series as long as the first, or a ValidationError naming the one that is not."""
    first_name, first = named[0]
    for name, values in named[1:]:
        if len(values) != len(first):
            raise ValidationError(
                f"{name} has {len(values)} values, but {first_name} has {len(first)}"
            )


def length_at_least(name: str, value: int, minimum: int, series_length: int) -> int:
    """Like `length`, with a floor above 1 (TA-Lib wants period >= 2 for some indicators)."""
    value = length(name, value, series_length)
    if value < minimum:
        raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    return value


def int_series(name: str, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """A 1-D array of integers (labels such as session ids), as C-contiguous int64."""
    return int_array(name, values, ndims=(1,))


def int_array(name: str, values: npt.ArrayLike, ndims: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """An array of integers with one of the allowed numbers of dimensions, as C-contiguous int64."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{name} is not an array of integers: {error}") from error
    if array.dtype.kind not in "iu":
        raise ValidationError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValidationError(f"{name} must be {wanted}, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.int64)


def positive_int(name: str, value: int) -> int:
    """An int >= 1 (a period for a stream, which has no series to be longer than)."""
    if not is_int(value):
        raise ValidationError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValidationError(f"{name} must be >= 1, got {value}")
    return int(value)
