"""The size options of commands that generate a synthetic market (`data generate`, `quickstart`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from quantcli.adapters.data.synthetic_market import MAX_SYMBOLS, MAX_YEARS

F = TypeVar("F", bound=Callable[..., object])


def synthetic_size_options(prefix: str = "") -> Callable[[F], F]:
    """`--symbols N` (1 to MAX_SYMBOLS) and `--years Y` (up to MAX_YEARS), checked by click;
    `prefix` leads each help ("Synthetic ")."""

    def decorate(command: F) -> F:
        command = click.option(
            "--years",
            type=click.FloatRange(0, MAX_YEARS, min_open=True),
            help=f"{prefix}years of daily bars (at most {MAX_YEARS:g}).".capitalize(),
        )(command)
        return click.option(
            "--symbols",
            "n_symbols",
            type=click.IntRange(1, MAX_SYMBOLS),
            help=f"{prefix}symbols (1 to {MAX_SYMBOLS}).".capitalize(),
        )(command)

    return decorate
