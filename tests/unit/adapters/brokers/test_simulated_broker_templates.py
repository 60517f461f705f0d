"""Orders an OrderTemplate builds, matched by the simulated broker: marketable limits fill at
the open or their price without slippage, rest or expire by time in force; IOC keeps no rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantcli.adapters.brokers import SimulatedBroker
from quantcli.adapters.brokers.simulated import _BarPrices, _WorkingOrder
from quantcli.application.trading.ports import OrderCancelled
from quantcli.domain.bar import Bar
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.fills import Fill
from quantcli.domain.order_template import OrderTemplate
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

BUY, SELL = OrderSide.BUY, OrderSide.SELL
T0 = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
NO_COMMISSION = CommissionSchedule(per_share=Decimal(0), minimum=Decimal(0))
SLIPPAGE = SlippageModel(bps=Decimal(10))


def bar_time(n: int) -> datetime:
    return T0 + timedelta(days=n)


def bar(n: int, open_: float, high: float, low: float) -> dict[str, Bar]:
    return {"AAA": Bar("AAA", bar_time(n), open_, high, low, open_, 1_000_000.0)}


def templated(side: OrderSide, tif: TimeInForce, offset_bps: int = 50) -> Order:
    """An order decided on a close of 50: buy limit 50.25, sell limit 49.75."""
    template = OrderTemplate(OrderType.LIMIT, tif, Decimal(offset_bps))
    return template.build(
        client_order_id="O-1",
        symbol="AAA",
        side=side,
        quantity=Decimal(200),
        last_price=Decimal(50),
        created_at=T0,
        account="acct",
    )


def run(
    order: Order, *slices: dict[str, Bar], broker: SimulatedBroker | None = None
) -> tuple[SimulatedBroker, list[object]]:
    broker = broker or SimulatedBroker(NO_COMMISSION, SLIPPAGE)
    broker.submit_order(order)
    events: list[object] = []
    for slice_ in slices:
        broker.on_market_data(slice_)
        events += broker.drain_events()
    return broker, events


@pytest.mark.parametrize(
    ("side", "open_", "price"),
    [
        (BUY, 50.1, "50.1"),  # opens inside the cap: the open, no slippage
        (BUY, 50.6, "50.25"),  # opens above, trades back down through it: the limit
        (SELL, 49.9, "49.9"),
        (SELL, 49.4, "49.75"),
    ],
)
def test_a_marketable_limit_fills_at_the_open_or_its_cap_without_slippage(
    side: OrderSide, open_: float, price: str
) -> None:
    _, events = run(templated(side, TimeInForce.DAY), bar(1, open_, 51.0, 49.0))

    (fill,) = events
    assert isinstance(fill, Fill)
    assert (fill.quantity, fill.price) == (Decimal(200), Decimal(price))


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.IOC])
def test_a_limit_the_market_ran_away_from_expires_after_one_bar(tif: TimeInForce) -> None:
    broker, events = run(templated(BUY, tif), bar(1, 52.0, 53.0, 51.0))

    assert events == [OrderCancelled("O-1", f"{tif.value} order expired unfilled", bar_time(1))]
    assert broker.open_orders() == []


def test_a_gtc_limit_the_market_ran_away_from_keeps_working_until_it_comes_back() -> None:
    broker, events = run(
        templated(BUY, TimeInForce.GTC), bar(1, 52.0, 53.0, 51.0), bar(2, 51.0, 51.5, 50.0)
    )

    (fill,) = events
    assert isinstance(fill, Fill)
    assert (fill.price, fill.timestamp) == (Decimal("50.25"), bar_time(2))
    assert broker.open_orders() == []


class HalfBarBroker(SimulatedBroker):
    """Fills at most half of what remains per bar, as a participation cap would."""

    def _fillable_quantity(self, working: _WorkingOrder, bar: _BarPrices) -> Decimal:
        return max(Decimal(1), super()._fillable_quantity(working, bar) / 2)


def test_an_ioc_limit_partly_filled_cancels_the_rest_at_once() -> None:
    broker = HalfBarBroker(NO_COMMISSION, SLIPPAGE)
    broker, events = run(templated(BUY, TimeInForce.IOC), bar(1, 50.0, 51.0, 49.0), broker=broker)

    fill, cancelled = events
    assert isinstance(fill, Fill)
    assert fill.quantity == Decimal(100)
    assert cancelled == OrderCancelled(
        "O-1", "IOC order expired with 100 of 200 unfilled", bar_time(1)
    )
    state = broker.lookup_order("O-1")
    assert state is not None
    assert (state.order.status, state.order.filled_quantity) == (
        OrderStatus.CANCELLED,
        Decimal(100),
    )
