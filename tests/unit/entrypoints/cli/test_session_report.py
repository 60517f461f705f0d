"""The session summary line counts every order sent, a kill switch's flatten orders included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantcli.application.trading.run_trading_session import SessionSummary
from quantcli.domain.positions import Portfolio
from quantcli.entrypoints.cli.session_setup import report_session


def summary(submitted: int, flatten: int) -> SessionSummary:
    return SessionSummary(
        account="paper",
        bars_processed=5,
        orders_submitted=submitted,
        orders_rejected=0,
        fills=submitted,
        open_orders=0,
        final_equity=Decimal(1000),
        portfolio=Portfolio(cash=Decimal(1000)),
        marks={},
        flatten_orders=flatten,
    )


def test_flatten_orders_are_named_in_the_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    report_session(summary(submitted=7, flatten=3))

    assert capsys.readouterr().out == (
        "Paper account paper: 5 bars, 7 orders submitted (3 to flatten), 0 rejected by risk, "
        "7 fills, 0 working; equity 1,000.00\n"
    )


def test_a_session_without_flatten_orders_keeps_the_plain_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_session(summary(submitted=7, flatten=0))

    assert "7 orders submitted, 0 rejected by risk" in capsys.readouterr().out
