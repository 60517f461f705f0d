"""The simulator fills an order list exactly where the simulated broker (paper trading) does."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels
from quantcli.adapters.brokers.simulated import SimulatedBroker
from quantcli.domain.bar import Bar
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderType, TimeInForce
from quantcli.kernels import CostModel, Orders

TYPES = list(OrderType)
TIFS = [TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC]
CODES = kernels.simulator.ORDER_TYPE_CODES
TIF_CODES = kernels.simulator.TIME_IN_FORCE_CODES
START = datetime(2024, 1, 2, tzinfo=UTC)
cents = st.integers(4_000, 6_000).map(lambda c: c / 100)


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, Any]:
    n_bars, n_symbols = draw(st.integers(2, 8)), draw(st.integers(1, 2))
    shape = (n_bars, n_symbols)
    ohlc = np.full((4, *shape), math.nan)
    for t in range(n_bars):
        for s in range(n_symbols):
            if draw(st.integers(0, 4)) == 0:
                continue  # no bar
            o, c = draw(cents), draw(cents)
            up, down = draw(st.integers(0, 300)) / 100, draw(st.integers(0, 300)) / 100
            ohlc[:, t, s] = (o, max(o, c) + up, min(o, c) - down, c)
    count = draw(st.integers(1, 8))
    rows = []
    for _ in range(count):
        kind = draw(st.sampled_from(TYPES))
        needs_limit = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
        rows.append(
            {
                "bar": draw(st.integers(0, n_bars - 1)),
                "symbol": draw(st.integers(0, n_symbols - 1)),
                "quantity": draw(st.sampled_from([-1, 1])) * draw(st.integers(1, 50)),
                "type": kind,
                "limit": draw(cents) if needs_limit else None,
                "stop": draw(cents) if needs_stop else None,
                "tif": draw(st.sampled_from(TIFS)),
            }
        )
    rows.sort(key=lambda row: row["bar"])  # submission order: by decision bar, stable
    costs = {
        "per_share": draw(st.sampled_from(["0", "0.005", "0.01"])),
        "minimum": draw(st.sampled_from(["0", "1"])),
        "bps": draw(st.sampled_from(["0", "1.5"])),
        "slippage": draw(st.sampled_from(["0", "5", "12.5"])),
    }
    return {"ohlc": ohlc, "orders": rows, "costs": costs}


def broker_fills(session: dict[str, Any]) -> list[tuple[int, int, float, float, float]]:
    costs = session["costs"]
    broker = SimulatedBroker(
        CommissionSchedule(
            Decimal(costs["per_share"]), Decimal(costs["minimum"]), Decimal(costs["bps"])
        ),
        SlippageModel(Decimal(costs["slippage"])),
    )
    ohlc = session["ohlc"]
    n_bars, n_symbols = ohlc.shape[1:]
    fills = []
    for t in range(n_bars):
        at = START + timedelta(days=t)
        bars = {
            f"S{s}": Bar(f"S{s}", at, *(float(v) for v in ohlc[:, t, s]), volume=1e6)
            for s in range(n_symbols)
            if not math.isnan(ohlc[0, t, s])
        }
        broker.on_market_data(bars)
        for event in broker.drain_events():
            if isinstance(event, Fill):
                signed = event.quantity * event.side.sign
                symbol = int(event.symbol[1:])
                fills.append(
                    (t, symbol, float(signed), float(event.price), float(event.commission))
                )
        for i, row in enumerate(session["orders"]):
            if row["bar"] == t:
                q = row["quantity"]
                broker.submit_order(
                    Order(
                        client_order_id=f"o{i}",
                        symbol=f"S{row['symbol']}",
                        side=OrderSide.BUY if q > 0 else OrderSide.SELL,
                        quantity=Decimal(abs(q)),
                        created_at=at,
                        order_type=row["type"],
                        time_in_force=row["tif"],
                        limit_price=None if row["limit"] is None else Decimal(str(row["limit"])),
                        stop_price=None if row["stop"] is None else Decimal(str(row["stop"])),
                    )
                )
    return fills


@settings(deadline=None, max_examples=300)
@given(session=sessions())
def test_backtest_fills_equal_paper_trading_fills(session: dict[str, Any]) -> None:
    ohlc, rows, costs = session["ohlc"], session["orders"], session["costs"]
    volume = np.where(np.isnan(ohlc[0]), math.nan, 1e6)
    nan = math.nan
    result = kernels.simulate_portfolio(
        *ohlc,
        volume,
        initial_cash=1e6,
        orders=Orders(
            bar=[r["bar"] for r in rows],
            symbol=[r["symbol"] for r in rows],
            quantity=[float(r["quantity"]) for r in rows],
            order_type=[CODES[r["type"]] for r in rows],
            limit_price=[nan if r["limit"] is None else r["limit"] for r in rows],
            stop_price=[nan if r["stop"] is None else r["stop"] for r in rows],
            time_in_force=[TIF_CODES[r["tif"]] for r in rows],
        ),
        costs=CostModel(
            commission_per_share=float(costs["per_share"]),
            commission_minimum=float(costs["minimum"]),
            commission_bps=float(costs["bps"]),
            slippage_bps=float(costs["slippage"]),
        ),
    )
    expected = broker_fills(session)
    f = result.fills
    got = list(
        zip(
            f.bar.tolist(),
            f.symbol.tolist(),
            f.quantity.tolist(),
            f.price.tolist(),
            f.commission.tolist(),
            strict=True,
        )
    )
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert math.isclose(g[3], e[3], rel_tol=1e-12)
        assert math.isclose(g[4], e[4], rel_tol=1e-12, abs_tol=1e-12)
