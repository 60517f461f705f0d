"""The portfolio simulator's rules spelled out as a plain Python loop (no numpy in the loop)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from quantcli.kernels import CostModel, MarginRules, Orders

MARKET, LIMIT, STOP, STOP_LIMIT = 0, 1, 2, 3
GTC = 1


def limit_price_on(buy: bool, limit: float, o: float, h: float, lo: float) -> float | None:
    if buy:
        return o if o <= limit else (limit if lo <= limit else None)
    return o if o >= limit else (limit if h >= limit else None)


def stop_trigger_on(buy: bool, stop: float, o: float, h: float, lo: float) -> float | None:
    if buy:
        return o if o >= stop else (stop if h >= stop else None)
    return o if o <= stop else (stop if lo <= stop else None)


def rule_price(order: dict[str, Any], o: float, h: float, lo: float) -> tuple[float, bool] | None:
    buy = order["remaining"] > 0
    kind = order["type"]
    if kind == MARKET:
        return o, True
    if kind == LIMIT or order["triggered"]:
        price = limit_price_on(buy, order["limit"], o, h, lo)
        return None if price is None else (price, False)
    trigger = stop_trigger_on(buy, order["stop"], o, h, lo)
    if trigger is None:
        return None
    if kind == STOP:
        return trigger, True
    order["triggered"] = True
    ok = trigger <= order["limit"] if buy else trigger >= order["limit"]
    return (trigger, False) if ok else None


def simulate(
    open: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    *,
    initial_cash: float,
    target_weights: np.ndarray | None = None,
    target_positions: np.ndarray | None = None,
    orders: Orders | None = None,
    costs: CostModel | None = None,
    margin: MarginRules | None = None,
    rebalance_band: float = 0.0,
    fill_at_close: bool = False,
    volatility: np.ndarray | float | None = None,
    month: np.ndarray | None = None,
) -> dict[str, Any]:
    c = costs or CostModel()
    m = margin or MarginRules()
    n_bars, n = open.shape
    sigma = np.broadcast_to(np.asarray(0.0 if volatility is None else volatility), open.shape)
    months = [0] * n_bars if month is None else [int(x) for x in month]
    limit = m.max_leverage
    if m.initial_margin > 0:
        limit = min(limit, 1.0 / m.initial_margin)
    tiers = list(c.commission_tiers)
    state: dict[str, Any] = {
        "cash": float(initial_cash),
        "monthly": 0.0,
        "eq": 0.0,
        "gross": 0.0,
    }
    pos = [0.0] * n
    last = [0.0] * n
    factor = [1.0] * n
    marks = [0.0] * n
    traded = [0.0] * n
    liquidate = [False] * n
    margin_call = False
    book: list[dict[str, Any]] = []
    fills: list[tuple[Any, ...]] = []
    totals = {"commission": 0.0, "slippage": 0.0, "impact": 0.0, "borrow": 0.0}
    flags = {"margin_calls": 0, "orders_cut": 0, "orders_rejected": 0}
    listed: list[dict[str, Any]] = []
    if orders is not None:
        rows = sorted(range(len(np.asarray(orders.bar))), key=lambda r: int(orders.bar[r]))  # type: ignore[index]
        for r in rows:
            listed.append(
                {
                    "bar": int(orders.bar[r]),  # type: ignore[index]
                    "symbol": int(orders.symbol[r]),  # type: ignore[index]
                    "remaining": float(orders.quantity[r]),  # type: ignore[index]
                    "type": int(orders.order_type[r]),  # type: ignore[index]
                    "limit": float(orders.limit_price[r]),  # type: ignore[index]
                    "stop": float(orders.stop_price[r]),  # type: ignore[index]
                    "tif": int(orders.time_in_force[r]),  # type: ignore[index]
                    "matched": 0,
                    "triggered": False,
                    "origin": r,
                }
            )
    next_order = [0]
    equity_out, cash_out, pos_out = [], [], []

    def value_at_marks() -> None:
        if math.isfinite(limit):
            state["eq"] = state["cash"]
            state["gross"] = 0.0
            for s in range(n):
                state["eq"] += pos[s] * marks[s]
                state["gross"] += abs(pos[s]) * marks[s]

    def fill(
        bar: int, s: int, q: float, ref: float, *, adjusted: bool, reason: int, origin: int
    ) -> None:
        v = float(volume[bar, s])
        shares = abs(q)
        p = shares / v if v > 0 else 0.0
        if adjusted:
            slip = c.slippage_bps / 1e4 + c.spread_bps / (2.0 * 1e4) + c.volume_slippage * p
            impact = (
                c.square_root_impact * float(sigma[bar, s]) * math.sqrt(p) + c.temporary_impact * p
            )
        else:
            slip = impact = 0.0
        side = 1.0 if q > 0 else -1.0
        price = ref * (1.0 + side * (slip + impact))
        rate = c.commission_per_share
        if tiers:
            rate = [r for start, r in tiers if start <= state["monthly"]][-1]
        fee = max(rate * shares, c.commission_minimum)
        if math.isfinite(c.commission_maximum_fraction):
            fee = min(fee, c.commission_maximum_fraction * shares * price)
        fee += c.commission_bps / 1e4 * shares * price
        held = pos[s]
        if math.isfinite(limit):
            state["eq"] += q * (marks[s] - price) - fee
            state["gross"] += (abs(held + q) - abs(held)) * marks[s]
        state["cash"] -= q * price + fee
        pos[s] = held + q
        state["monthly"] += shares
        traded[s] += shares
        if c.permanent_impact > 0:
            factor[s] *= 1.0 + side * c.permanent_impact * p
        fills.append(
            (bar, s, q, price, fee, shares * ref * slip, shares * ref * impact, reason, origin)
        )
        totals["commission"] += fee
        totals["slippage"] += shares * ref * slip
        totals["impact"] += shares * ref * impact

    def cap(held: float, q: float, mark: float) -> float:
        target = held + q
        if abs(target) <= abs(held):
            return q
        headroom = limit * state["eq"] - (state["gross"] - abs(held) * mark)
        allowed = math.floor(headroom / mark) if headroom > 0 else 0.0
        if abs(target) <= allowed:
            return q
        cut = min(max(target, -allowed), allowed) - held
        return 0.0 if cut * q <= 0 else cut

    def match(bar: int, order: dict[str, Any], o: float, h: float, lo: float) -> None:
        order["matched"] += 1
        rp = rule_price(order, o, h, lo)
        if rp is not None:
            s = order["symbol"]
            v = float(volume[bar, s])
            capacity = (
                math.inf
                if math.isinf(c.participation_rate)
                else math.floor(c.participation_rate * v)
            )
            room = max(capacity - traded[s], 0.0)
            q = order["remaining"]
            if abs(q) > room:
                q = math.copysign(room, q)
            cut = False
            if q != 0 and math.isfinite(limit):
                allowed = cap(pos[s], q, marks[s])
                if allowed != q:
                    cut = True
                    flags["orders_rejected" if allowed == 0 else "orders_cut"] += 1
                    q = allowed
            if q != 0:
                fill(bar, s, q, rp[0], adjusted=rp[1], reason=0, origin=order["origin"])
                order["remaining"] -= q
            if cut:
                order["remaining"] = 0.0
        if order["tif"] != GTC and order["matched"] >= 1:
            order["remaining"] = 0.0

    def place(bar: int, decision: int, skip: bool) -> None:
        if orders is not None:
            while next_order[0] < len(listed) and listed[next_order[0]]["bar"] <= decision:
                if not skip:
                    book.append(dict(listed[next_order[0]]))
                next_order[0] += 1
            return
        if skip:
            return
        targets = target_weights if target_weights is not None else target_positions
        assert targets is not None
        equity = state["cash"]
        for s in range(n):
            equity += pos[s] * marks[s]
        if target_weights is not None and equity <= 0:
            return  # weights of a non-positive equity size nothing: every position is held
        for s in range(n):
            t = float(targets[decision, s])
            if math.isnan(open[bar, s]) or math.isnan(t):
                continue
            price = marks[s]
            target = math.trunc(t * equity / price) if target_weights is not None else t
            delta = target - pos[s]
            keeps_side = pos[s] * target > 0
            if delta == 0 or (keeps_side and abs(delta * price) < rebalance_band * equity):
                continue
            book.append(
                {
                    "symbol": s,
                    "remaining": delta,
                    "type": MARKET,
                    "limit": math.nan,
                    "stop": math.nan,
                    "tif": 0,
                    "matched": 0,
                    "triggered": False,
                    "origin": -1,
                }
            )

    for bar in range(n_bars):
        if bar > 0 and months[bar] != months[bar - 1]:
            state["monthly"] = 0.0
        traded[:] = [0.0] * n
        quotes: list[tuple[float, float, float] | None] = []
        for s in range(n):
            if math.isnan(open[bar, s]):
                quotes.append(None)
            else:
                f = factor[s]
                quotes.append((open[bar, s] * f, high[bar, s] * f, low[bar, s] * f))
        for s in range(n):
            quote = quotes[s]
            marks[s] = last[s] if quote is None else quote[0]
        liquidation_bar, margin_call = margin_call, False
        if liquidation_bar:
            book.clear()
            for s in range(n):
                liquidate[s] = liquidate[s] or pos[s] != 0
        value_at_marks()
        for s in range(n):
            quote = quotes[s]
            if liquidate[s] and quote is not None:
                liquidate[s] = False
                if pos[s] != 0:
                    fill(bar, s, -pos[s], quote[0], adjusted=True, reason=1, origin=-1)
        if not fill_at_close and bar > 0:
            place(bar, bar - 1, liquidation_bar)
        for order in book:
            quote = quotes[order["symbol"]]
            if quote is not None:
                match(bar, order, *quote)
        book[:] = [o for o in book if o["remaining"] != 0]
        for s in range(n):
            if not math.isnan(close[bar, s]):
                last[s] = close[bar, s] * factor[s]
        if fill_at_close:
            marks[:] = last
            value_at_marks()
            start = len(book)
            place(bar, bar, False)
            for order in book[start:]:
                s = order["symbol"]
                if not math.isnan(close[bar, s]):
                    match(bar, order, last[s], last[s], last[s])
            book[:] = [o for o in book if o["remaining"] != 0]
        if c.borrow_rate > 0:
            short_value = 0.0
            for s in range(n):
                if pos[s] < 0:
                    short_value -= pos[s] * last[s]
            fee = short_value * c.borrow_rate / c.bars_per_year
            state["cash"] -= fee
            totals["borrow"] += fee
        equity = state["cash"]
        gross = 0.0
        for s in range(n):
            equity += pos[s] * last[s]
            gross += abs(pos[s]) * last[s]
        equity_out.append(equity)
        cash_out.append(state["cash"])
        pos_out.append(list(pos))
        if m.maintenance_margin > 0 and gross > 0 and equity < m.maintenance_margin * gross:
            flags["margin_calls"] += 1
            margin_call = True
    return {
        "equity": np.array(equity_out),
        "cash": np.array(cash_out),
        "positions": np.array(pos_out).reshape(n_bars, n),
        "fills": fills,
        "totals": totals,
        "flags": flags,
    }
