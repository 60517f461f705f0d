"""Property: whatever the broker does (partial fills, cancels, replaces), replaying the ledger's
fills from the opening cash reproduces the portfolio exactly, in Decimal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType

from hypothesis import event, given, settings
from hypothesis import strategies as st

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import rebuild_portfolio
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.trading_types import OrderSide, OrderStatus, OrderType, TimeInForce

ACCOUNT = "acct"
CASH = Decimal("250000.00")
T0 = datetime(2024, 1, 2, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB")

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=4)
commissions = st.decimals(min_value=Decimal(0), max_value=Decimal(3), places=3)
actions = st.one_of(
    st.tuples(
        st.just("order"), st.sampled_from(SYMBOLS), st.sampled_from(OrderSide), st.integers(1, 500)
    ),
    st.tuples(st.just("fill"), st.integers(0, 50), st.integers(1, 100), prices, commissions),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("replace"), st.integers(0, 50), st.integers(1, 600)),
)


@settings(deadline=None, max_examples=150)
@given(script=st.lists(actions, min_size=1, max_size=40))
def test_replaying_the_ledgers_fills_reproduces_the_portfolio_exactly(
    fakes: ModuleType, script: list[tuple[object, ...]]
) -> None:
    ledger = fakes.FakeLedger()
    broker = fakes.FakeBroker(ledger, confirm_cancels=True)
    engine = ExecutionEngine(ACCOUNT, broker, ledger, Portfolio(cash=CASH))
    for step, action in enumerate(script):
        at = T0 + timedelta(minutes=step)
        working = [o for o in engine.open_orders() if o.status is not OrderStatus.NEW]
        kind = action[0]
        if kind == "order":
            _, symbol, side, quantity = action
            engine.place(
                Order(
                    f"{ACCOUNT}-{step}",
                    str(symbol),
                    side,  # type: ignore[arg-type]
                    Decimal(quantity),  # type: ignore[arg-type]
                    at,
                    OrderType.LIMIT,
                    TimeInForce.GTC,
                    limit_price=Decimal(100),
                ),
                at,
            )
        elif working and kind == "fill":
            _, pick, share, price, commission = action
            order = working[int(pick) % len(working)]  # type: ignore[call-overload]
            quantity = max(1, order.remaining_quantity * int(share) // 100)  # type: ignore[call-overload]
            broker.fill(order.client_order_id, quantity, price, at, commission=commission)
        elif working and kind == "cancel":
            engine.cancel(working[int(action[1]) % len(working)].client_order_id, at)  # type: ignore[call-overload]
        elif working and kind == "replace":
            order = working[int(action[1]) % len(working)]  # type: ignore[call-overload]
            total = order.filled_quantity + Decimal(action[2])  # type: ignore[arg-type]
            if engine.pending_replacement(order.client_order_id) is None:
                engine.replace(order.client_order_id, at, quantity=total)
        engine.process_broker_events()

    replayed = rebuild_portfolio(ledger, ACCOUNT, CASH)
    assert replayed == engine.portfolio
    assert replayed.cash == engine.portfolio.cash
    assert replayed.total_commission == engine.portfolio.total_commission
    for symbol, position in engine.portfolio.positions.items():
        assert replayed.positions[symbol].cost_basis == position.cost_basis
    assert ledger.load_portfolio(ACCOUNT) is None  # nothing but fills was needed
    fills = ledger.fills(ACCOUNT)
    assert engine.portfolio.cash == CASH + sum((f.cash_flow for f in fills), Decimal(0))
    for order in ledger.orders(account=ACCOUNT):
        filled = sum(
            (f.quantity for f in fills if f.client_order_id == order.client_order_id), Decimal(0)
        )
        assert order.filled_quantity == filled
        assert (order.status is OrderStatus.FILLED) == (filled == order.quantity)
    event(f"fills>0 {bool(fills)}, replaced {any(o.replaces for o in ledger.orders())}")
    ids = [o.client_order_id for o in broker.submitted]
    assert len(ids) == len(set(ids))
