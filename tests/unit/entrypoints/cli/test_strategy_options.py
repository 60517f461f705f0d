"""Command-line strategy forms: `--sweep name=...` grids and `pkg.module:function` strategies."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from quantcli.domain.errors import StrategyError, ValidationError
from quantcli.entrypoints.cli.strategy_options import (
    EntryPointStrategy,
    check_call,
    load_entry_point,
    parse_grid,
    parse_parameter_grid,
)

NAMES = ("fast", "slow")
USER_MODULES = ("userstrats", "userstrats.rules", "flat_strategy", "needs_missing_dependency")


# --- parse_grid --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "grid"),
    [
        (("fast=5:20:5", "slow=20:22"), {"fast": [5, 10, 15, 20], "slow": [20, 21, 22]}),
        (("fast=5:19:5", "slow=7:7"), {"fast": [5, 10, 15], "slow": [7]}),
        (("slow=20,50,100", "fast=10,5"), {"fast": [10, 5], "slow": [20, 50, 100]}),
        (("fast=3", "slow=30:40:100"), {"fast": [3], "slow": [30]}),
    ],
    ids=["ranges_include_stop", "step_past_stop", "comma_lists_in_given_order", "single_values"],
)
def test_grids_parse_inclusive_ranges_and_comma_lists(
    values: tuple[str, ...], grid: dict[str, list[int]]
) -> None:
    assert parse_grid(values, NAMES) == grid


@pytest.mark.parametrize("parse", [lambda v: parse_grid(v, NAMES), parse_parameter_grid])
def test_a_name_given_twice_is_a_bad_parameter_quoting_both(
    parse: Callable[[tuple[str, ...]], object],
) -> None:
    # It used to keep the last grid silently: fast=5 was never swept.
    with pytest.raises(click.BadParameter) as raised:
        parse(("fast=5", "slow=20", "fast=7,9"))

    assert raised.value.message == (
        "fast is given twice ('fast=5' and 'fast=7,9'): give all its values in one fast=..."
    )
    assert raised.value.param_hint == "--sweep"


@pytest.mark.parametrize("value", ["medium=5:10", "Fast=5", "fast:5", "=5"])
def test_an_unknown_name_is_a_bad_parameter_quoting_it_and_listing_the_names(value: str) -> None:
    with pytest.raises(click.BadParameter) as raised:
        parse_grid((value, "slow=20"), NAMES)

    assert raised.value.message == f"{value!r}: expected one of fast=..., slow=..."
    assert raised.value.param_hint == "--sweep"


@pytest.mark.parametrize(
    ("values", "missing"),
    [(("fast=5",), "slow"), (("slow=5",), "fast"), ((), "fast, slow")],
)
def test_missing_names_are_a_bad_parameter_naming_them(
    values: tuple[str, ...], missing: str
) -> None:
    with pytest.raises(click.BadParameter, match=f"^no values for {missing}$"):
        parse_grid(values, NAMES)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast=5:3", "fast=5:3: need start <= stop and step >= 1"),
        ("fast=5:10:0", "fast=5:10:0: need start <= stop and step >= 1"),
        ("fast=a:b", "fast=a:b: expected start:stop[:step] or a comma-separated list"),
        ("fast=5:", "fast=5:: expected start:stop[:step] or a comma-separated list"),
        ("fast=1:2:3:4", "fast=1:2:3:4: expected start:stop[:step]"),
        ("fast=", "fast=: expected start:stop[:step] or a comma-separated list"),
        ("fast=5,,10", "fast=5,,10: expected start:stop[:step]"),
        ("fast=2.5", "fast=2.5: expected start:stop[:step]"),
        ("fast=5,0", "fast=5,0: windows must be >= 1"),
        ("fast=-5", "fast=-5: windows must be >= 1"),
    ],
)
def test_a_bad_spec_is_a_bad_parameter_quoting_it(value: str, message: str) -> None:
    with pytest.raises(click.BadParameter) as raised:
        parse_grid((value, "slow=20"), NAMES)

    assert raised.value.message.startswith(message)


# --- load_entry_point --------------------------------------------------------------------------


@pytest.fixture
def strategies_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Modules on sys.path for one test, then forgotten: `userstrats.rules` and two top-level."""
    package = tmp_path / "userstrats"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "rules.py").write_text(
        textwrap.dedent(
            """
            WEIGHT = 0.5

            def constant_weights(bars):
                return ("called with", bars)

            class Strategy:
                def __call__(self, bars):
                    return bars
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "flat_strategy.py").write_text(
        "def weights(bars):\n    return 'flat'\n", encoding="utf-8"
    )
    (tmp_path / "needs_missing_dependency.py").write_text(
        "import quantcli_no_such_dependency\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in USER_MODULES:
        sys.modules.pop(name, None)


@pytest.mark.usefixtures("strategies_dir")
def test_an_entry_point_loads_the_function_from_a_package_module() -> None:
    function = load_entry_point("userstrats.rules:constant_weights")

    assert function("bars") == ("called with", "bars")


@pytest.mark.usefixtures("strategies_dir")
def test_an_entry_point_loads_from_a_top_level_module_and_accepts_a_class() -> None:
    assert load_entry_point("flat_strategy:weights")(None) == "flat"
    assert load_entry_point("userstrats.rules:Strategy").__name__ == "Strategy"


@pytest.mark.parametrize(
    "spec",
    ["sma", "userstrats.rules", "userstrats.rules:", ":weights", "a:b:c", "1mod:f", "mod:f-g"],
)
def test_a_spec_not_shaped_like_module_colon_function_is_a_bad_parameter(spec: str) -> None:
    with pytest.raises(click.BadParameter) as raised:
        load_entry_point(spec)

    assert raised.value.message == (
        f"{spec!r} is not model, sma_cross or an entry point like pkg.module:function"
    )
    assert raised.value.param_hint == "--strategy"


@pytest.mark.usefixtures("strategies_dir")
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("quantcli_no_such_module:f", "cannot import quantcli_no_such_module: No module named"),
        ("userstrats.nothing:f", "cannot import userstrats.nothing: No module named"),
        (
            "needs_missing_dependency:f",
            "cannot import needs_missing_dependency: No module named 'quantcli_no_such_dependency'",
        ),
    ],
)
def test_a_module_that_cannot_be_imported_is_a_bad_parameter_saying_why(
    spec: str, message: str
) -> None:
    with pytest.raises(click.BadParameter) as raised:
        load_entry_point(spec)

    assert raised.value.message.startswith(message)
    assert raised.value.param_hint == "--strategy"


@pytest.mark.usefixtures("strategies_dir")
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("userstrats.rules:missing", "userstrats.rules has no callable missing"),
        ("userstrats.rules:WEIGHT", "userstrats.rules has no callable WEIGHT"),
    ],
)
def test_a_missing_or_non_callable_attribute_is_a_bad_parameter_naming_it(
    spec: str, message: str
) -> None:
    with pytest.raises(click.BadParameter) as raised:
        load_entry_point(spec)

    assert raised.value.message == message
    assert raised.value.param_hint == "--strategy"


def test_an_entry_point_in_the_working_folder_loads_without_it_on_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The `quantcli` console script, unlike `python -m`, does not put the working folder on
    # sys.path: a strategy beside the data failed with "No module named".
    (tmp_path / "beside_data.py").write_text("def weights(bars):\n    return 'beside'\n")
    monkeypatch.chdir(tmp_path)
    here = {"", str(tmp_path), str(tmp_path.resolve())}
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in here])
    try:
        assert load_entry_point("beside_data:weights")(None) == "beside"
    finally:
        sys.modules.pop("beside_data", None)


# --- check_call and EntryPointStrategy --------------------------------------------------------


def _weights(bars: object, fast: int = 5) -> object:
    return bars


def test_a_callable_taking_no_bars_is_not_a_strategy() -> None:
    import os

    with pytest.raises(click.BadParameter) as raised:
        check_call("os:getcwd", os.getcwd)

    assert raised.value.message.startswith("os:getcwd is not a strategy: getcwd(bars) fails:")
    assert raised.value.param_hint == "--strategy"


def test_a_swept_name_the_function_does_not_take_is_a_bad_sweep() -> None:
    check_call("m:_weights", _weights, ("fast",))

    with pytest.raises(click.BadParameter) as raised:
        check_call("m:_weights", _weights, ("fsat",))

    assert raised.value.message == (
        "m:_weights cannot be called as _weights(bars, fsat=...): "
        "got an unexpected keyword argument 'fsat'"
    )
    assert raised.value.param_hint == "--sweep"


def _boom(bars: object, **parameters: object) -> object:
    raise ValueError("no weights today")


def test_a_strategy_that_raises_becomes_one_error_naming_it_and_the_line() -> None:
    with pytest.raises(StrategyError) as raised:
        EntryPointStrategy("mystrats.s:boom", _boom)(None)

    line = _boom.__code__.co_firstlineno + 1
    message = str(raised.value)
    assert message.startswith("strategy mystrats.s:boom raised ValueError: no weights today (at ")
    assert message.endswith(f"tests/unit/entrypoints/cli/test_strategy_options.py:{line})")
    assert isinstance(raised.value.__cause__, ValueError)


def test_a_sweep_point_that_raises_names_its_parameters() -> None:
    with pytest.raises(StrategyError, match=r"^strategy m:boom \(fast=5, kind='x'\) raised Val"):
        EntryPointStrategy("m:boom", _boom)(None, fast=5, kind="x")


def test_quantclis_own_errors_pass_through_so_a_sweep_can_skip_a_point() -> None:
    def reject(bars: object, **parameters: object) -> object:
        raise ValidationError("fast must be below slow")

    with pytest.raises(ValidationError, match=r"^fast must be below slow$"):
        EntryPointStrategy("m:reject", reject)(None, fast=9)
