"""Stress scenarios: the most specific shock applies to each position; P&L checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.positions import Portfolio
from quantcli.domain.stress_scenarios import (
    StressScenario,
    position_values,
    stress_pnl,
)
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
SECTORS = {"AAPL": "tech", "JPM": "financials", "XOM": "energy"}
VALUES = {
    "AAPL": Decimal(50_000),
    "JPM": Decimal(30_000),
    "XOM": Decimal(-20_000),  # short
    "SPY": Decimal(10_000),  # no sector
}
CRASH = StressScenario(
    "2008",
    {
        "*": Decimal("-0.30"),
        "sector:tech": Decimal("-0.45"),
        "sector:financials": Decimal("-0.50"),
        "XOM": Decimal("-0.20"),
    },
)


def test_scenario_pnl_by_hand() -> None:
    (result,) = stress_pnl([CRASH], VALUES, SECTORS)

    # AAPL 50 000 × -0.45, JPM 30 000 × -0.50, XOM short -20 000 × -0.20 (its own shock, not
    # energy's or *'s), SPY 10 000 × -0.30.
    assert result.pnl_by_symbol == {
        "AAPL": Decimal(-22_500),
        "JPM": Decimal(-15_000),
        "XOM": Decimal(4_000),
        "SPY": Decimal(-3_000),
    }
    assert result.pnl == Decimal(-36_500)
    assert result.scenario == "2008"


def test_symbols_no_shock_matches_are_not_moved() -> None:
    rates_up = StressScenario("rates_up", {"sector:financials": Decimal("0.03")})

    (result,) = stress_pnl([rates_up], VALUES, SECTORS)

    assert result.pnl == Decimal(900)
    assert result.pnl_by_symbol["AAPL"] == 0


def test_without_a_sector_map_only_symbol_and_star_shocks_apply() -> None:
    (result,) = stress_pnl([CRASH], VALUES)

    assert result.pnl == Decimal(-15_000 - 9_000 + 4_000 - 3_000)


def test_one_result_per_scenario_in_order() -> None:
    flat = StressScenario("flat", {})

    results = stress_pnl([CRASH, flat], VALUES, SECTORS)

    assert [(r.scenario, r.pnl) for r in results] == [("2008", Decimal(-36_500)), ("flat", 0)]


def test_position_values_are_signed_market_values() -> None:
    portfolio = Portfolio(Decimal(100_000))
    for symbol, side in (("AAPL", OrderSide.BUY), ("XOM", OrderSide.SELL)):
        portfolio.apply_fill(Fill("F" + symbol, "O", symbol, side, Decimal(10), Decimal(50), 0, T0))

    values = position_values(portfolio, {"AAPL": Decimal(60), "XOM": Decimal(40)})

    assert values == {"AAPL": Decimal(600), "XOM": Decimal(-400)}
    with pytest.raises(ValidationError, match="no last price for XOM"):
        position_values(portfolio, {"AAPL": Decimal(60)})


@pytest.mark.parametrize(
    ("shocks", "problem"),
    [
        ({"*": Decimal("-1.5")}, "stress scenario 'bad': \\*: shock -1.5 is not a finite move"),
        ({"sector:": Decimal("-0.1")}, "needs a symbol, sector:<name> or \\*"),
        ({"": Decimal("-0.1")}, "needs a symbol, sector:<name> or \\*"),
    ],
)
def test_bad_shocks_are_rejected_naming_scenario_and_key(
    shocks: dict[str, Decimal], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        StressScenario("bad", shocks)
