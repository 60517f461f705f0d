"""The options of commands that trade bars built from live quotes (`live`, `paper --feed ibkr`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def live_feed_options(prefix: str = "") -> Callable[[F], F]:
    """`--symbol SYM ...` (the universe) and `--bars N` (when to stop); `prefix` leads each help."""

    def lead(text: str) -> str:
        return f"{prefix}{text[0].lower()}{text[1:]}" if prefix else text

    def decorate(command: F) -> F:
        command = click.option(
            "--bars",
            type=click.IntRange(min=1),
            default=None,
            help=lead("Stop after this many bars (default: run until Ctrl-C or SIGTERM)."),
        )(command)
        return click.option(
            "--symbol",
            "symbols",
            multiple=True,
            help=lead(
                "Trade only this symbol (repeatable; default: every symbol in the bar store)."
            ),
        )(command)

    return decorate
