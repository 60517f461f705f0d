"""Order state machine, price validation and fill bookkeeping."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantcli.domain.errors import DataError, ExecutionError, IllegalOrderTransition
from quantcli.domain.fills import Fill
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order, check_order_quantity
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)

ALLOWED = {
    (OrderStatus.NEW, OrderStatus.SUBMITTED),
    (OrderStatus.NEW, OrderStatus.CANCELLED),
    (OrderStatus.NEW, OrderStatus.REJECTED),
    (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED),
    (OrderStatus.SUBMITTED, OrderStatus.FILLED),
    (OrderStatus.SUBMITTED, OrderStatus.CANCELLED),
    (OrderStatus.SUBMITTED, OrderStatus.REJECTED),
    (OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED),
    (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
    (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED),
}
ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
DISALLOWED = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


def make_order(**overrides: object) -> Order:
    fields: dict[str, object] = {
        "client_order_id": "O-1",
        "symbol": "AAPL",
        "side": OrderSide.BUY,
        "quantity": Decimal(100),
        "created_at": T0,
    }
    fields.update(overrides)
    return Order(**fields)  # type: ignore[arg-type]


def make_fill(
    quantity: str | int | Decimal,
    price: str | int,
    *,
    fill_id: str = "O-1-F1",
    client_order_id: str = "O-1",
    symbol: str = "AAPL",
    side: OrderSide = OrderSide.BUY,
) -> Fill:
    return Fill(
        fill_id=fill_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(0),
        timestamp=T0 + timedelta(minutes=1),
    )


def move(order: Order, target: OrderStatus) -> None:
    """Drive the order towards `target` through the public method that asks for it."""
    if target is OrderStatus.SUBMITTED:
        order.submit()
    elif target is OrderStatus.CANCELLED:
        order.cancel()
    elif target is OrderStatus.REJECTED:
        order.reject("risk limit")
    elif target is OrderStatus.PARTIALLY_FILLED:
        order.apply_fill(make_fill(10, 50))
    elif target is OrderStatus.FILLED:
        order.apply_fill(make_fill(order.remaining_quantity, 50))
    else:
        # No public method sends an order back to NEW; the state machine itself must refuse it.
        order._move_to(OrderStatus.NEW, None)


# Orders are built straight into each status with nothing filled, so the state machine is
# exercised on its own; realistic fill paths are tested further down.
@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED, key=str))
def test_allowed_transition_moves_the_order_to_the_target_status(
    source: OrderStatus, target: OrderStatus
) -> None:
    order = make_order(status=source)
    move(order, target)
    assert order.status is target


@pytest.mark.parametrize(("source", "target"), DISALLOWED)
def test_disallowed_transition_raises_and_leaves_the_status_unchanged(
    source: OrderStatus, target: OrderStatus
) -> None:
    order = make_order(status=source)
    with pytest.raises(IllegalOrderTransition, match=f"from {source.value} to {target.value}"):
        move(order, target)
    assert order.status is source


def test_transition_matrix_covers_every_status_pair() -> None:
    assert len(ALLOWED) + len(DISALLOWED) == len(OrderStatus) ** 2 == 36


def test_exactly_the_open_statuses_have_outgoing_transitions() -> None:
    sources = {source for source, _target in ALLOWED}
    assert sources == {status for status in OrderStatus if status.is_open}


def test_submit_records_broker_order_id_and_update_time() -> None:
    order = make_order()
    order.submit(at=T0 + timedelta(seconds=1), broker_order_id="SIM-7")
    assert order.status is OrderStatus.SUBMITTED
    assert order.broker_order_id == "SIM-7"
    assert order.updated_at == T0 + timedelta(seconds=1)


def test_transition_with_naive_timestamp_is_rejected() -> None:
    order = make_order()
    with pytest.raises(DataError, match="not timezone-aware UTC"):
        order.submit(at=datetime(2024, 1, 2, 14, 31))


def test_reject_records_the_reason() -> None:
    order = make_order()
    order.reject("max_order_quantity")
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == "max_order_quantity"


def test_market_order_defaults_to_day_and_no_prices() -> None:
    order = make_order()
    assert order.order_type is OrderType.MARKET
    assert order.time_in_force is TimeInForce.DAY
    assert order.limit_price is None
    assert order.stop_price is None
    assert order.status is OrderStatus.NEW


@pytest.mark.parametrize(
    ("order_type", "limit_price", "stop_price"),
    [
        (OrderType.MARKET, None, None),
        (OrderType.LIMIT, Decimal("10.5"), None),
        (OrderType.STOP, None, Decimal("11")),
        (OrderType.STOP_LIMIT, Decimal("11.2"), Decimal("11")),
    ],
)
def test_each_order_type_accepts_exactly_its_prices(
    order_type: OrderType, limit_price: Decimal | None, stop_price: Decimal | None
) -> None:
    order = make_order(order_type=order_type, limit_price=limit_price, stop_price=stop_price)
    assert (order.limit_price, order.stop_price) == (limit_price, stop_price)


@pytest.mark.parametrize(
    ("order_type", "limit_price", "stop_price", "message"),
    [
        (OrderType.MARKET, Decimal(10), None, "MARKET takes no limit_price"),
        (OrderType.MARKET, None, Decimal(10), "MARKET takes no stop_price"),
        (OrderType.LIMIT, None, None, "LIMIT needs a limit_price"),
        (OrderType.LIMIT, Decimal(10), Decimal(10), "LIMIT takes no stop_price"),
        (OrderType.STOP, None, None, "STOP needs a stop_price"),
        (OrderType.STOP, Decimal(10), Decimal(10), "STOP takes no limit_price"),
        (OrderType.STOP_LIMIT, None, Decimal(10), "STOP_LIMIT needs a limit_price"),
        (OrderType.STOP_LIMIT, Decimal(10), None, "STOP_LIMIT needs a stop_price"),
        (OrderType.LIMIT, Decimal(0), None, "limit_price 0 is not positive"),
        (OrderType.STOP, None, Decimal(-1), "stop_price -1 is not positive"),
    ],
)
def test_wrong_prices_for_the_order_type_are_rejected(
    order_type: OrderType,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    message: str,
) -> None:
    with pytest.raises(ExecutionError, match=f"order O-1: {message}"):
        make_order(order_type=order_type, limit_price=limit_price, stop_price=stop_price)


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-5)])
def test_non_positive_quantity_is_rejected(quantity: Decimal) -> None:
    with pytest.raises(ExecutionError, match=f"quantity {quantity} is not positive"):
        make_order(quantity=quantity)


def test_empty_client_order_id_is_rejected() -> None:
    with pytest.raises(ExecutionError, match="client_order_id is empty"):
        make_order(client_order_id="")


def test_naive_created_at_is_rejected() -> None:
    with pytest.raises(DataError, match="order O-1 created_at"):
        make_order(created_at=datetime(2024, 1, 2))


def test_signed_quantity_is_negative_for_a_sell() -> None:
    assert make_order(side=OrderSide.SELL, quantity=Decimal(30)).signed_quantity == -30
    assert make_order(side=OrderSide.BUY, quantity=Decimal(30)).signed_quantity == 30


def test_partial_fills_track_remaining_quantity_and_exact_average_price() -> None:
    order = make_order()
    order.submit()
    order.apply_fill(make_fill(30, 100))
    after_first = (order.status, order.filled_quantity, order.remaining_quantity)
    assert after_first == (OrderStatus.PARTIALLY_FILLED, Decimal(30), Decimal(70))
    assert order.average_fill_price == Decimal(100)
    order.apply_fill(make_fill(70, 101, fill_id="O-1-F2"))
    after_second = (order.status, order.filled_quantity, order.remaining_quantity)
    assert after_second == (OrderStatus.FILLED, Decimal(100), Decimal(0))
    # (30 × 100 + 70 × 101) / 100 = 10 070 / 100
    assert order.average_fill_price == Decimal("100.7")
    assert order.updated_at == T0 + timedelta(minutes=1)


def test_average_fill_price_does_not_accumulate_rounding_over_many_fills() -> None:
    order = make_order(quantity=Decimal(6))
    order.submit()
    for n, (quantity, price) in enumerate([(1, 10), (2, 11), (3, 12)], start=1):
        order.apply_fill(make_fill(quantity, price, fill_id=f"O-1-F{n}"))
    # 10 + 22 = 32 over 3 does not terminate; the final average must still be 68 / 6 exactly.
    assert order.average_fill_price == Decimal(68) / Decimal(6)


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(100, 100_000)), min_size=1, max_size=12))
def test_average_fill_price_is_total_notional_over_filled_quantity(
    fills: list[tuple[int, int]],
) -> None:
    total = sum(quantity for quantity, _ in fills)
    order = make_order(quantity=Decimal(total))
    order.submit()
    notional = Decimal(0)
    for n, (quantity, cents) in enumerate(fills, start=1):
        price = Decimal(cents) / 100
        notional += quantity * price
        order.apply_fill(make_fill(quantity, str(price), fill_id=f"O-1-F{n}"))
    assert order.status is OrderStatus.FILLED
    assert order.average_fill_price == notional / total


def test_overfill_raises_and_leaves_the_order_unchanged() -> None:
    order = make_order()
    order.submit()
    order.apply_fill(make_fill(60, 100))
    with pytest.raises(ExecutionError, match="quantity 41 exceeds the remaining 40 of order O-1"):
        order.apply_fill(make_fill(41, 100, fill_id="O-1-F2"))
    assert order.filled_quantity == 60
    assert order.status is OrderStatus.PARTIALLY_FILLED


def test_fill_of_another_order_raises() -> None:
    order = make_order()
    order.submit()
    with pytest.raises(ExecutionError, match="belongs to order O-2, not O-1"):
        order.apply_fill(make_fill(10, 100, client_order_id="O-2"))
    assert order.filled_quantity == 0


@pytest.mark.parametrize(("symbol", "side"), [("MSFT", OrderSide.BUY), ("AAPL", OrderSide.SELL)])
def test_fill_with_other_symbol_or_side_raises(symbol: str, side: OrderSide) -> None:
    order = make_order()
    order.submit()
    with pytest.raises(ExecutionError, match="does not match order O-1"):
        order.apply_fill(make_fill(10, 100, symbol=symbol, side=side))


def test_fill_before_submission_is_an_illegal_transition() -> None:
    order = make_order()
    with pytest.raises(IllegalOrderTransition, match="from NEW to FILLED"):
        order.apply_fill(make_fill(100, 100))


def test_fill_after_cancel_is_an_illegal_transition() -> None:
    order = make_order()
    order.submit()
    order.cancel()
    with pytest.raises(IllegalOrderTransition, match="from CANCELLED to PARTIALLY_FILLED"):
        order.apply_fill(make_fill(10, 100))


def test_order_rebuilt_from_its_average_price_keeps_filling_correctly() -> None:
    order = make_order(
        status=OrderStatus.PARTIALLY_FILLED,
        filled_quantity=Decimal(40),
        average_fill_price=Decimal("10.5"),
    )
    order.apply_fill(make_fill(60, 11, fill_id="O-1-F2"))
    # (40 × 10.5 + 60 × 11) / 100 = (420 + 660) / 100
    assert order.average_fill_price == Decimal("10.8")


@pytest.mark.parametrize("quantity", ["1", "10", "250000", "10.000"])
def test_an_equity_takes_whole_share_quantities(quantity: str) -> None:
    assert check_order_quantity("o-1", Decimal(quantity), Instrument("AAA")) == Decimal(quantity)


@pytest.mark.parametrize("quantity", ["10.5", "0.001", "99.99"])
def test_an_equity_refuses_a_fraction_of_a_share_naming_order_and_quantity(quantity: str) -> None:
    with pytest.raises(ExecutionError) as raised:
        check_order_quantity("o-1", Decimal(quantity), Instrument("AAA"))

    assert str(raised.value) == (
        f"order o-1: quantity {quantity} is not a whole number of shares; "
        "AAA trades whole shares only"
    )


def test_an_instrument_that_allows_fractions_takes_them() -> None:
    coin = Instrument("BTC-USD", asset_class="crypto", fractional=True)

    assert check_order_quantity("o-1", Decimal("0.125"), coin) == Decimal("0.125")
