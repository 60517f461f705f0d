"""Regression tests for strategy and sweep input handling: each states what must hold."""

from __future__ import annotations

from decimal import Decimal

import click
import numpy as np
import pandas as pd
import pytest

from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.application.strategy.rule_strategies import SmaCrossStrategy
from quantcli.application.strategy.strategy_weights import check_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError
from quantcli.entrypoints.cli.strategy_options import parse_grid

DAYS = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")


def one_symbol_bars() -> pd.DataFrame:
    prices = [10.0, 11.0, 12.0, 13.0]
    return pd.DataFrame(
        {
            "symbol": "AAA",
            "timestamp": DAYS,
            "open": prices,
            "high": [p + 1 for p in prices],
            "low": [p - 1 for p in prices],
            "close": prices,
            "volume": 1_000.0,
        }
    )


def checked_backtest(weights: pd.DataFrame) -> object:
    """What run_strategy_backtest does with a strategy's output."""
    return backtest_weights(
        one_symbol_bars(),
        check_weights(weights, {"AAA"}),
        commission=CommissionSchedule(per_share=Decimal(0), minimum=Decimal(0)),
        slippage=SlippageModel(),
        initial_cash=Decimal(1_000),
    )


def test_a_sweep_range_starting_at_zero_is_a_bad_parameter_like_a_zero_in_a_list() -> None:
    with pytest.raises(click.BadParameter, match="fast=0,5: windows must be >= 1"):
        parse_grid(("fast=0,5", "slow=20"), ("fast", "slow"))
    # Today this returns {"fast": [0, 1, ..., 5], ...}; the kernel only rejects it later.
    with pytest.raises(click.BadParameter, match="windows must be >= 1"):
        parse_grid(("fast=0:5", "slow=20"), ("fast", "slow"))


def test_a_bad_sweep_range_names_the_sweep_option() -> None:
    with pytest.raises(click.BadParameter) as raised:
        parse_grid(("fast=9:3", "slow=20"), ("fast", "slow"))

    assert raised.value.param_hint == "--sweep"


def test_weights_naming_a_symbol_twice_are_a_data_error_not_double_exposure() -> None:
    weights = pd.DataFrame(0.6, index=DAYS, columns=["AAA", "AAA"])

    # Today both columns buy 54 shares at 11: 108 shares, 1 188 of stock on 1 000 of equity.
    with pytest.raises(DataError, match="AAA"):
        checked_backtest(weights)


def test_weights_with_a_timestamp_twice_are_a_data_error() -> None:
    weights = pd.DataFrame({"AAA": [0.5, 0.2]}, index=[DAYS[0], DAYS[0]])

    # Today: ValueError "cannot reindex on an axis with duplicate labels".
    with pytest.raises(DataError, match="2024-01-01"):
        checked_backtest(weights)


def test_non_numeric_weights_are_a_data_error() -> None:
    weights = pd.DataFrame({"AAA": ["long", "flat", "short", "flat"]}, index=DAYS)

    # Today: ValueError "could not convert string to float: 'long'".
    with pytest.raises(DataError, match="AAA"):
        check_weights(weights, {"AAA"})


def test_timezone_naive_weights_are_a_data_error_saying_so() -> None:
    weights = pd.DataFrame({"AAA": np.full(4, 0.5)}, index=DAYS.tz_localize(None))

    # Today check_weights passes them and backtest_weights then says
    # "target weights at 2024-01-01T00:00:00 have no stored bar".
    with pytest.raises(DataError, match=r"(?i)timezone|UTC"):
        check_weights(weights, {"AAA"})


def test_equal_averages_of_a_flat_market_hold_no_position() -> None:
    days = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    bars = pd.DataFrame(
        {
            "symbol": "FLAT",
            "timestamp": days,
            "open": 10.1,
            "high": 10.1,
            "low": 10.1,
            "close": 10.1,
            "volume": 1.0,
        }
    )

    weights = SmaCrossStrategy(fast=3, slow=7)(bars)

    assert (weights["FLAT"].dropna() == 0.0).all()
