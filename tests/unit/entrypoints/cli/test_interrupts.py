"""Ctrl-C inside a stage becomes one line saying where it struck; the innermost stage speaks."""

from __future__ import annotations

import logging

import pytest

from quantcli.entrypoints.cli.interrupts import (
    Interrupted,
    interrupted_message,
    quiet_interrupted_trial,
    stage,
)


def test_the_innermost_stage_says_where_and_what_is_saved() -> None:
    done = [7]
    with (
        pytest.raises(Interrupted) as raised,
        stage("a command", lambda: "outer state"),
        stage("paper trading", lambda: f"stopped after bar {done[0]} of 20"),
    ):
        raise KeyboardInterrupt

    assert interrupted_message(raised.value, "paper") == (
        "Interrupted during paper trading; stopped after bar 7 of 20"
    )


def test_a_state_that_fails_still_yields_the_line() -> None:
    def broken() -> str:
        raise RuntimeError("database closed")

    with pytest.raises(Interrupted) as raised, stage("tuning", broken):
        raise KeyboardInterrupt

    assert raised.value.message == (
        "Interrupted during tuning; its state is unknown (database closed)"
    )


def test_outside_any_stage_the_line_names_the_command() -> None:
    assert interrupted_message(KeyboardInterrupt(), "backtest") == (
        "Interrupted during `quantcli backtest`; it stopped before finishing"
    )


def test_optuna_logs_no_traceback_for_the_trial_ctrl_c_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("optuna.study._optimize")
    with caplog.at_level(logging.WARNING), quiet_interrupted_trial():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            logger.warning("Trial 0 failed with parameters: {}", exc_info=True)
        logger.warning("Trial 0 failed with value None.")
    logger.warning("Trial 1 failed with value None.")

    assert [record.getMessage() for record in caplog.records] == ["Trial 1 failed with value None."]
