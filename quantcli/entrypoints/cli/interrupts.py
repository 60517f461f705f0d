"""Ctrl-C: one line saying where a command stopped and what it left, then exit 130.

A command marks its long steps with `stage(what, state)`; a KeyboardInterrupt inside one
becomes `Interrupted("Interrupted during <what>; <state()>")`, the innermost stage's words.
The CLI group prints that line (or a generic one outside any stage) instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process Ctrl-C ended


class Interrupted(KeyboardInterrupt):
    """A KeyboardInterrupt that knows where it struck."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextmanager
def stage(what: str, state: Callable[[], str]) -> Iterator[None]:
    """Name a step for Ctrl-C: `state()` says, when it strikes, how far the step got and
    what is saved (it is called only then, so it can read counters the step updates)."""
    try:
        yield
    except Interrupted:
        raise  # an inner stage already said where
    except KeyboardInterrupt:
        try:
            where = state()
        except Exception as error:  # the words must not hide the interrupt
            where = f"its state is unknown ({error})"
        raise Interrupted(f"Interrupted during {what}; {where}") from None


def interrupted_message(interrupt: KeyboardInterrupt, command: str | None) -> str:
    """The line to print for `interrupt`, raised inside `quantcli <command>`."""
    if isinstance(interrupt, Interrupted):
        return interrupt.message
    name = f"`quantcli {command}`" if command else "quantcli"
    return f"Interrupted during {name}; it stopped before finishing"


class _DropInterruptedTrial(logging.Filter):
    """Optuna logs a trial Ctrl-C stopped as failed, traceback included, then re-raises the
    interrupt; the tuning stage's one line says it instead."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt):
            self.interrupted = True
            return False
        return not (self.interrupted and "failed with value" in record.getMessage())


@contextmanager
def quiet_interrupted_trial() -> Iterator[None]:
    """While tuning: no traceback from Optuna for the trial Ctrl-C stopped."""
    logger = logging.getLogger("optuna.study._optimize")
    dropper = _DropInterruptedTrial()
    logger.addFilter(dropper)
    try:
        yield
    finally:
        logger.removeFilter(dropper)
