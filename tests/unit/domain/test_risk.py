"""Pre-trade risk rules: each rejects over its limit, naming itself, and passes at the limit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits, RiskViolation, check_order
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
PRICE = Decimal(100)
# Every limit far away, so each test switches on only the rule it is about.
LOOSE = RiskLimits(
    max_position_weight=100.0,
    max_gross_exposure=100.0,
    max_net_exposure=100.0,
    max_order_quantity=Decimal(10**9),
    max_order_notional=Decimal(10**12),
)


def order(quantity: int, side: OrderSide = OrderSide.BUY, symbol: str = "AAPL") -> Order:
    return Order("O-1", symbol, side, Decimal(quantity), T0)


def portfolio_holding(cash: int, **quantities: int) -> Portfolio:
    """A portfolio with `cash` after buying (or shorting) each symbol at PRICE."""
    portfolio = Portfolio(cash=Decimal(cash))
    for n, (symbol, quantity) in enumerate(quantities.items()):
        side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
        portfolio.apply_fill(
            Fill(f"F{n}", f"O{n}", symbol, side, Decimal(abs(quantity)), PRICE, Decimal(0), T0)
        )
    return portfolio


def rules(
    an_order: Order,
    limits: RiskLimits,
    portfolio: Portfolio | None = None,
    price: Decimal = PRICE,
) -> list[str]:
    held = portfolio if portfolio is not None else Portfolio(cash=Decimal(100_000))
    marks = {symbol: PRICE for symbol in held.positions}
    return [v.rule for v in check_order(an_order, price, held, marks, limits)]


def test_order_within_every_limit_passes() -> None:
    assert check_order(order(10), PRICE, Portfolio(Decimal(100_000)), {}, RiskLimits()) == []


def test_restricted_symbol_is_rejected_with_its_reason() -> None:
    limits = attrs.evolve(LOOSE, restricted_symbols=frozenset({"AAPL"}))
    violations = check_order(order(1), PRICE, Portfolio(Decimal(100_000)), {}, limits)
    assert violations == [RiskViolation("restricted_list", "AAPL is restricted")]
    assert rules(order(1, symbol="MSFT"), limits) == []


def test_max_order_quantity_rejects_above_and_passes_at_the_limit() -> None:
    limits = attrs.evolve(LOOSE, max_order_quantity=Decimal(500))
    assert rules(order(501), limits) == ["max_order_quantity"]
    assert rules(order(500), limits) == []
    assert rules(order(499), limits) == []


def test_max_order_notional_rejects_above_and_passes_at_the_limit() -> None:
    limits = attrs.evolve(LOOSE, max_order_notional=Decimal(10_000))
    assert rules(order(100), limits, price=Decimal("100.01")) == ["max_order_notional"]
    assert rules(order(100), limits, price=Decimal(100)) == []
    assert rules(order(100), limits, price=Decimal("99.99")) == []


def test_max_order_notional_reason_names_the_notional_and_limit() -> None:
    limits = attrs.evolve(LOOSE, max_order_notional=Decimal(10_000))
    (violation,) = check_order(order(101), PRICE, Portfolio(Decimal(100_000)), {}, limits)
    assert violation.reason == "notional 10100.00 > limit 10000"


def test_max_position_weight_counts_the_position_after_the_order() -> None:
    limits = attrs.evolve(LOOSE, max_position_weight=0.25)
    # Equity 100 000 (90 000 cash + 100 × 100); 25% is 250 shares at 100.
    held = portfolio_holding(100_000, AAPL=100)
    assert rules(order(151), limits, held) == ["max_position_weight"]
    assert rules(order(150), limits, held) == []
    assert rules(order(149), limits, held) == []


def test_max_position_weight_applies_to_shorts() -> None:
    limits = attrs.evolve(LOOSE, max_position_weight=0.25)
    assert rules(order(251, OrderSide.SELL), limits) == ["max_position_weight"]
    assert rules(order(250, OrderSide.SELL), limits) == []


def test_max_gross_exposure_adds_longs_and_shorts() -> None:
    limits = attrs.evolve(LOOSE, max_gross_exposure=1.0)
    # Equity 100 000 with 50 000 short in MSFT; room for 50 000 more either way.
    held = portfolio_holding(100_000, MSFT=-500)
    assert rules(order(501), limits, held) == ["max_gross_exposure"]
    assert rules(order(500), limits, held) == []
    assert rules(order(500, OrderSide.SELL), limits, held) == []


def test_max_net_exposure_rejects_above_and_passes_at_the_limit() -> None:
    limits = attrs.evolve(LOOSE, max_net_exposure=0.5)
    assert rules(order(501), limits) == ["max_net_exposure"]
    assert rules(order(500), limits) == []
    assert rules(order(501, OrderSide.SELL), limits) == ["max_net_exposure"]
    assert rules(order(500, OrderSide.SELL), limits) == []


def test_max_net_exposure_lets_a_short_offset_a_long() -> None:
    limits = attrs.evolve(LOOSE, max_net_exposure=0.5)
    held = portfolio_holding(100_000, MSFT=500)
    assert rules(order(1), limits, held) == ["max_net_exposure"]
    assert rules(order(1000, OrderSide.SELL), limits, held) == []


@pytest.mark.parametrize("cash", [0, -10])
def test_non_positive_equity_rejects_every_order(cash: int) -> None:
    violations = check_order(order(1), PRICE, Portfolio(Decimal(cash)), {}, LOOSE)
    assert [v.rule for v in violations] == ["equity"]
    assert "is not positive" in violations[0].reason


def test_every_broken_rule_is_reported() -> None:
    limits = RiskLimits(
        max_order_quantity=Decimal(10),
        max_order_notional=Decimal(1_000),
        restricted_symbols=frozenset({"AAPL"}),
    )
    # 2 000 shares at 100 on 100 000 of equity: 2× equity in one name.
    assert rules(order(2_000), limits) == [
        "restricted_list",
        "max_order_quantity",
        "max_order_notional",
        "max_position_weight",
        "max_gross_exposure",
        "max_net_exposure",
    ]
