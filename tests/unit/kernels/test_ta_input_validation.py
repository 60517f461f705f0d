"""Bad input to the new indicators raises ValidationError naming the argument, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quantcli import _kernels, kernels
from quantcli.domain.errors import ValidationError

N = 30
X = np.linspace(10.0, 20.0, N)
SHORT = X[:-1]

# name -> (call with keyword columns, columns it takes, name of its main length argument)
CALLS: dict[str, tuple[Callable[..., Any], tuple[str, ...], str]] = {
    "wma": (lambda c, p: kernels.wma(c["values"], p), ("values",), "period"),
    "dema": (lambda c, p: kernels.dema(c["values"], p), ("values",), "period"),
    "tema": (lambda c, p: kernels.tema(c["values"], p), ("values",), "period"),
    "roc": (lambda c, p: kernels.roc(c["values"], p), ("values",), "period"),
    "mom": (lambda c, p: kernels.mom(c["values"], p), ("values",), "period"),
    "macd": (lambda c, p: kernels.macd(c["values"], 2, p, 1), ("values",), "slow_period"),
    "bbands": (lambda c, p: kernels.bbands(c["values"], p), ("values",), "period"),
    "stoch": (
        lambda c, p: kernels.stoch(c["high"], c["low"], c["close"], fastk_period=p),
        ("high", "low", "close"),
        "fastk_period",
    ),
    "willr": (
        lambda c, p: kernels.willr(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "cci": (
        lambda c, p: kernels.cci(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "adx": (
        lambda c, p: kernels.adx(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "atr": (
        lambda c, p: kernels.atr(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "natr": (
        lambda c, p: kernels.natr(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "keltner": (
        lambda c, p: kernels.keltner(c["high"], c["low"], c["close"], p),
        ("high", "low", "close"),
        "period",
    ),
    "mfi": (
        lambda c, p: kernels.mfi(c["high"], c["low"], c["close"], c["volume"], p),
        ("high", "low", "close", "volume"),
        "period",
    ),
    "donchian": (lambda c, p: kernels.donchian(c["high"], c["low"], p), ("high", "low"), "period"),
    "rolling_vwap": (
        lambda c, p: kernels.rolling_vwap(c["price"], c["volume"], p),
        ("price", "volume"),
        "window",
    ),
    "rolling_mean": (lambda c, p: kernels.rolling_mean(c["values"], p), ("values",), "window"),
    "rolling_zscore": (lambda c, p: kernels.rolling_zscore(c["values"], p), ("values",), "window"),
    "rolling_min": (lambda c, p: kernels.rolling_min(c["values"], p), ("values",), "window"),
    "rolling_max": (lambda c, p: kernels.rolling_max(c["values"], p), ("values",), "window"),
    "rolling_corr": (lambda c, p: kernels.rolling_corr(c["x"], c["y"], p), ("x", "y"), "window"),
    "rolling_beta": (
        lambda c, p: kernels.rolling_beta(c["asset"], c["benchmark"], p),
        ("asset", "benchmark"),
        "window",
    ),
}


def columns(names: tuple[str, ...], **changes: Any) -> dict[str, Any]:
    return {name: changes.get(name, X) for name in names}


@pytest.mark.parametrize("name", list(CALLS))
def test_valid_input_gives_one_output_per_bar(name: str) -> None:
    call, names, _ = CALLS[name]
    result = call(columns(names), 5)
    for output in result if isinstance(result, tuple) else (result,):
        assert output.shape == (N,)
        assert output.dtype == np.float64


@pytest.mark.parametrize("name", [n for n in CALLS if len(CALLS[n][1]) > 1])
def test_a_series_of_a_different_length_is_named(name: str) -> None:
    call, names, _ = CALLS[name]
    culprit = names[-1]
    with pytest.raises(ValidationError, match=rf"^{culprit} has {N - 1} values, but"):
        call(columns(names, **{culprit: SHORT}), 5)


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize(
    ("bad", "complaint"), [(0, ">= 1"), (-2, ">= 1"), (N + 1, "longer than"), (2.0, "an int")]
)
def test_a_bad_length_is_named(name: str, bad: Any, complaint: str) -> None:
    call, names, length = CALLS[name]
    with pytest.raises(ValidationError, match=rf"^{length}\b.*{complaint}"):
        call(columns(names), bad)


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize(
    "bad", [np.array(["a"] * N), np.ones((N, 2)), np.array([True] * N), np.array([1j] * N)]
)
def test_a_series_of_the_wrong_kind_is_named(name: str, bad: np.ndarray) -> None:
    call, names, _ = CALLS[name]
    culprit = names[0]
    with pytest.raises(ValidationError, match=rf"^{culprit}\b"):
        call(columns(names, **{culprit: bad}), 5)


@pytest.mark.parametrize("name", list(CALLS))
def test_non_contiguous_and_integer_inputs_are_accepted_as_float64(name: str) -> None:
    call, names, _ = CALLS[name]
    strided = np.linspace(10.0, 20.0, 2 * N)[::2]
    integers = np.arange(10, 10 + N)
    assert not strided.flags.c_contiguous
    call(columns(names, **{names[0]: strided}), 5)
    call(columns(names, **{names[0]: integers}), 5)


def test_raw_kernels_refuse_non_contiguous_arrays_and_mismatched_lengths() -> None:
    strided = np.linspace(10.0, 20.0, 2 * N)[::2]
    with pytest.raises(ValueError, match=r"^values must be a C-contiguous"):
        _kernels.wma(strided, 5)
    with pytest.raises(ValueError, match=r"^low: has 29 values"):
        _kernels.atr(X, SHORT, X, 5)
    with pytest.raises(ValueError, match=r"longer than"):
        _kernels.macd(X, 2, N + 5, 1)
    with pytest.raises(ValueError, match=r"^close has shape"):
        _kernels.atr_panel(np.ones((2, 5)), np.ones((2, 5)), np.ones((3, 5)), 2)
    with pytest.raises(ValueError, match=r"C-contiguous"):
        _kernels.sma_panel(np.ones((4, 6)).T, 2)


def test_macd_and_adx_refuse_periods_talib_refuses() -> None:
    with pytest.raises(ValidationError, match=r"^fast_period must be >= 2"):
        kernels.macd(X, 1, 5, 2)
    with pytest.raises(ValidationError, match=r"^fast_period 9 must not exceed slow_period 5"):
        kernels.macd(X, 9, 5, 2)
    with pytest.raises(ValidationError, match=r"^period must be >= 2"):
        kernels.adx(X, X, X, 1)


def test_session_vwap_wants_integer_session_ids_of_the_same_length() -> None:
    with pytest.raises(ValidationError, match=r"^session must hold integers"):
        kernels.session_vwap(X, X, X)
    with pytest.raises(ValidationError, match=r"^session has 29 values"):
        kernels.session_vwap(X, X, np.arange(N - 1))


@pytest.mark.parametrize(
    "make",
    [lambda: kernels.SmaStream(0), lambda: kernels.EmaStream(-1), lambda: kernels.RsiStream(2.0)],
)
def test_streams_refuse_a_bad_period(make: Callable[[], object]) -> None:
    with pytest.raises(ValidationError, match=r"^period"):
        make()


def test_streams_refuse_a_value_that_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match=r"^value must be a real number"):
        kernels.SmaStream(3).update("1.0")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^ddof must be an int in \[0, window=2\)"):
        kernels.RollingStdStream(2, ddof=2)
