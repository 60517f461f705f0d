"""Command-line forms of strategies and parameter grids: `sma_cross`, `pkg.module:function`,
`fast=5:200:5`, `slow=20,50,100`, walk-forward lengths `504:126`."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import click

MODEL = "model"
SMA_CROSS = "sma_cross"
_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_RANGE = re.compile(r"^(\d+):(\d+)(?::(\d+))?$")
_LENGTHS = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def load_entry_point(spec: str) -> Callable[..., Any]:
    """The callable named by `package.module:function`, or a usage error saying what failed."""
    if not _ENTRY_POINT.match(spec):
        raise click.BadParameter(
            f"{spec!r} is not {MODEL}, {SMA_CROSS} or an entry point like pkg.module:function",
            param_hint="--strategy",
        )
    module_name, attribute = spec.split(":")
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


def parse_grid(values: tuple[str, ...], names: tuple[str, ...]) -> dict[str, list[int]]:
    """`name=start:stop[:step]` (stop included) or `name=a,b,c` for each of `names`."""
    grid: dict[str, list[int]] = {}
    for value in values:
        name, _, spec = value.partition("=")
        if name not in names:
            raise click.BadParameter(
                f"{value!r}: expected one of {', '.join(f'{n}=...' for n in names)}",
                param_hint="--sweep",
            )
        grid[name] = _windows(name, spec)
    missing = [name for name in names if name not in grid]
    if missing:
        raise click.BadParameter(f"no values for {', '.join(missing)}", param_hint="--sweep")
    return grid


def parse_parameter_grid(values: tuple[str, ...]) -> dict[str, list[object]]:
    """`name=start:stop[:step]` (integers, stop included) or `name=a,b,c`, where each value is an
    int, else a float, else the text itself; for any names, each given once."""
    grid: dict[str, list[object]] = {}
    for value in values:
        name, equals, spec = value.partition("=")
        if not equals or not name.isidentifier() or not spec:
            raise click.BadParameter(
                f"{value!r}: expected NAME=START:STOP[:STEP] or NAME=A,B,C", param_hint="--sweep"
            )
        if name in grid:
            raise click.BadParameter(f"{name} is given twice", param_hint="--sweep")
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
