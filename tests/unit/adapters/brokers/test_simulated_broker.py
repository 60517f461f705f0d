"""SimulatedBroker: matching rules per order type and side, time in force, bookkeeping."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.adapters.brokers import SimulatedBroker
from quantcli.adapters.brokers.simulated import _BarPrices, _WorkingOrder
from quantcli.application.trading.ports import Broker, BrokerEvent, OrderCancelled
from quantcli.domain.bar import Bar
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import BrokerError, DataError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

BUY, SELL = OrderSide.BUY, OrderSide.SELL
T0 = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
# 1 cent a share (minimum 1.00) plus 2 bps of notional; 10 bps of slippage.
COMMISSION = CommissionSchedule(per_share=Decimal("0.01"), minimum=Decimal(1), bps=Decimal(2))
SLIPPAGE = SlippageModel(bps=Decimal(10))


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def bar(
    n: int,
    open_: float,
    high: float,
    low: float,
    *,
    close: float | None = None,
    symbol: str = "AAPL",
) -> dict[str, Bar]:
    """A one-symbol market data slice for day `n`."""
    close = open_ if close is None else close
    return {symbol: Bar(symbol, day(n), open_, high, low, close, 1_000_000.0)}


# The bar most tests match against: opens 50, trades between 48 and 52.
BAR_1 = bar(1, 50.0, 52.0, 48.0, close=51.0)


def order(
    side: OrderSide,
    order_type: OrderType = OrderType.MARKET,
    *,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    quantity: int = 200,
    client_order_id: str = "O-1",
    symbol: str = "AAPL",
) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        created_at=T0,
        order_type=order_type,
        time_in_force=tif,
        limit_price=None if limit is None else Decimal(limit),
        stop_price=None if stop is None else Decimal(stop),
    )


def new_broker() -> SimulatedBroker:
    return SimulatedBroker(COMMISSION, SLIPPAGE)


def run(an_order: Order, *slices: dict[str, Bar]) -> tuple[SimulatedBroker, list[BrokerEvent]]:
    """Submit the order, feed the slices, return the broker and everything it reported."""
    broker = new_broker()
    broker.submit_order(an_order)
    for bars in slices:
        broker.on_market_data(bars)
    return broker, broker.drain_events()


def only_fill(events: Sequence[BrokerEvent]) -> Fill:
    assert len(events) == 1
    (event,) = events
    assert isinstance(event, Fill)
    return event


def test_simulated_broker_implements_the_broker_port() -> None:
    broker: Broker = new_broker()
    assert broker.open_orders() == []


# --- market orders -------------------------------------------------------------------------


def test_market_buy_fills_at_the_open_plus_slippage() -> None:
    _, events = run(order(BUY), BAR_1)
    fill = only_fill(events)
    # 50 × (1 + 10 / 10 000); commission max(200 × 0.01, 1) + 2 × 200 × 50.05 / 10 000
    expected = Fill(
        "O-1-F1", "O-1", "AAPL", BUY, Decimal(200), Decimal("50.05"), Decimal("4.002"), day(1)
    )
    assert fill == expected


def test_market_sell_fills_at_the_open_minus_slippage() -> None:
    fill = only_fill(run(order(SELL), BAR_1)[1])
    # 50 × (1 - 0.001); 2.00 + 2 × 200 × 49.95 / 10 000
    assert fill.price == Decimal("49.95")
    assert fill.commission == Decimal("3.998")
    assert fill.side is SELL


# --- limit orders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "limit", "price", "commission"),
    [
        # Open at or better than the limit: filled at the open.
        (BUY, "51", "50", "4"),  # 2 + 2 × 200 × 50 / 10 000
        (BUY, "50", "50", "4"),
        (SELL, "49", "50", "4"),
        # The bar trades through the limit after a worse open: filled at the limit.
        (BUY, "49", "49", "3.96"),  # 2 + 2 × 200 × 49 / 10 000
        (BUY, "48", "48", "3.92"),
        (SELL, "51", "51", "4.04"),  # 2 + 2 × 200 × 51 / 10 000
        (SELL, "52", "52", "4.08"),
    ],
)
def test_limit_order_fills_at_its_price_or_better_without_slippage(
    side: OrderSide, limit: str, price: str, commission: str
) -> None:
    fill = only_fill(run(order(side, OrderType.LIMIT, limit=limit), BAR_1)[1])
    assert fill.price == Decimal(price)
    assert fill.commission == Decimal(commission)


@pytest.mark.parametrize(("side", "limit"), [(BUY, "47.99"), (SELL, "52.01")])
def test_limit_order_the_bar_never_reaches_does_not_fill(side: OrderSide, limit: str) -> None:
    broker, events = run(order(side, OrderType.LIMIT, limit=limit, tif=TimeInForce.GTC), BAR_1)
    assert events == []
    assert [o.status for o in broker.open_orders()] == [OrderStatus.SUBMITTED]


# --- stop orders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "stop", "price", "commission"),
    [
        # The bar gaps through the stop: triggered at the open, plus slippage.
        (BUY, "49", "50.05", "4.002"),
        (SELL, "51", "49.95", "3.998"),
        # The bar reaches the stop: triggered at the stop, plus slippage.
        (BUY, "51", "51.051", "4.04204"),  # 51 × 1.001; 2 + 2 × 200 × 51.051 / 10 000
        (SELL, "49", "48.951", "3.95804"),  # 49 × 0.999; 2 + 2 × 200 × 48.951 / 10 000
        (BUY, "52", "52.052", "4.08208"),
        (SELL, "48", "47.952", "3.91808"),
    ],
)
def test_stop_order_fills_at_its_trigger_price_plus_slippage(
    side: OrderSide, stop: str, price: str, commission: str
) -> None:
    fill = only_fill(run(order(side, OrderType.STOP, stop=stop), BAR_1)[1])
    assert fill.price == Decimal(price)
    assert fill.commission == Decimal(commission)


@pytest.mark.parametrize(("side", "stop"), [(BUY, "52.01"), (SELL, "47.99")])
def test_stop_order_the_bar_never_reaches_does_not_trigger(side: OrderSide, stop: str) -> None:
    broker, events = run(order(side, OrderType.STOP, stop=stop, tif=TimeInForce.GTC), BAR_1)
    assert events == []
    assert len(broker.open_orders()) == 1


# --- stop-limit orders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "stop", "limit", "price"),
    [
        (BUY, "51", "51.5", "51"),  # reaches the stop inside the bar, at or under the limit
        (BUY, "51", "51", "51"),
        (BUY, "49", "50.5", "50"),  # gaps through the stop, open still under the limit
        (SELL, "49", "48.5", "49"),
        (SELL, "51", "49.5", "50"),
    ],
)
def test_triggered_stop_limit_fills_at_the_trigger_price_when_it_meets_the_limit(
    side: OrderSide, stop: str, limit: str, price: str
) -> None:
    fill = only_fill(run(order(side, OrderType.STOP_LIMIT, stop=stop, limit=limit), BAR_1)[1])
    assert fill.price == Decimal(price)


def test_gapped_buy_stop_limit_works_on_as_a_limit_order_from_the_next_bar() -> None:
    stop_limit = order(BUY, OrderType.STOP_LIMIT, stop="50", limit="49.5", tif=TimeInForce.GTC)
    broker = new_broker()
    broker.submit_order(stop_limit)
    # Opens at 50.5, through the stop and above the limit: triggered, not filled.
    broker.on_market_data(bar(1, 50.5, 51.0, 49.0))
    assert broker.drain_events() == []
    # Never back up to the stop, but down through the limit: it is a limit order now.
    broker.on_market_data(bar(2, 49.8, 49.9, 49.2))
    fill = only_fill(broker.drain_events())
    assert (fill.price, fill.timestamp) == (Decimal("49.5"), day(2))


def test_gapped_sell_stop_limit_works_on_as_a_limit_order_from_the_next_bar() -> None:
    stop_limit = order(SELL, OrderType.STOP_LIMIT, stop="50", limit="50.5", tif=TimeInForce.GTC)
    broker = new_broker()
    broker.submit_order(stop_limit)
    broker.on_market_data(bar(1, 49.5, 51.0, 49.0))
    assert broker.drain_events() == []
    broker.on_market_data(bar(2, 50.2, 50.8, 50.1))
    assert only_fill(broker.drain_events()).price == Decimal("50.5")


def test_untriggered_stop_limit_does_not_fill_even_when_the_limit_is_reached() -> None:
    # Buy stop 53 limit 55: the bar is under the limit throughout but never reaches the stop.
    stop_limit = order(BUY, OrderType.STOP_LIMIT, stop="53", limit="55", tif=TimeInForce.GTC)
    broker, events = run(stop_limit, BAR_1)
    assert events == []
    assert len(broker.open_orders()) == 1


def test_triggered_day_stop_limit_that_misses_its_limit_expires() -> None:
    stop_limit = order(BUY, OrderType.STOP_LIMIT, stop="49", limit="49.5")
    _, events = run(stop_limit, BAR_1, bar(2, 49.0, 49.5, 48.0))
    assert events == [OrderCancelled("O-1", "DAY order expired unfilled", day(1))]


# --- time in force -------------------------------------------------------------------------


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.IOC])
def test_day_and_ioc_orders_unfilled_on_their_first_bar_are_cancelled(tif: TimeInForce) -> None:
    unfillable = order(BUY, OrderType.LIMIT, limit="40", tif=tif)
    broker, events = run(unfillable, BAR_1, bar(2, 39.0, 41.0, 38.0))
    assert events == [OrderCancelled("O-1", f"{tif.value} order expired unfilled", day(1))]
    assert broker.open_orders() == []


def test_gtc_order_keeps_working_until_it_fills() -> None:
    gtc = order(BUY, OrderType.LIMIT, limit="40", tif=TimeInForce.GTC)
    broker, events = run(gtc, BAR_1, bar(2, 45.0, 46.0, 44.0), bar(3, 41.0, 42.0, 39.5))
    fill = only_fill(events)
    assert (fill.fill_id, fill.price, fill.timestamp) == ("O-1-F1", Decimal(40), day(3))
    assert broker.open_orders() == []


def test_day_order_filled_on_its_first_bar_is_not_also_cancelled() -> None:
    _, events = run(order(BUY, OrderType.LIMIT, limit="51"), BAR_1)
    assert [type(e) for e in events] == [Fill]


def test_day_order_lives_until_the_first_bar_of_its_own_symbol() -> None:
    day_order = order(BUY, OrderType.LIMIT, limit="40")
    broker = new_broker()
    broker.submit_order(day_order)
    broker.on_market_data(bar(1, 30.0, 31.0, 29.0, symbol="MSFT"))
    assert broker.drain_events() == []
    assert [o.client_order_id for o in broker.open_orders()] == ["O-1"]
    broker.on_market_data(bar(2, 39.0, 41.0, 38.0))
    assert only_fill(broker.drain_events()).price == Decimal(39)


# --- timing, ordering, determinism --------------------------------------------------------


def test_order_never_fills_on_a_bar_seen_before_it_was_submitted() -> None:
    broker = new_broker()
    broker.on_market_data(BAR_1)
    broker.submit_order(order(BUY))
    assert broker.drain_events() == []
    assert [o.status for o in broker.open_orders()] == [OrderStatus.SUBMITTED]
    broker.on_market_data(bar(2, 60.0, 61.0, 59.0))
    fill = only_fill(broker.drain_events())
    assert (fill.price, fill.timestamp) == (Decimal("60.06"), day(2))


def test_orders_are_matched_and_reported_in_submission_order() -> None:
    broker = new_broker()
    broker.submit_order(order(SELL, quantity=10, client_order_id="B"))
    broker.submit_order(order(BUY, OrderType.LIMIT, limit="40", client_order_id="A"))
    broker.submit_order(order(BUY, quantity=20, client_order_id="C", symbol="MSFT"))
    broker.submit_order(order(BUY, quantity=30, client_order_id="D"))
    broker.on_market_data({**BAR_1, **bar(1, 300.0, 301.0, 299.0, symbol="MSFT")})
    events = broker.drain_events()
    assert [(type(e).__name__, e.client_order_id) for e in events] == [
        ("Fill", "B"),
        ("OrderCancelled", "A"),
        ("Fill", "C"),
        ("Fill", "D"),
    ]
    assert [e.fill_id for e in events if isinstance(e, Fill)] == ["B-F1", "C-F1", "D-F1"]


def test_drain_events_empties_the_buffer() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY))
    broker.on_market_data(BAR_1)
    assert len(broker.drain_events()) == 1
    assert broker.drain_events() == []


def script(broker: SimulatedBroker) -> list[BrokerEvent]:
    broker.submit_order(order(BUY, client_order_id="M"))
    broker.submit_order(order(SELL, OrderType.STOP, stop="49", client_order_id="S"))
    broker.submit_order(
        order(BUY, OrderType.LIMIT, limit="45", tif=TimeInForce.GTC, client_order_id="L")
    )
    broker.on_market_data(BAR_1)
    broker.submit_order(order(SELL, OrderType.LIMIT, limit="47", client_order_id="X"))
    broker.on_market_data(bar(2, 46.0, 47.5, 44.0))
    return broker.drain_events()


def test_same_orders_and_bars_give_identical_events() -> None:
    first, second = script(new_broker()), script(new_broker())
    assert first == second
    assert [e.client_order_id for e in first] == ["M", "S", "L", "X"]


# --- submission and cancellation ----------------------------------------------------------


def test_submit_returns_sequential_broker_order_ids() -> None:
    broker = new_broker()
    assert broker.submit_order(order(BUY, client_order_id="A")) == "SIM-1"
    assert broker.submit_order(order(BUY, client_order_id="B")) == "SIM-2"


def test_submit_leaves_the_callers_order_untouched() -> None:
    caller_order = order(BUY)
    before = attrs.evolve(caller_order)
    broker = new_broker()
    broker.submit_order(caller_order)
    broker.on_market_data(BAR_1)
    assert caller_order == before
    assert caller_order.status is OrderStatus.NEW
    assert caller_order.broker_order_id is None


def test_open_orders_are_submitted_copies_with_the_broker_order_id() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY, OrderType.LIMIT, limit="40", tif=TimeInForce.GTC))
    (working,) = broker.open_orders()
    assert working.status is OrderStatus.SUBMITTED
    assert working.broker_order_id == "SIM-1"
    working.cancel()
    assert broker.open_orders()[0].status is OrderStatus.SUBMITTED


def test_submitting_an_order_that_is_not_new_is_refused() -> None:
    submitted = order(BUY)
    submitted.submit()
    with pytest.raises(BrokerError, match=r"order O-1: only NEW orders .* SUBMITTED"):
        new_broker().submit_order(submitted)


def test_resubmitting_a_client_order_id_is_refused() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY, OrderType.LIMIT, limit="40", tif=TimeInForce.GTC))
    with pytest.raises(BrokerError, match="order O-1: client order id already submitted"):
        broker.submit_order(order(BUY))
    assert len(broker.open_orders()) == 1


def test_resubmitting_a_finished_order_is_refused() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY))
    broker.on_market_data(BAR_1)
    with pytest.raises(BrokerError, match="O-1"):
        broker.submit_order(order(BUY))
    broker.on_market_data(bar(2, 50.0, 51.0, 49.0))
    assert len(broker.drain_events()) == 1


def test_cancel_removes_a_working_order_stamped_with_the_latest_bar_time() -> None:
    broker = new_broker()
    broker.on_market_data(bar(1, 60.0, 61.0, 59.0, symbol="MSFT"))
    broker.submit_order(order(BUY, OrderType.LIMIT, limit="40", tif=TimeInForce.GTC))
    broker.cancel_order("O-1")
    assert broker.drain_events() == [OrderCancelled("O-1", "cancelled by request", day(1))]
    assert broker.open_orders() == []
    broker.on_market_data(bar(2, 30.0, 31.0, 29.0))
    assert broker.drain_events() == []


def test_cancel_before_any_bar_is_stamped_with_the_order_creation_time() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY))
    broker.cancel_order("O-1")
    assert broker.drain_events() == [OrderCancelled("O-1", "cancelled by request", T0)]


def test_cancelling_an_unknown_order_is_refused() -> None:
    with pytest.raises(BrokerError, match="cannot cancel order NOPE: it is unknown"):
        new_broker().cancel_order("NOPE")


def test_cancelling_a_filled_order_is_refused() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY))
    broker.on_market_data(BAR_1)
    with pytest.raises(BrokerError, match="cannot cancel order O-1: it is already FILLED"):
        broker.cancel_order("O-1")


def test_cancelling_twice_is_refused() -> None:
    broker = new_broker()
    broker.submit_order(order(BUY))
    broker.cancel_order("O-1")
    with pytest.raises(BrokerError, match="it is already CANCELLED"):
        broker.cancel_order("O-1")


# --- inputs -------------------------------------------------------------------------------


def test_bar_filed_under_another_symbol_is_refused() -> None:
    with pytest.raises(DataError, match="bars\\['MSFT'\\] holds a bar for 'AAPL'"):
        new_broker().on_market_data({"MSFT": BAR_1["AAPL"]})


def test_slippage_of_a_hundred_percent_is_refused() -> None:
    with pytest.raises(ValidationError, match="slippage bps 10000"):
        SimulatedBroker(COMMISSION, SlippageModel(bps=Decimal(10_000)))


def test_bar_floats_are_priced_through_their_shortest_repr() -> None:
    broker = SimulatedBroker(COMMISSION, SlippageModel())
    broker.submit_order(order(BUY))
    broker.on_market_data(bar(1, 187.23, 188.0, 186.0))
    assert only_fill(broker.drain_events()).price == Decimal("187.23")


# --- partial fills (the participation-cap hook) -------------------------------------------


class HalfBarBroker(SimulatedBroker):
    """Fills at most half of what remains per bar, as a participation cap would."""

    def _fillable_quantity(self, working: _WorkingOrder, bar: _BarPrices) -> Decimal:
        return max(Decimal(1), super()._fillable_quantity(working, bar) / 2)


def test_capped_fills_leave_the_order_partially_filled_and_number_the_fills() -> None:
    broker = HalfBarBroker(COMMISSION, SLIPPAGE)
    broker.submit_order(order(BUY, OrderType.LIMIT, limit="51", tif=TimeInForce.GTC))
    broker.on_market_data(BAR_1)
    (working,) = broker.open_orders()
    assert (working.status, working.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal(100))
    broker.on_market_data(bar(2, 50.0, 51.0, 49.0))
    fills = broker.drain_events()
    assert [(f.fill_id, f.quantity) for f in fills if isinstance(f, Fill)] == [
        ("O-1-F1", Decimal(100)),
        ("O-1-F2", Decimal(50)),
    ]


def test_day_order_partly_filled_on_its_first_bar_expires_with_the_rest() -> None:
    broker = HalfBarBroker(COMMISSION, SLIPPAGE)
    broker.submit_order(order(BUY))
    broker.on_market_data(BAR_1)
    events = broker.drain_events()
    assert events[1] == OrderCancelled("O-1", "DAY order expired with 100 of 200 unfilled", day(1))


# --- property: fills reconcile with a domain Portfolio ------------------------------------

SYMBOLS = ("AAPL", "MSFT")
cents = st.integers(100, 50_000).map(lambda c: Decimal(c) / 100)


@st.composite
def bar_slices(draw: st.DrawFn, n: int) -> dict[str, Bar]:
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), unique=True))
    slice_: dict[str, Bar] = {}
    for symbol in symbols:
        open_ = draw(cents)
        up, down = draw(cents), draw(st.integers(0, 99))
        low = open_ * (100 - down) / 100
        slice_[symbol] = Bar(
            symbol, day(n), float(open_), float(open_ + up), float(low), float(open_), 1.0
        )
    return slice_


@st.composite
def sessions(draw: st.DrawFn) -> list[tuple[list[tuple[str, OrderSide, int]], dict[str, Bar]]]:
    """Steps of (market orders to submit, then the next bar slice)."""
    steps = draw(st.integers(1, 8))
    orders = st.lists(
        st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(OrderSide), st.integers(1, 1_000)),
        max_size=4,
    )
    return [(draw(orders), draw(bar_slices(n))) for n in range(1, steps + 1)]


@settings(max_examples=150)
@given(
    session=sessions(),
    slippage_bps=st.integers(0, 50),
    per_share=st.integers(0, 10).map(lambda mills: Decimal(mills) / 1000),
    bps=st.integers(0, 5),
)
def test_drained_fills_reconcile_with_a_portfolio_exactly(
    session: list[tuple[list[tuple[str, OrderSide, int]], dict[str, Bar]]],
    slippage_bps: int,
    per_share: Decimal,
    bps: int,
) -> None:
    commission = CommissionSchedule(per_share=per_share, minimum=Decimal(1), bps=Decimal(bps))
    broker = SimulatedBroker(commission, SlippageModel(bps=Decimal(slippage_bps)))
    initial = Decimal("1000000.00")
    portfolio = Portfolio(cash=initial)
    fills: list[Fill] = []
    waiting: set[str] = set()
    for step, (orders, bars) in enumerate(session):
        for n, (symbol, side, quantity) in enumerate(orders):
            client_order_id = f"O{step}-{n}"
            broker.submit_order(
                order(side, quantity=quantity, client_order_id=client_order_id, symbol=symbol)
            )
            waiting.add(client_order_id)
        broker.on_market_data(bars)
        events = broker.drain_events()
        assert all(isinstance(e, Fill) for e in events)
        step_fills = [e for e in events if isinstance(e, Fill)]
        for f in step_fills:
            # Market orders fill at the open of the bar that follows their submission.
            open_ = Decimal(repr(bars[f.symbol].open))
            price = open_ * (1 + f.side.sign * Decimal(slippage_bps) / 10_000)
            assert (f.price, f.timestamp) == (price, bars[f.symbol].timestamp)
            assert (
                f.commission
                == max(per_share * f.quantity, Decimal(1)) + bps * f.quantity * price / 10_000
            )
        portfolio.apply_fills(step_fills)
        fills.extend(step_fills)
        waiting -= {f.client_order_id for f in step_fills}
        # Every market order whose symbol had a bar is filled; the others still wait.
        assert {o.client_order_id for o in broker.open_orders()} == waiting
    traded = sum((f.signed_quantity * f.price for f in fills), Decimal(0))
    paid = sum((f.commission for f in fills), Decimal(0))
    assert portfolio.cash == initial - traded - paid
    held: defaultdict[str, Decimal] = defaultdict(Decimal)
    for f in fills:
        held[f.symbol] += f.signed_quantity
    assert {s: portfolio.quantity(s) for s in SYMBOLS} == {s: held[s] for s in SYMBOLS}
