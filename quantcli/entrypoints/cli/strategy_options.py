"""Command-line forms of strategies and parameter grids: `sma_cross`, `pkg.module:function`,
`fast=5:200:5`, `slow=20,50,100`, walk-forward lengths `504:126`."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import click
import pandas as pd

from quantcli.domain.errors import QuantCLIError, StrategyError

MODEL = "model"
SMA_CROSS = "sma_cross"
_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_RANGE = re.compile(r"^(\d+):(\d+)(?::(\d+))?$")
_LENGTHS = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def load_entry_point(spec: str) -> Callable[..., Any]:
    """The callable named by `package.module:function`, or a usage error saying what failed.

    Modules are found in the working folder first (as `python -m` does), then on sys.path, so a
    strategy beside the data needs no PYTHONPATH.
    """
    if not _ENTRY_POINT.match(spec):
        raise click.BadParameter(
            f"{spec!r} is not {MODEL}, {SMA_CROSS} or an entry point like pkg.module:function",
            param_hint="--strategy",
        )
    module_name, attribute = spec.split(":")
    _working_folder_importable()
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # a user's module may fail in any way at import
        raise click.BadParameter(
            f"cannot import {module_name}: {error}", param_hint="--strategy"
        ) from error
    target = getattr(module, attribute, None)
    if not callable(target):
        raise click.BadParameter(
            f"{module_name} has no callable {attribute}", param_hint="--strategy"
        )
    return target


def _working_folder_importable() -> None:
    """Put the working folder at the front of sys.path unless it is there already (as '' or
    its path): the console script, unlike `python -m`, does not."""
    here = os.getcwd()
    if not any(entry in ("", here) or _same_folder(entry, here) for entry in sys.path):
        sys.path.insert(0, here)
        importlib.invalidate_caches()


def _same_folder(entry: str, here: str) -> bool:
    try:
        return Path(entry).resolve() == Path(here).resolve()
    except OSError:
        return False


def check_call(spec: str, function: Callable[..., Any], parameters: tuple[str, ...] = ()) -> None:
    """A usage error when `function(bars, name=..., ...)` cannot be called, before any bar is
    read: a function of no arguments (`os:getcwd`), or a swept name it does not take."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: the call will tell
        return
    try:
        signature.bind(pd.DataFrame(), **dict.fromkeys(parameters))
    except TypeError as error:
        call = f"{spec.split(':')[1]}({', '.join(['bars', *(f'{n}=...' for n in parameters)])})"
        if parameters:
            problem = f"{spec} cannot be called as {call}: {error}"
        else:
            problem = f"{spec} is not a strategy: {call} fails: {error}"
        raise click.BadParameter(
            problem, param_hint="--sweep" if parameters else "--strategy"
        ) from None


@attrs.frozen
class EntryPointStrategy:
    """A user's strategy function called as the backtest calls any strategy,
    `function(bars, **parameters)`; anything it raises other than QuantCLI's own errors (a
    ValidationError rejects a sweep point) becomes one StrategyError naming the entry point,
    the parameters and where in the user's code it was raised."""

    spec: str
    function: Callable[..., Any]

    def __call__(self, bars: pd.DataFrame, **parameters: object) -> Any:
        try:
            return self.function(bars, **parameters)
        except QuantCLIError:
            raise
        except Exception as error:
            label = _label(self.spec, parameters)
            detail = f": {error}" if str(error) else ""
            raise StrategyError(
                f"strategy {label} raised {type(error).__name__}{detail}{_raised_at(error)}"
            ) from error


def _label(spec: str, parameters: Mapping[str, object]) -> str:
    if not parameters:
        return spec
    return f"{spec} ({', '.join(f'{name}={value!r}' for name, value in parameters.items())})"


def _raised_at(error: BaseException) -> str:
    """' (at mystrats/s.py:3)': the innermost frame outside Python's and the packages' own."""
    libraries = tuple(
        {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    )
    frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is EntryPointStrategy.__call__
    own = [frame for frame in frames if not frame.filename.startswith(libraries)]
    if not own:
        return ""
    frame = own[-1]
    try:
        shown = str(Path(frame.filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = frame.filename
    return f" (at {shown}:{frame.lineno})"


def parse_grid(values: tuple[str, ...], names: tuple[str, ...]) -> dict[str, list[int]]:
    """`name=start:stop[:step]` (stop included) or `name=a,b,c` for each of `names`, each once."""
    grid: dict[str, list[int]] = {}
    given: dict[str, str] = {}
    for value in values:
        name, _, spec = value.partition("=")
        if name not in names:
            raise click.BadParameter(
                f"{value!r}: expected one of {', '.join(f'{n}=...' for n in names)}",
                param_hint="--sweep",
            )
        _once(name, value, given)
        grid[name] = _windows(name, spec)
    missing = [name for name in names if name not in grid]
    if missing:
        raise click.BadParameter(f"no values for {', '.join(missing)}", param_hint="--sweep")
    return grid


def parse_parameter_grid(values: tuple[str, ...]) -> dict[str, list[object]]:
    """`name=start:stop[:step]` (integers, stop included) or `name=a,b,c`, where each value is an
    int, else a float, else the text itself; for any names, each given once."""
    grid: dict[str, list[object]] = {}
    given: dict[str, str] = {}
    for value in values:
        name, equals, spec = value.partition("=")
        if not equals or not name.isidentifier() or not spec:
            raise click.BadParameter(
                f"{value!r}: expected NAME=START:STOP[:STEP] or NAME=A,B,C", param_hint="--sweep"
            )
        _once(name, value, given)
        ranged = _RANGE.match(spec)
        if ranged:
            start, stop, step = int(ranged[1]), int(ranged[2]), int(ranged[3] or 1)
            if step < 1 or stop < start:
                raise click.BadParameter(
                    f"{name}={spec}: need start <= stop and step >= 1", param_hint="--sweep"
                )
            grid[name] = list(range(start, stop + 1, step))
        else:
            grid[name] = [_scalar(part.strip()) for part in spec.split(",")]
    return grid


def _once(name: str, value: str, given: dict[str, str]) -> None:
    """A parameter's grid is given once: a second one would silently replace the first."""
    if name in given:
        raise click.BadParameter(
            f"{name} is given twice ({given[name]!r} and {value!r}): give all its values in "
            f"one {name}=...",
            param_hint="--sweep",
        )
    given[name] = value


def _scalar(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _windows(name: str, spec: str) -> list[int]:
    ranged = _RANGE.match(spec)
    if ranged:
        start, stop, step = int(ranged[1]), int(ranged[2]), int(ranged[3] or 1)
        if step < 1 or stop < start:
            raise click.BadParameter(
                f"{name}={spec}: need start <= stop and step >= 1", param_hint="--sweep"
            )
        windows = list(range(start, stop + 1, step))
    else:
        try:
            windows = [int(part) for part in spec.split(",")]
        except ValueError:
            raise click.BadParameter(
                f"{name}={spec}: expected start:stop[:step] or a comma-separated list of integers",
                param_hint="--sweep",
            ) from None
    if any(window < 1 for window in windows):
        raise click.BadParameter(f"{name}={spec}: windows must be >= 1", param_hint="--sweep")
    return windows


def parse_walk_forward(value: str) -> tuple[int, int]:
    """`TRAIN:TEST` bar counts, both positive, or a usage error saying what is wrong."""
    lengths = _LENGTHS.match(value)
    if not lengths:
        raise click.BadParameter(
            f"{value!r}: expected TRAIN:TEST bar counts, e.g. 504:126",
            param_hint="--walk-forward",
        )
    train, test = int(lengths[1]), int(lengths[2])
    if train < 1 or test < 1:
        raise click.BadParameter(
            f"{value!r}: TRAIN and TEST must both be at least 1 bar", param_hint="--walk-forward"
        )
    return train, test
