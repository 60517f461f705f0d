"""Bad input raises ValidationError naming the argument; raw kernels raise ValueError, not panic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quantcli import _kernels, kernels
from quantcli.domain.errors import ValidationError

SERIES = np.arange(1.0, 11.0)

# (function, name of its series argument, name of its length argument)
INDICATORS = [
    pytest.param(kernels.sma, "values", "period", id="sma"),
    pytest.param(kernels.ema, "values", "period", id="ema"),
    pytest.param(kernels.rsi, "close", "period", id="rsi"),
    pytest.param(kernels.rolling_std, "values", "window", id="rolling_std"),
    pytest.param(kernels.pct_return, "values", "horizon", id="pct_return"),
]

BAD_SERIES = [
    pytest.param(np.ones((3, 3)), "1-D", id="two-dimensional"),
    pytest.param(5.0, "1-D", id="scalar"),
    pytest.param(["1.0", "2.0", "3.0"], "real numbers", id="strings"),
    pytest.param([1.0, None, 3.0], "real numbers", id="object"),
    pytest.param(np.array([1 + 1j, 2, 3]), "real numbers", id="complex"),
    pytest.param(np.array([True, False, True]), "real numbers", id="bool"),
    pytest.param(np.array(["2024-01-01"] * 3, dtype="datetime64[D]"), "real numbers", id="dates"),
    pytest.param([[1.0, 2.0], [3.0]], "not an array", id="ragged"),
]

BAD_LENGTHS = [
    pytest.param(0, ">= 1", id="zero"),
    pytest.param(-3, ">= 1", id="negative"),
    pytest.param(11, "longer than the series", id="longer-than-series"),
    pytest.param(3.0, "must be an int", id="float"),
    pytest.param(True, "must be an int", id="bool"),
    pytest.param("3", "must be an int", id="string"),
    pytest.param(None, "must be an int", id="none"),
]

Indicator = Callable[..., np.ndarray]


@pytest.mark.parametrize(("indicator", "series_name", "length_name"), INDICATORS)
@pytest.mark.parametrize(("bad", "complaint"), BAD_SERIES)
def test_indicator_rejects_a_series_that_is_not_1d_real_numbers(
    indicator: Indicator, series_name: str, length_name: str, bad: object, complaint: str
) -> None:
    with pytest.raises(ValidationError, match=rf"^{series_name}\b.*{complaint}"):
        indicator(bad, 2)


@pytest.mark.parametrize(("indicator", "series_name", "length_name"), INDICATORS)
@pytest.mark.parametrize(("bad", "complaint"), BAD_LENGTHS)
def test_indicator_rejects_a_length_that_is_not_an_int_between_1_and_the_series_length(
    indicator: Indicator, series_name: str, length_name: str, bad: object, complaint: str
) -> None:
    with pytest.raises(ValidationError, match=rf"^{length_name}\b.*{complaint}"):
        indicator(SERIES, bad)


@pytest.mark.parametrize(("indicator", "series_name", "length_name"), INDICATORS)
def test_indicator_rejects_an_empty_series_naming_the_length(
    indicator: Indicator, series_name: str, length_name: str
) -> None:
    with pytest.raises(ValidationError, match=rf"^{length_name} 1 is longer than the series"):
        indicator([], 1)


@pytest.mark.parametrize(("indicator", "series_name", "length_name"), INDICATORS)
def test_indicator_accepts_numpy_integer_lengths_up_to_the_series_length(
    indicator: Indicator, series_name: str, length_name: str
) -> None:
    assert indicator(SERIES, np.int32(len(SERIES) - 1)).shape == SERIES.shape


@pytest.mark.parametrize("ddof", [2, 5, -1, 1.0, True])
def test_rolling_std_rejects_ddof_outside_zero_to_window(ddof: Any) -> None:
    with pytest.raises(ValidationError, match=r"^ddof must be an int in \[0, window=2\)"):
        kernels.rolling_std(SERIES, 2, ddof=ddof)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: _kernels.sma(SERIES, 0), "period must be >= 1", id="sma-zero"),
        pytest.param(lambda: _kernels.ema(SERIES, 11), "period 11 is longer", id="ema-long"),
        pytest.param(lambda: _kernels.rsi(SERIES[:0], 1), "period 1 is longer", id="rsi-empty"),
        pytest.param(lambda: _kernels.rolling_std(SERIES, 3, 3), "ddof", id="std-ddof"),
        pytest.param(lambda: _kernels.pct_return(SERIES[::2], 1), "C-contiguous", id="strided"),
    ],
)
def test_raw_kernels_answer_bad_input_with_value_error_not_a_panic(
    call: Callable[[], object], message: str
) -> None:
    # pyo3 turns a Rust panic into PanicException, a BaseException: pytest.raises would miss it.
    with pytest.raises(ValueError, match=message):
        call()
