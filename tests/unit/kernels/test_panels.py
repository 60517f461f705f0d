"""Every indicator has a panel form (`name_panel`, symbols × time) whose rows equal the 1-D call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantcli import _kernels, kernels
from quantcli.domain.errors import ValidationError

Params = Callable[[int], st.SearchStrategy[dict[str, Any]]]


class Form(NamedTuple):
    """An indicator and how to call it; its panel form is `kernels.<name>_panel`."""

    name: str
    columns: tuple[str, ...]  # its series arguments, in order: panels in the panel form
    params: Params  # valid parameters for series of the given length
    example: dict[str, Any]  # valid parameters for series of N values
    length: str | None  # its main length argument, if it has one
    one_calendar: bool = False  # session ids: one 1-D row for every symbol

    @property
    def id(self) -> str:
        return f"{self.name}-one-calendar" if self.one_calendar else self.name

    def series(self) -> Any:
        return getattr(kernels, self.name)

    def panel(self) -> Any:
        return getattr(kernels, f"{self.name}_panel")


def lengths(*names: str, minimum: int = 1) -> Params:
    return lambda cols: st.fixed_dictionaries({n: st.integers(minimum, cols) for n in names})


def with_ddof(cols: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.integers(1, cols).flatmap(
        lambda w: st.fixed_dictionaries({"window": st.just(w), "ddof": st.integers(0, w - 1)})
    )


@st.composite
def macd_periods(draw: st.DrawFn, cols: int) -> dict[str, Any]:
    slow = draw(st.integers(2, cols))
    fast = draw(st.integers(2, slow))
    return {"fast_period": fast, "slow_period": slow, "signal_period": draw(st.integers(1, cols))}


def and_reals(lengths_of: Params, *names: str) -> Params:
    reals = {n: st.floats(-3.0, 3.0, allow_nan=False) for n in names}
    return lambda cols: st.tuples(lengths_of(cols), st.fixed_dictionaries(reals)).map(
        lambda parts: {**parts[0], **parts[1]}
    )


HLC = ("high", "low", "close")
HLCV = (*HLC, "volume")
PERIOD = {"period": 5}
WINDOW = {"window": 5}


def nothing(cols: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.just({})


FORMS = [
    Form("sma", ("values",), lengths("period"), PERIOD, "period"),
    Form("ema", ("values",), lengths("period"), PERIOD, "period"),
    Form("rsi", ("close",), lengths("period"), PERIOD, "period"),
    Form("rolling_std", ("values",), with_ddof, WINDOW, "window"),
    Form("pct_return", ("values",), lengths("horizon"), {"horizon": 5}, "horizon"),
    Form("wma", ("values",), lengths("period"), PERIOD, "period"),
    Form("dema", ("values",), lengths("period"), PERIOD, "period"),
    Form("tema", ("values",), lengths("period"), PERIOD, "period"),
    Form(
        "macd",
        ("values",),
        macd_periods,
        {"fast_period": 3, "slow_period": 5, "signal_period": 2},
        "slow_period",
    ),
    Form(
        "stoch",
        HLC,
        lengths("fastk_period", "slowk_period", "slowd_period"),
        {"fastk_period": 5},
        "fastk_period",
    ),
    Form("willr", HLC, lengths("period"), PERIOD, "period"),
    Form("roc", ("values",), lengths("period"), PERIOD, "period"),
    Form("mom", ("values",), lengths("period"), PERIOD, "period"),
    Form("cci", HLC, lengths("period"), PERIOD, "period"),
    Form("adx", HLC, lengths("period", minimum=2), PERIOD, "period"),
    Form(
        "bbands",
        ("values",),
        and_reals(lengths("period"), "nbdev_up", "nbdev_down"),
        PERIOD,
        "period",
    ),
    Form("atr", HLC, lengths("period"), PERIOD, "period"),
    Form("natr", HLC, lengths("period"), PERIOD, "period"),
    Form("obv", ("close", "volume"), nothing, {}, None),
    Form("ad", HLCV, nothing, {}, None),
    Form("mfi", HLCV, lengths("period"), PERIOD, "period"),
    Form(
        "keltner",
        HLC,
        and_reals(lengths("period", "atr_period"), "multiplier"),
        {"period": 5, "atr_period": 3},
        "period",
    ),
    Form("donchian", ("high", "low"), lengths("period"), PERIOD, "period"),
    Form("rolling_vwap", ("price", "volume"), lengths("window"), WINDOW, "window"),
    Form("session_vwap", ("price", "volume", "session"), nothing, {}, None),
    Form("session_vwap", ("price", "volume", "session"), nothing, {}, None, one_calendar=True),
    Form("rolling_mean", ("values",), lengths("window"), WINDOW, "window"),
    Form("rolling_zscore", ("values",), with_ddof, WINDOW, "window"),
    Form("rolling_min", ("values",), lengths("window"), WINDOW, "window"),
    Form("rolling_max", ("values",), lengths("window"), WINDOW, "window"),
    Form("rolling_corr", ("x", "y"), lengths("window", minimum=2), WINDOW, "window"),
    Form("rolling_beta", ("asset", "benchmark"), lengths("window", minimum=2), WINDOW, "window"),
]


def params_of(forms: list[Form]) -> list[Any]:
    return [pytest.param(form, id=form.id) for form in forms]


FORM_PARAMS = params_of(FORMS)
INDICATOR_MODULES = {
    "quantcli.kernels.indicators",
    "quantcli.kernels.indicators_ta",
    "quantcli.kernels.indicators_stats",
}


def test_every_indicator_has_a_panel_form_and_every_panel_form_is_tested_here() -> None:
    indicators = {
        name
        for name in kernels.__all__
        if getattr(getattr(kernels, name), "__module__", None) in INDICATOR_MODULES
        and callable(getattr(kernels, name))
        and not isinstance(getattr(kernels, name), type)
    }
    panels = {name.removesuffix("_panel") for name in kernels.__all__ if name.endswith("_panel")}
    assert len(indicators) >= 31
    assert panels == indicators
    assert {form.name for form in FORMS} == indicators


# --- each row equals the 1-D call ---------------------------------------------------------


def cents(shape: tuple[int, ...], flat: bool) -> st.SearchStrategy[np.ndarray]:
    """Whole-cent prices; `flat` fills most of the panel with one value (zero ranges, std 0)."""
    price = st.integers(1, 10**6).map(lambda c: c / 100.0)
    return hnp.arrays(np.float64, shape, elements=price, fill=price if flat else st.nothing())


def draw_columns(data: st.DataObject, form: Form, rows: int, cols: int) -> dict[str, np.ndarray]:
    """The form's inputs as (rows × cols) panels: bars around one price path, NaN gaps in each."""
    shape = (rows, cols)
    close = data.draw(cents(shape, data.draw(st.booleans())), label="close")
    spread = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(0, 500)), label="spread")
    columns: dict[str, np.ndarray] = {}
    for name in form.columns:
        if name == "session":
            steps = data.draw(hnp.arrays(np.bool_, (cols,) if form.one_calendar else shape))
            columns[name] = np.cumsum(steps, axis=-1, dtype=np.int64)
            continue
        if name == "volume":
            values = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(0, 10**4)))
        elif name in ("y", "benchmark"):
            values = data.draw(cents(shape, flat=False), label=name)
        else:
            values = {"high": close + spread / 100, "low": close - spread / 200}.get(name, close)
        gaps = data.draw(hnp.arrays(np.bool_, shape, fill=st.just(False)), label=f"{name} gaps")
        columns[name] = np.where(gaps, np.nan, values)
    return columns


def as_tuple(result: Any) -> tuple[np.ndarray, ...]:
    return tuple(result) if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("form", FORM_PARAMS)
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_each_row_of_a_panel_equals_the_one_dimensional_call(
    form: Form, data: st.DataObject
) -> None:
    """Random panels with NaN gaps (leading ones too) and periods up to the row length, so that
    many rows are shorter than the warm-up; zero rows too."""
    rows = data.draw(st.integers(0, 5), label="rows")
    cols = data.draw(st.integers(2, 40), label="cols")
    columns = draw_columns(data, form, rows, cols)
    params = data.draw(form.params(cols), label="params")
    got = form.panel()(**columns, **params)
    for output in as_tuple(got):
        assert output.shape == (rows, cols)
        assert output.dtype == np.float64
    for row in range(rows):
        one_row = {k: v[row] if v.ndim == 2 else v for k, v in columns.items()}
        expected = form.series()(**one_row, **params)
        assert type(got) is type(expected)
        for panel_output, row_output in zip(as_tuple(got), as_tuple(expected), strict=True):
            np.testing.assert_array_equal(panel_output[row], row_output)


@pytest.mark.parametrize("form", FORM_PARAMS)
def test_rows_of_a_large_panel_split_across_threads_equal_the_one_dimensional_call(
    form: Form,
) -> None:
    rng = np.random.default_rng(7)
    shape = (64, 300)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, shape), axis=1))
    columns = {
        "session": np.arange(shape[1]) // 50
        if form.one_calendar
        else np.cumsum(rng.random(shape) < 0.05, axis=1),
        "high": close * 1.01,
        "low": close * 0.99,
        "volume": rng.integers(0, 10**4, shape).astype(float),
        "y": close[::-1].copy(),
        "benchmark": close[::-1].copy(),
    }
    columns = {name: columns.get(name, close).copy() for name in form.columns}
    for values in columns.values():
        if values.dtype == np.float64:
            values[rng.integers(0, shape[0], 40), rng.integers(0, shape[1], 40)] = np.nan
    got = as_tuple(form.panel()(**columns, **form.example))
    for row in range(shape[0]):
        one_row = {k: v[row] if v.ndim == 2 else v for k, v in columns.items()}
        expected = as_tuple(form.series()(**one_row, **form.example))
        for panel_output, row_output in zip(got, expected, strict=True):
            np.testing.assert_array_equal(panel_output[row], row_output)


# --- bad input is named -------------------------------------------------------------------

R, N = 3, 30
PANEL = np.linspace(10.0, 20.0, R * N).reshape(R, N)


def columns_of(form: Form, **changes: Any) -> dict[str, Any]:
    """Valid (R × N) inputs for the form, with some replaced."""
    sessions = np.arange(N) // 7 if form.one_calendar else np.arange(R * N).reshape(R, N) // 7
    defaults = {name: sessions if name == "session" else PANEL for name in form.columns}
    return {**defaults, **changes}


def call(form: Form, **changes: Any) -> Any:
    return form.panel()(**columns_of(form, **changes), **form.example)


@pytest.mark.parametrize("form", FORM_PARAMS)
@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        pytest.param(PANEL[0], "must be 2-D", id="1-D"),
        pytest.param(PANEL[None], "must be 2-D", id="3-D"),
        pytest.param(PANEL.astype(str), "must hold real numbers", id="strings"),
        pytest.param(PANEL > 15, "must hold real numbers", id="bools"),
        pytest.param(PANEL * 1j, "must hold real numbers", id="complex"),
        pytest.param([[1.0, 2.0], [3.0]], "not an array", id="ragged"),
    ],
)
def test_a_panel_of_the_wrong_kind_is_named(form: Form, bad: Any, complaint: str) -> None:
    for name in form.columns:
        if name == "session":
            continue
        with pytest.raises(ValidationError, match=rf"^{name} (is )?{complaint}"):
            call(form, **{name: bad})


@pytest.mark.parametrize("form", params_of([f for f in FORMS if len(f.columns) > 1]))
@pytest.mark.parametrize("shape", [(R, N - 1), (R + 1, N)], ids=["fewer-bars", "more-symbols"])
def test_a_panel_of_another_shape_is_named(form: Form, shape: tuple[int, int]) -> None:
    for name in form.columns[1:]:
        if name == "session":
            continue
        with pytest.raises(ValidationError, match=rf"^{name} has shape \({shape[0]}, {shape[1]}\)"):
            call(form, **{name: np.ones(shape)})


@pytest.mark.parametrize("form", params_of([f for f in FORMS if f.length]))
@pytest.mark.parametrize(
    ("bad", "complaint"),
    [(0, ">= 1"), (-2, ">= 1"), (N + 1, "longer than the series"), (2.0, "an int"), (None, "int")],
)
def test_a_bad_length_is_named(form: Form, bad: Any, complaint: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{form.length}\b.*{complaint}"):
        form.panel()(**columns_of(form), **{**form.example, str(form.length): bad})


@pytest.mark.parametrize("form", FORM_PARAMS)
def test_strided_fortran_order_and_integer_panels_give_the_result_of_their_float64_copy(
    form: Form,
) -> None:
    first = form.columns[0]
    wide = np.linspace(10.0, 20.0, R * 2 * N).reshape(R, 2 * N)
    for variant in (wide[:, ::2], np.asfortranarray(PANEL), np.arange(R * N).reshape(R, N)):
        got = as_tuple(call(form, **{first: variant}))
        copy = np.ascontiguousarray(variant, dtype=np.float64)
        for output, expected in zip(got, as_tuple(call(form, **{first: copy})), strict=True):
            assert output.flags.c_contiguous
            np.testing.assert_array_equal(output, expected)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("macd", {"fast_period": 9, "slow_period": 5, "signal_period": 2}),
        ("macd", {"fast_period": 1, "slow_period": 5, "signal_period": 2}),
        ("adx", {"period": 1}),
        ("rolling_std", {"window": 3, "ddof": 3}),
        ("rolling_zscore", {"window": 3, "ddof": -1}),
        ("bbands", {"period": 3, "nbdev_up": "2"}),
        ("keltner", {"period": 3, "atr_period": 0}),
        ("keltner", {"period": 3, "multiplier": None}),
        ("stoch", {"slowd_period": 0}),
        ("rolling_corr", {"window": 1}),
        ("rolling_beta", {"window": 1}),
    ],
)
def test_a_panel_form_refuses_the_parameters_its_one_dimensional_form_refuses(
    name: str, params: dict[str, Any]
) -> None:
    form = next(f for f in FORMS if f.name == name)
    with pytest.raises(ValidationError) as one_dimensional:
        form.series()(**{c: PANEL[0] for c in form.columns}, **params)
    with pytest.raises(ValidationError) as panel:
        form.panel()(**columns_of(form), **params)
    assert str(panel.value) == str(one_dimensional.value)


@pytest.mark.parametrize(
    ("session", "complaint"),
    [
        (np.zeros((R, N)), r"^session must hold integers"),
        (np.zeros((R, N, 1), int), r"^session must be 1-D or 2-D"),
        (np.zeros(N - 1, int), rf"^session has {N - 1} values, but price has {N} columns"),
        (np.zeros((1, N), int), rf"^session has shape \(1, {N}\), but price has shape"),
        (np.zeros((R, N - 1), int), rf"^session has shape \({R}, {N - 1}\), but price"),
    ],
)
def test_session_ids_of_the_wrong_kind_or_shape_are_named(session: Any, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        kernels.session_vwap_panel(PANEL, PANEL, session)


def test_raw_panel_kernels_name_the_argument_at_fault() -> None:
    with pytest.raises(ValueError, match=r"^session has shape \[2, 5\], but price has shape"):
        _kernels.session_vwap_panel(PANEL, PANEL, np.zeros((2, 5), np.int64))
    with pytest.raises(ValueError, match=r"^benchmark has shape"):
        _kernels.rolling_beta_panel(PANEL, PANEL[:2], 3)
    with pytest.raises(ValueError, match=r"^close must be a C-contiguous"):
        _kernels.stoch_panel(PANEL, PANEL, np.asfortranarray(PANEL), 3, 2, 2)
    with pytest.raises(ValueError, match=r"slow_period 31 is longer than the series"):
        _kernels.macd_panel(PANEL, 2, N + 1, 2)
