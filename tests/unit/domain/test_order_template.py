"""The order template: market or marketable limit off the last close, tick rounding, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantcli.domain.errors import ValidationError
from quantcli.domain.order_template import (
    MARKET_DAY,
    OrderTemplate,
    round_to_tick,
    tick_size,
)
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

BUY, SELL = OrderSide.BUY, OrderSide.SELL
T0 = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)


def limit(offset_bps: str | int = 0, tif: TimeInForce = TimeInForce.DAY) -> OrderTemplate:
    return OrderTemplate(OrderType.LIMIT, tif, Decimal(offset_bps))


def build(template: OrderTemplate, side: OrderSide = BUY, last: str = "100") -> Order:
    return template.build(
        client_order_id="acct-AAA-20240102T210000",
        symbol="AAA",
        side=side,
        quantity=Decimal(10),
        last_price=Decimal(last),
        created_at=T0,
        account="acct",
    )


def test_the_default_template_is_a_market_day_order_with_no_price() -> None:
    order = build(MARKET_DAY)

    assert OrderTemplate() == MARKET_DAY
    assert order.order_type is OrderType.MARKET
    assert order.time_in_force is TimeInForce.DAY
    assert order.limit_price is None
    assert order.stop_price is None


def test_build_carries_the_id_symbol_side_quantity_time_and_account_as_a_new_order() -> None:
    order = build(limit(25), SELL)

    assert order.client_order_id == "acct-AAA-20240102T210000"
    assert (order.symbol, order.side, order.quantity) == ("AAA", SELL, Decimal(10))
    assert (order.created_at, order.account) == (T0, "acct")
    assert order.status is OrderStatus.NEW


@pytest.mark.parametrize("tif", list(TimeInForce))
@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.LIMIT])
def test_every_type_and_time_in_force_reaches_the_order(
    order_type: OrderType, tif: TimeInForce
) -> None:
    order = build(OrderTemplate(order_type, tif))

    assert (order.order_type, order.time_in_force) == (order_type, tif)
    assert (order.limit_price is None) == (order_type is OrderType.MARKET)


@pytest.mark.parametrize(
    ("side", "offset", "expected"),
    [
        (BUY, 25, "100.25"),  # a buy is capped above the close ...
        (SELL, 25, "99.75"),  # ... a sell below it
        (BUY, 0, "100.00"),
        (SELL, 0, "100.00"),
        (BUY, 100, "101.00"),
        (SELL, 9_999, "0.01"),
    ],
)
def test_limit_price_is_the_last_close_moved_by_the_offset_in_the_trader_s_disfavour(
    side: OrderSide, offset: int, expected: str
) -> None:
    assert limit(offset).limit_price(side, Decimal(100)) == Decimal(expected)
    assert build(limit(offset), side).limit_price == Decimal(expected)


@pytest.mark.parametrize(
    ("side", "last", "offset", "expected"),
    [
        # 84.18152245 × 1.001 = 84.2657... and × 0.999 = 84.0973...: never beyond the cap.
        (BUY, "84.18152245", 10, "84.26"),
        (SELL, "84.18152245", 10, "84.10"),
        # Under $1 the tick is $0.0001: 0.5 × 1.001 = 0.5005 stays, 0.43219 × 0.999 rounds up.
        (BUY, "0.5", 10, "0.5005"),
        (SELL, "0.43219", 10, "0.4318"),
        (BUY, "12.345", 0, "12.34"),
        (SELL, "12.345", 0, "12.35"),
    ],
)
def test_limit_price_is_rounded_to_the_tick_toward_the_trader(
    side: OrderSide, last: str, offset: int, expected: str
) -> None:
    assert limit(offset).limit_price(side, Decimal(last)) == Decimal(expected)


def test_tick_is_a_cent_from_one_dollar_and_a_hundredth_of_a_cent_below() -> None:
    assert tick_size(Decimal("1.00")) == Decimal("0.01")
    assert tick_size(Decimal("512.3")) == Decimal("0.01")
    assert tick_size(Decimal("0.9999")) == Decimal("0.0001")


@given(
    last=st.decimals(min_value="0.01", max_value="5000", places=6),
    offset=st.integers(min_value=0, max_value=1_000),
    side=st.sampled_from(list(OrderSide)),
)
def test_rounding_never_crosses_the_cap_and_stays_within_one_tick(
    last: Decimal, offset: int, side: OrderSide
) -> None:
    price = limit(offset).limit_price(side, last)
    assert price is not None
    cap = last * (1 + side.sign * Decimal(offset) / 10_000)
    tick = tick_size(cap)
    assert price % tick == 0
    assert 0 <= (cap - price) * side.sign < tick


def test_round_to_tick_keeps_prices_already_on_the_grid() -> None:
    assert round_to_tick(Decimal("101.00"), BUY) == Decimal("101.00")
    assert round_to_tick(Decimal("101.00"), SELL) == Decimal("101.00")


@pytest.mark.parametrize("offset", [-1, -5, 10_000, 20_000])
def test_an_offset_outside_zero_to_one_hundred_percent_is_refused(offset: int) -> None:
    with pytest.raises(ValidationError, match=rf"limit_offset_bps {offset} is not in \[0, 10000\)"):
        limit(offset)


@pytest.mark.parametrize("value", ["nan", "abc"])
def test_an_offset_that_is_not_a_number_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="limit_offset_bps"):
        OrderTemplate(OrderType.LIMIT, limit_offset_bps=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("order_type", [OrderType.STOP, OrderType.STOP_LIMIT])
def test_only_market_and_limit_templates_exist(order_type: OrderType) -> None:
    with pytest.raises(ValidationError, match=f"type {order_type.value} is not MARKET or LIMIT"):
        OrderTemplate(order_type)


def test_a_limit_needs_a_positive_last_price() -> None:
    with pytest.raises(ValidationError, match="last price 0 is not positive"):
        limit(5).limit_price(BUY, Decimal(0))


def test_a_buy_limit_that_rounds_to_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"BUY limit at 0\.00005 rounds to 0"):
        limit(0).limit_price(BUY, Decimal("0.00005"))
