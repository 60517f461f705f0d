"""Positions and the portfolio: exact average cost, P&L, cash and exposures."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantcli.domain.errors import ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.positions import Portfolio, Position
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
_fill_numbers = itertools.count(1)


def fill(
    side: OrderSide,
    quantity: int | str,
    price: int | str,
    *,
    symbol: str = "AAPL",
    commission: str = "0",
) -> Fill:
    n = next(_fill_numbers)
    return Fill(
        fill_id=f"F{n}",
        client_order_id=f"O{n}",
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(commission),
        timestamp=T0,
    )


def buy(quantity: int | str, price: int | str, **kwargs: str) -> Fill:
    return fill(OrderSide.BUY, quantity, price, **kwargs)


def sell(quantity: int | str, price: int | str, **kwargs: str) -> Fill:
    return fill(OrderSide.SELL, quantity, price, **kwargs)


def position_after(*fills: Fill) -> Position:
    position = Position("AAPL")
    for f in fills:
        position.apply_fill(f)
    return position


def test_new_position_is_flat() -> None:
    position = Position("AAPL")
    assert position.is_flat
    assert position.quantity == position.average_cost == position.realized_pnl == 0


def test_buy_opens_a_long_at_the_fill_price() -> None:
    position = position_after(buy(100, 10))
    assert position.quantity == 100
    assert position.average_cost == 10
    assert position.unrealized_pnl(Decimal(12)) == 200
    assert position.market_value(Decimal(12)) == 1200


def test_adding_to_a_long_blends_the_average_cost() -> None:
    position = position_after(buy(100, 10), buy(50, 13))
    # (100 × 10 + 50 × 13) / 150 = 1 650 / 150
    assert position.quantity == 150
    assert position.average_cost == 11
    assert position.realized_pnl == 0


def test_reducing_a_long_realizes_pnl_at_the_average_cost() -> None:
    position = position_after(buy(100, 10), buy(50, 13), sell(60, 15))
    # (15 - 11) × 60
    assert position.realized_pnl == 240
    assert position.quantity == 90
    assert position.average_cost == 11
    assert position.unrealized_pnl(Decimal(12)) == 90


def test_closing_a_long_realizes_the_rest_and_resets_the_cost() -> None:
    position = position_after(buy(100, 10), buy(50, 13), sell(60, 15), sell(90, 9))
    # 240 + (9 - 11) × 90
    assert position.realized_pnl == 60
    assert position.is_flat
    assert position.average_cost == 0
    assert position.unrealized_pnl(Decimal(100)) == 0


def test_sell_opens_a_short_with_negative_quantity() -> None:
    position = position_after(sell(100, 20))
    assert position.quantity == -100
    assert position.average_cost == 20
    # (18 - 20) × -100: a short gains when the price falls.
    assert position.unrealized_pnl(Decimal(18)) == 200
    assert position.market_value(Decimal(18)) == -1800


def test_adding_to_a_short_blends_the_average_cost() -> None:
    position = position_after(sell(100, 20), sell(300, 24))
    # (100 × 20 + 300 × 24) / 400 = 9 200 / 400
    assert position.quantity == -400
    assert position.average_cost == 23


def test_covering_part_of_a_short_realizes_pnl() -> None:
    position = position_after(sell(100, 20), buy(40, 15))
    # (20 - 15) × 40
    assert position.realized_pnl == 200
    assert position.quantity == -60
    assert position.average_cost == 20


def test_covering_a_short_at_a_loss_realizes_a_negative_pnl() -> None:
    position = position_after(sell(100, 20), buy(100, 23))
    assert position.realized_pnl == -300
    assert position.is_flat


def test_flip_from_long_to_short_closes_at_cost_and_opens_at_the_fill_price() -> None:
    position = position_after(buy(100, 10), sell(150, 12))
    # 100 closed at (12 - 10); 50 opened short at 12.
    assert position.realized_pnl == 200
    assert position.quantity == -50
    assert position.average_cost == 12
    assert position.unrealized_pnl(Decimal(11)) == 50


def test_flip_from_short_to_long_closes_at_cost_and_opens_at_the_fill_price() -> None:
    position = position_after(sell(100, 20), buy(130, 22))
    # 100 closed at (20 - 22); 30 opened long at 22.
    assert position.realized_pnl == -200
    assert position.quantity == 30
    assert position.average_cost == 22
    assert position.unrealized_pnl(Decimal(25)) == 90


def test_non_terminating_average_cost_keeps_pnl_exact() -> None:
    position = position_after(buy(1, 1), buy(2, 2))
    assert position.average_cost == Decimal(5) / Decimal(3)
    # Bought for 5, worth 6: exactly 1, not 0.999… from the rounded average.
    assert position.unrealized_pnl(Decimal(2)) == 1
    position.apply_fill(sell(3, 2))
    assert position.realized_pnl == 1


def test_partial_close_of_a_non_terminating_basis_keeps_total_pnl_exact() -> None:
    position = position_after(buy(1, 1), buy(2, 2), sell(1, 2))
    # One third of the basis of 5, rounded to 1e-12, is released against proceeds of 2.
    assert position.realized_pnl == Decimal("0.333333333333")
    assert position.unrealized_pnl(Decimal(2)) == Decimal("0.666666666667")
    assert position.realized_pnl + position.unrealized_pnl(Decimal(2)) == 1


def test_position_rebuilt_from_quantity_and_average_cost_values_the_same() -> None:
    position = Position("AAPL", quantity=Decimal(-40), average_cost=Decimal("12.5"))
    assert position.unrealized_pnl(Decimal(10)) == 100
    position.apply_fill(buy(40, 10))
    assert position.realized_pnl == 100


def test_fill_for_another_symbol_is_rejected() -> None:
    with pytest.raises(ExecutionError, match=r"fill F\d+ for MSFT applied to AAPL"):
        Position("AAPL").apply_fill(buy(1, 1, symbol="MSFT"))


def test_portfolio_fill_moves_cash_position_and_commission() -> None:
    portfolio = Portfolio(cash=Decimal(10_000))
    portfolio.apply_fill(buy(10, "150.25", commission="1.00"))
    assert portfolio.cash == Decimal("8496.50")
    assert portfolio.quantity("AAPL") == 10
    assert portfolio.total_commission == Decimal("1.00")
    portfolio.apply_fill(sell(10, "151.00", commission="1.00"))
    assert portfolio.cash == Decimal("10005.50")
    assert portfolio.realized_pnl == Decimal("7.50")
    assert portfolio.total_commission == Decimal("2.00")


def test_portfolio_reports_an_unheld_symbol_as_flat() -> None:
    portfolio = Portfolio(cash=Decimal(1))
    assert portfolio.quantity("MSFT") == 0
    assert portfolio.position("MSFT").is_flat
    assert "MSFT" not in portfolio.positions


def test_equity_and_exposures_with_a_long_and_a_short() -> None:
    portfolio = Portfolio(cash=Decimal(100_000))
    portfolio.apply_fills([buy(100, 50), sell(200, 30, symbol="MSFT")])
    marks = {"AAPL": Decimal(55), "MSFT": Decimal(25)}
    # cash 100 000 - 5 000 + 6 000 = 101 000; long worth 5 500; short worth -5 000
    assert portfolio.cash == 101_000
    assert portfolio.equity(marks) == 101_500
    assert portfolio.gross_exposure(marks) == 10_500
    assert portfolio.net_exposure(marks) == 500
    # (55 - 50) × 100 + (25 - 30) × -200
    assert portfolio.unrealized_pnl(marks) == 1_500


def test_flat_positions_need_no_mark() -> None:
    portfolio = Portfolio(cash=Decimal(1_000))
    portfolio.apply_fills([buy(10, 10), sell(10, 11)])
    assert portfolio.equity({}) == 1_010
    assert portfolio.gross_exposure({}) == 0
    assert portfolio.unrealized_pnl({}) == 0


def test_missing_mark_for_a_held_symbol_is_an_error() -> None:
    portfolio = Portfolio(cash=Decimal(1_000))
    portfolio.apply_fill(buy(10, 10))
    with pytest.raises(ExecutionError, match="no mark price for AAPL"):
        portfolio.equity({})


SYMBOLS = ("AAPL", "MSFT", "SPY")
fills_strategy = st.lists(
    st.builds(
        fill,
        side=st.sampled_from(OrderSide),
        quantity=st.integers(1, 1_000),
        price=st.integers(1, 100_000).map(lambda cents: str(Decimal(cents) / 100)),
        symbol=st.sampled_from(SYMBOLS),
        commission=st.integers(0, 1_000).map(lambda cents: str(Decimal(cents) / 100)),
    ),
    max_size=40,
)
marks_strategy = st.fixed_dictionaries(
    {s: st.integers(1, 100_000).map(lambda cents: Decimal(cents) / 100) for s in SYMBOLS}
)


@given(fills=fills_strategy, marks=marks_strategy)
def test_cash_plus_market_value_less_initial_cash_equals_pnl_less_commission_exactly(
    fills: list[Fill], marks: dict[str, Decimal]
) -> None:
    initial = Decimal("1000000.00")
    portfolio = Portfolio(cash=initial)
    portfolio.apply_fills(fills)
    market_value = sum((portfolio.quantity(s) * marks[s] for s in SYMBOLS), Decimal(0))
    pnl = portfolio.realized_pnl + portfolio.unrealized_pnl(marks) - portfolio.total_commission
    assert portfolio.cash + market_value - initial == pnl
    assert portfolio.equity(marks) - initial == pnl
    assert portfolio.total_commission == sum((f.commission for f in fills), Decimal(0))
    held: defaultdict[str, Decimal] = defaultdict(Decimal)
    for f in fills:
        held[f.symbol] += f.signed_quantity
    assert {s: portfolio.quantity(s) for s in SYMBOLS} == {s: held[s] for s in SYMBOLS}
