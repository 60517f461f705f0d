"""Exposure rules: position, sector, gross, net and buying power, both sides of each limit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.exposure_rules import (
    BuyingPowerRule,
    GrossExposureRule,
    MaxPositionRule,
    NetExposureRule,
    SectorExposureRule,
)
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk_rules import RiskContext, RuleVerdict
from quantcli.domain.trading_types import OrderSide, OrderType

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def order(side: OrderSide, quantity: int, symbol: str = "AAPL", limit: str | None = None) -> Order:
    order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
    return Order(
        "O-1",
        symbol,
        side,
        Decimal(quantity),
        T0,
        order_type=order_type,
        limit_price=None if limit is None else Decimal(limit),
    )


def book(cash: int = 100_000, **held: int) -> Portfolio:
    """`cash` before buying (or shorting) each holding at 100: equity stays `cash` at marks 100."""
    portfolio = Portfolio(Decimal(cash))
    for n, (symbol, quantity) in enumerate(held.items()):
        side = BUY if quantity > 0 else SELL
        portfolio.apply_fill(
            Fill(
                f"F{n}", f"B{n}", symbol, side, Decimal(abs(quantity)), Decimal(100), Decimal(0), T0
            )
        )
    return portfolio


def context(portfolio: Portfolio, buying_power: str | None = None, **marks: int) -> RiskContext:
    prices = {symbol: Decimal(100) for symbol in ("AAPL", "MSFT", "XOM", "IBM")}
    prices.update({symbol: Decimal(price) for symbol, price in marks.items()})
    return RiskContext(
        portfolio,
        prices,
        T0,
        buying_power=None if buying_power is None else Decimal(buying_power),
    )


# --- max_position -----------------------------------------------------------------------------

MAX_POSITION = MaxPositionRule(Decimal("0.10"))


def test_max_position_rejects_a_position_over_its_weight_with_the_numbers() -> None:
    verdict = MAX_POSITION.evaluate(order(BUY, 500), context(book(), AAPL=24))

    assert verdict == RuleVerdict(
        "max_position",
        False,
        "order AAPL BUY 500 would make position 12.0% of equity > max_position_weight 10.0%",
    )


def test_max_position_passes_a_position_at_its_weight() -> None:
    verdict = MAX_POSITION.evaluate(order(BUY, 100), context(book()))

    assert verdict == RuleVerdict(
        "max_position",
        True,
        "order AAPL BUY 100 would make position 10.0% of equity <= max_position_weight 10.0%",
    )


def test_max_position_values_a_limit_order_at_its_limit_price() -> None:
    verdict = MAX_POSITION.evaluate(order(BUY, 100, limit="130"), context(book()))

    assert not verdict.passed
    assert "position 13.0% of equity" in verdict.reason


def test_max_position_never_blocks_an_order_that_shrinks_the_position() -> None:
    # 200 held at 100 is 20% of equity, over the limit; selling 50 reduces it.
    verdict = MAX_POSITION.evaluate(order(SELL, 50), context(book(AAPL=200)))

    assert verdict == RuleVerdict(
        "max_position", True, "order AAPL SELL 50 does not increase position"
    )


def test_max_position_judges_a_flip_by_the_new_short() -> None:
    verdict = MAX_POSITION.evaluate(order(SELL, 300), context(book(AAPL=100)))

    assert verdict.reason == (
        "order AAPL SELL 300 would make position 20.0% of equity > max_position_weight 10.0%"
    )


def test_max_position_rejects_when_equity_is_not_positive() -> None:
    verdict = MAX_POSITION.evaluate(order(BUY, 1), context(book(cash=-1000)))

    assert verdict == RuleVerdict(
        "max_position", False, "order AAPL BUY 1: equity -1000.00 is not positive"
    )


def test_max_position_shows_more_digits_when_one_would_hide_the_excess() -> None:
    verdict = MAX_POSITION.evaluate(order(BUY, 1001), context(book(cash=1_000_000)))

    assert verdict.reason.endswith("position 10.01% of equity > max_position_weight 10.00%")


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="max_position_weight: 0 is not positive"):
        MaxPositionRule(Decimal(0))
    with pytest.raises(ValidationError, match="buying_power_multiplier: -1 is not positive"):
        BuyingPowerRule(Decimal(-1))


# --- sector_exposure --------------------------------------------------------------------------

SECTORS = {"AAPL": "tech", "MSFT": "tech", "XOM": "energy"}
SECTOR = SectorExposureRule(Decimal("0.30"), SECTORS)


def test_sector_exposure_rejects_a_sector_over_its_limit() -> None:
    # MSFT 20 000 + AAPL 11 000 of tech; XOM (energy) does not count.
    verdict = SECTOR.evaluate(order(BUY, 110), context(book(MSFT=200, XOM=500)))

    assert verdict == RuleVerdict(
        "sector_exposure",
        False,
        "order AAPL BUY 110 would make sector tech gross exposure 31.0% of equity "
        "> max_sector_exposure 30.0%",
    )


def test_sector_exposure_passes_at_its_limit() -> None:
    verdict = SECTOR.evaluate(order(BUY, 100), context(book(MSFT=200, XOM=500)))

    assert verdict.passed
    assert verdict.reason.endswith(
        "tech gross exposure 30.0% of equity <= max_sector_exposure 30.0%"
    )


def test_sector_exposure_counts_shorts_in_the_sector_gross() -> None:
    verdict = SECTOR.evaluate(order(BUY, 110), context(book(MSFT=-200)))

    assert not verdict.passed
    assert "tech gross exposure 31.0%" in verdict.reason


def test_sector_exposure_passes_a_symbol_with_no_sector() -> None:
    verdict = SECTOR.evaluate(order(BUY, 10_000, "IBM"), context(book()))

    assert verdict == RuleVerdict("sector_exposure", True, "IBM has no sector in the sector map")


# --- gross_exposure and net_exposure ----------------------------------------------------------

GROSS = GrossExposureRule(Decimal("1.5"))
NET = NetExposureRule(Decimal("1.0"))


def test_gross_exposure_rejects_over_its_limit() -> None:
    verdict = GROSS.evaluate(order(BUY, 600), context(book(MSFT=1000)))

    assert verdict == RuleVerdict(
        "gross_exposure",
        False,
        "order AAPL BUY 600 would make gross exposure 160.0% of equity > max_gross_exposure 150.0%",
    )


def test_gross_exposure_passes_at_its_limit_counting_shorts() -> None:
    verdict = GROSS.evaluate(order(BUY, 500), context(book(MSFT=-1000)))

    assert verdict == RuleVerdict(
        "gross_exposure",
        True,
        "order AAPL BUY 500 would make gross exposure 150.0% of equity "
        "<= max_gross_exposure 150.0%",
    )


def test_net_exposure_rejects_a_long_book_over_its_limit() -> None:
    verdict = NET.evaluate(order(BUY, 100), context(book(MSFT=1000)))

    assert verdict == RuleVerdict(
        "net_exposure",
        False,
        "order AAPL BUY 100 would make net exposure 110.0% of equity > max_net_exposure 100.0%",
    )


def test_net_exposure_rejects_a_short_book_over_its_limit() -> None:
    verdict = NET.evaluate(order(SELL, 100), context(book(MSFT=-1000)))

    assert verdict.reason == (
        "order AAPL SELL 100 would make net short exposure 110.0% of equity "
        "> max_net_exposure 100.0%"
    )


def test_net_exposure_passes_at_its_limit_and_passes_a_hedge() -> None:
    assert NET.evaluate(order(BUY, 1000), context(book())).passed
    hedge = NET.evaluate(order(SELL, 500), context(book(MSFT=2000)))
    assert hedge == RuleVerdict(
        "net_exposure", True, "order AAPL SELL 500 does not increase net exposure"
    )


# --- buying_power -----------------------------------------------------------------------------


def test_cash_account_buying_power_is_equity_less_gross() -> None:
    rule = BuyingPowerRule(Decimal(1))

    at_limit = rule.evaluate(order(BUY, 1000), context(book()))
    over = rule.evaluate(order(BUY, 1001), context(book()))

    assert at_limit == RuleVerdict(
        "buying_power",
        True,
        "order AAPL BUY 1000 needs buying power 100000.00 <= available 100000.00 "
        "(equity 100000.00 × buying_power_multiplier 1 − gross exposure 0.00)",
    )
    assert not over.passed
    assert over.reason.startswith(
        "order AAPL BUY 1001 needs buying power 100100.00 > available 100000.00"
    )


def test_short_proceeds_add_no_buying_power() -> None:
    # Shorting 500 MSFT at 100 raised cash to 150 000, but equity is still 100 000.
    verdict = BuyingPowerRule(Decimal(1)).evaluate(order(BUY, 600), context(book(MSFT=-500)))

    assert verdict == RuleVerdict(
        "buying_power",
        False,
        "order AAPL BUY 600 needs buying power 60000.00 > available 50000.00 "
        "(equity 100000.00 × buying_power_multiplier 1 − gross exposure 50000.00)",
    )


def test_margin_multiplier_raises_buying_power() -> None:
    verdict = BuyingPowerRule(Decimal(2)).evaluate(order(BUY, 600), context(book(MSFT=-500)))

    assert verdict.passed
    assert "available 150000.00" in verdict.reason


def test_a_new_short_uses_buying_power_like_a_long() -> None:
    verdict = BuyingPowerRule(Decimal(1)).evaluate(order(SELL, 600), context(book(MSFT=-500)))

    assert not verdict.passed
    assert "needs buying power 60000.00 > available 50000.00" in verdict.reason


def test_covering_a_short_needs_no_buying_power() -> None:
    # Fully used: 100 000 of shorts against 100 000 of equity at multiplier 1.
    verdict = BuyingPowerRule(Decimal(1)).evaluate(
        order(BUY, 500, "MSFT"), context(book(MSFT=-1000, AAPL=-1))
    )

    assert verdict == RuleVerdict(
        "buying_power", True, "order MSFT BUY 500 does not add gross exposure"
    )


def test_buying_power_reported_by_the_broker_wins() -> None:
    verdict = BuyingPowerRule(Decimal(4)).evaluate(
        order(BUY, 100), context(book(), buying_power="5000")
    )

    assert verdict == RuleVerdict(
        "buying_power",
        False,
        "order AAPL BUY 100 needs buying power 10000.00 > available 5000.00 "
        "(reported by the broker)",
    )
