"""`out=`: single-output series kernels write into a caller's buffer, with the same values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quantcli import _kernels, kernels
from quantcli.domain.errors import ValidationError

OUT_KERNELS = [
    "sma",
    "ema",
    "rsi",
    "pct_return",
    "wma",
    "dema",
    "tema",
    "roc",
    "mom",
    "rolling_mean",
    "rolling_min",
    "rolling_max",
]
WITH_OUT: list[tuple[Callable[..., Any], int]] = [(getattr(kernels, n), 5) for n in OUT_KERNELS]
IDS = OUT_KERNELS


@pytest.fixture
def walk() -> np.ndarray:
    values = 100.0 + np.cumsum(np.random.default_rng(3).normal(0.0, 1.0, 400))
    values[150] = np.nan
    return values


@pytest.mark.parametrize(("function", "length"), WITH_OUT, ids=IDS)
def test_out_receives_the_same_values_and_is_returned(
    function: Callable[..., Any], length: int, walk: np.ndarray
) -> None:
    buffer = np.full_like(walk, 7.0)
    result = function(walk, length, out=buffer)
    assert result is buffer
    np.testing.assert_array_equal(buffer, function(walk, length))


@pytest.mark.parametrize(("function", "length"), WITH_OUT, ids=IDS)
@pytest.mark.parametrize(
    ("make_out", "problem"),
    [
        pytest.param(lambda v: np.zeros(len(v) - 1), "shape", id="short"),
        pytest.param(lambda v: np.zeros(len(v), dtype=np.float32), "float64", id="float32"),
        pytest.param(lambda v: list(np.zeros(len(v))), "float64", id="list"),
        pytest.param(lambda v: np.zeros(2 * len(v))[::2], "C-contiguous", id="strided"),
        pytest.param(lambda v: v, "shares memory", id="the-input-itself"),
        pytest.param(lambda v: v[:], "shares memory", id="a-view-of-the-input"),
    ],
)
def test_a_bad_out_is_rejected_by_name_and_left_untouched(
    function: Callable[..., Any],
    length: int,
    walk: np.ndarray,
    make_out: Callable[[np.ndarray], Any],
    problem: str,
) -> None:
    before = walk.copy()
    with pytest.raises(ValidationError, match=f"out.*{problem}"):
        function(walk, length, out=make_out(walk))
    np.testing.assert_array_equal(walk, before)


def test_a_read_only_out_is_rejected(walk: np.ndarray) -> None:
    frozen = np.zeros_like(walk)
    frozen.flags.writeable = False
    with pytest.raises(ValidationError, match="out must be C-contiguous and writeable"):
        kernels.sma(walk, 5, out=frozen)


def test_the_raw_kernel_refuses_an_out_that_overlaps_its_input(walk: np.ndarray) -> None:
    """The check holds below the Python wrapper too: rust-numpy's borrow tracking."""
    with pytest.raises(ValueError, match="must not share memory"):
        _kernels.sma(walk, 5, walk)
