"""The Rust simulator against the plain-Python loop (test_simulator_weights.py holds target-weight
mode with the simple costs against the leaner loop in ../reference.py)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli import kernels
from quantcli.kernels import CostModel, MarginRules, Orders

nan = math.nan


@st.composite
def bars(draw: st.DrawFn, n_bars: int, n_symbols: int, gaps: bool = True) -> dict[str, np.ndarray]:
    shape = (n_bars, n_symbols)
    rows = [[draw(st.floats(40.0, 60.0)) for _ in range(n_symbols)] for _ in range(n_bars)]
    open_ = np.array(rows)
    close = np.array(
        [[draw(st.floats(40.0, 60.0)) for _ in range(n_symbols)] for _ in range(n_bars)]
    )
    spread = draw(st.floats(0.0, 0.05))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = np.full(shape, draw(st.floats(50.0, 5_000.0)))
    if gaps:
        missing = np.array(
            [
                [draw(st.booleans()) and draw(st.booleans()) for _ in range(n_symbols)]
                for _ in range(n_bars)
            ]
        )
        for panel in (open_, high, low, close, volume):
            panel[missing] = nan
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


@st.composite
def runs(draw: st.DrawFn) -> dict[str, Any]:
    n_bars, n_symbols = draw(st.integers(1, 10)), draw(st.integers(1, 3))
    shape = (n_bars, n_symbols)
    run: dict[str, Any] = dict(draw(bars(n_bars, n_symbols)))
    kind = draw(st.sampled_from(["weights", "positions", "orders"]))
    cell = lambda s: st.one_of(s, st.just(nan))  # noqa: E731
    if kind == "weights":
        weights = [
            [draw(cell(st.floats(-1.5, 1.5))) for _ in range(n_symbols)] for _ in range(n_bars)
        ]
        run["target_weights"] = np.array(weights).reshape(shape)
    elif kind == "positions":
        held = [
            [draw(cell(st.integers(-40, 40).map(float))) for _ in range(n_symbols)]
            for _ in range(n_bars)
        ]
        run["target_positions"] = np.array(held).reshape(shape)
    else:
        count = draw(st.integers(0, 8))
        types = [draw(st.integers(0, 3)) for _ in range(count)]
        run["orders"] = Orders(
            bar=np.array([draw(st.integers(0, n_bars - 1)) for _ in range(count)], dtype=np.int64),
            symbol=np.array(
                [draw(st.integers(0, n_symbols - 1)) for _ in range(count)], dtype=np.int64
            ),
            quantity=np.array(
                [draw(st.sampled_from([-1, 1])) * draw(st.integers(1, 40)) for _ in range(count)],
                dtype=float,
            ),
            order_type=np.array(types, dtype=np.int64),
            limit_price=np.array([draw(st.floats(38.0, 62.0)) for _ in range(count)]),
            stop_price=np.array([draw(st.floats(38.0, 62.0)) for _ in range(count)]),
            time_in_force=np.array([draw(st.integers(0, 2)) for _ in range(count)], dtype=np.int64),
        )
    tiers = draw(st.sampled_from([(), ((0.0, 0.01), (30.0, 0.005), (100.0, 0.002))]))
    run["costs"] = CostModel(
        commission_per_share=draw(st.floats(0.0, 0.05)),
        commission_minimum=draw(st.floats(0.0, 2.0)),
        commission_maximum_fraction=draw(st.sampled_from([math.inf, 0.01, 0.001])),
        commission_bps=draw(st.floats(0.0, 20.0)),
        commission_tiers=tiers,
        slippage_bps=draw(st.floats(0.0, 30.0)),
        spread_bps=draw(st.floats(0.0, 30.0)),
        volume_slippage=draw(st.floats(0.0, 0.1)),
        square_root_impact=draw(st.floats(0.0, 1.0)),
        temporary_impact=draw(st.floats(0.0, 0.1)),
        permanent_impact=draw(st.floats(0.0, 0.1)),
        participation_rate=draw(st.sampled_from([math.inf, 0.5, 0.01])),
        borrow_rate=draw(st.floats(0.0, 0.2)),
        bars_per_year=252.0,
    )
    run["margin"] = MarginRules(
        max_leverage=draw(st.sampled_from([math.inf, 1.0, 2.0])),
        initial_margin=draw(st.sampled_from([0.0, 0.5])),
        maintenance_margin=draw(st.sampled_from([0.0, 0.3, 0.9])),
    )
    run["volatility"] = draw(st.floats(0.0, 0.05))
    run["month"] = np.array(sorted(draw(st.integers(0, 2)) for _ in range(n_bars)), dtype=np.int64)
    run["initial_cash"] = draw(st.floats(100.0, 10_000.0))
    run["rebalance_band"] = draw(st.sampled_from([0.0, 0.05]))
    run["fill_at_close"] = draw(st.booleans())
    return run


def assert_run_equal(
    result: kernels.PortfolioSimulation, expected: dict[str, Any], scale: float
) -> None:
    tol = 1e-9 * scale
    np.testing.assert_allclose(result.equity, expected["equity"], rtol=1e-9, atol=tol)
    np.testing.assert_allclose(result.cash, expected["cash"], rtol=1e-9, atol=tol)
    np.testing.assert_allclose(result.positions, expected["positions"], rtol=1e-9, atol=1e-9)
    fills = expected["fills"]
    assert len(result.fills.bar) == len(fills)
    if fills:
        columns = list(zip(*fills, strict=True))
        for name, want in zip(result.fills._fields, columns, strict=True):
            np.testing.assert_allclose(getattr(result.fills, name), want, rtol=1e-9, atol=tol)
    for name, want in expected["totals"].items():
        assert math.isclose(getattr(result.costs, name), want, rel_tol=1e-9, abs_tol=tol)
    for name, want in expected["flags"].items():
        assert getattr(result.flags, name) == want


@settings(deadline=None, max_examples=400)
@given(run=runs())
def test_engine_equals_the_python_loop_reference(
    sim_reference: ModuleType, run: dict[str, Any]
) -> None:
    result = kernels.simulate_portfolio(**run)
    expected = sim_reference.simulate(**run)
    assert_run_equal(result, expected, scale=run["initial_cash"])
    assert result.flags.same_bar_fills is run["fill_at_close"]
