"""Target-weight mode with the simple costs: hand-worked cases, the weights reference loop, the
domain cost models."""

from __future__ import annotations

import math
from decimal import Decimal
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantcli import kernels
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.trading_types import OrderSide
from quantcli.kernels import CostModel

nan = math.nan


def bars(open: Any, close: Any, volume: float = 1e6) -> dict[str, np.ndarray]:
    """Bars from opens and closes (NaN in both: no bar); high and low bracket them."""
    open_, close_ = np.asarray(open, dtype=float), np.asarray(close, dtype=float)
    if open_.ndim == 1:
        open_, close_ = open_.reshape(-1, 1), close_.reshape(-1, 1)
    return {
        "open": open_,
        "high": np.fmax(open_, close_),
        "low": np.fmin(open_, close_),
        "close": close_,
        "volume": np.where(np.isnan(open_), nan, volume),
    }


def simulate(
    panel: dict[str, np.ndarray], weights: Any, **kwargs: Any
) -> kernels.PortfolioSimulation:
    weights = np.asarray(weights, dtype=float).reshape(panel["open"].shape)
    return kernels.simulate_portfolio(**panel, target_weights=weights, **kwargs)


def traded_notional(result: kernels.PortfolioSimulation) -> np.ndarray:
    """Sum of |shares| x fill price at each bar."""
    notional = np.zeros(len(result.equity))
    np.add.at(notional, result.fills.bar, np.abs(result.fills.quantity) * result.fills.price)
    return notional


def test_three_bars_with_commission_and_slippage_worked_by_hand() -> None:
    result = simulate(
        bars([10, 10, 12], [10, 11, 12]),
        [0.5, 0.0, 1.0],
        initial_cash=1000.0,
        costs=CostModel(
            commission_per_share=0.01,
            commission_minimum=1.0,
            commission_bps=10.0,
            slippage_bps=50.0,
        ),
    )
    # Bar 1 open: trunc(0.5 × 1000 / 10) = 50 shares bought at 10 × 1.005 = 10.05 = 502.50;
    # commission max(0.01 × 50, 1) + 0.001 × 502.50 = 1.5025; cash 1000 - 502.50 - 1.5025.
    # Bar 2 open: equity 495.9975 + 50 × 12; weight 0 sells 50 at 12 × 0.995 = 11.94 = 597;
    # commission 1 + 0.001 × 597 = 1.597. The weight on the last bar never trades.
    np.testing.assert_allclose(result.cash, [1000.0, 495.9975, 1091.4005], rtol=1e-12)
    np.testing.assert_allclose(result.equity, [1000.0, 1045.9975, 1091.4005], rtol=1e-12)
    np.testing.assert_array_equal(result.positions, [[0.0], [50.0], [0.0]])
    fills = result.fills
    assert fills.bar.tolist() == [1, 2]
    assert fills.quantity.tolist() == [50.0, -50.0]
    np.testing.assert_allclose(fills.price, [10.05, 11.94], rtol=1e-12)
    np.testing.assert_allclose(fills.commission, [1.5025, 1.597], rtol=1e-12)
    # Slippage cost against the open: 50 × 10 × 0.005 and 50 × 12 × 0.005.
    np.testing.assert_allclose(fills.slippage, [2.5, 3.0], rtol=1e-12)
    np.testing.assert_allclose(traded_notional(result), [0.0, 502.5, 597.0], rtol=1e-12)
    assert math.isclose(result.costs.commission, 3.0995, rel_tol=1e-12)
    assert math.isclose(result.costs.slippage, 5.5, rel_tol=1e-12)


def test_a_bar_missing_skips_the_trade_and_nan_weight_holds_the_position() -> None:
    result = simulate(
        bars(
            [[10, 20], [10, 20], [nan, 25], [11, 25]],
            [[10, 20], [12, 20], [nan, 25], [11, 25]],
        ),
        [[0.5, 0.5], [0.1, 0.25], [nan, 0.0], [1.0, 1.0]],
        initial_cash=1000.0,
    )
    # Bar 1: buy 50 @ 10 and 25 @ 20.
    # Bar 2: symbol 0 has no bar (no trade, marked at its last close 12 for equity 1225);
    #        symbol 1 goes to trunc(0.25 × 1225 / 25) = 12 shares, selling 13 @ 25.
    # Bar 3: symbol 0 holds on a NaN weight; symbol 1 sells its 12 @ 25.
    np.testing.assert_array_equal(result.positions, [[0, 0], [50, 25], [50, 12], [50, 0]])
    np.testing.assert_array_equal(result.cash, [1000, 0, 325, 625])
    np.testing.assert_array_equal(result.equity, [1000, 1100, 1225, 1175])
    assert result.fills.bar.tolist() == [1, 1, 2, 3]
    assert result.fills.symbol.tolist() == [0, 1, 1, 1]
    assert result.fills.quantity.tolist() == [50, 25, -13, -12]
    np.testing.assert_array_equal(traded_notional(result), [0, 1000, 325, 300])
    np.testing.assert_array_equal(result.fills.commission, [0, 0, 0, 0])


def test_target_shares_round_toward_zero_for_longs_and_shorts() -> None:
    flat = np.full((2, 2), 30.0)
    result = simulate(bars(flat, flat), [[0.5, -0.5], [0.0, 0.0]], initial_cash=1000.0)
    # ±0.5 × 1000 / 30 = ±16.67 -> ±16 shares; the short's proceeds are cash.
    np.testing.assert_array_equal(result.positions[1], [16.0, -16.0])
    assert result.fills.quantity.tolist() == [16.0, -16.0]
    np.testing.assert_array_equal(result.cash, [1000.0, 1000.0])


def test_the_commission_minimum_applies_per_fill() -> None:
    flat = np.full((2, 2), 10.0)
    result = simulate(
        bars(flat, flat),
        np.full((2, 2), 0.1),
        initial_cash=1000.0,
        costs=CostModel(commission_per_share=0.005, commission_minimum=1.0),
    )
    # Two fills of 10 shares: 0.05 each by the share, so the 1.00 minimum twice.
    assert result.fills.quantity.tolist() == [10.0, 10.0]
    np.testing.assert_array_equal(result.fills.commission, [1.0, 1.0])
    assert result.costs.commission == 2.0


def test_a_single_fill_costs_what_the_domain_cost_models_charge() -> None:
    per_share, minimum, bps, slippage = "0.005", "1.25", "3", "7"
    result = simulate(
        bars([50.0, 41.37], [50.0, 41.37]),
        [0.9, 0.9],
        initial_cash=100_000.0,
        costs=CostModel(
            commission_per_share=float(per_share),
            commission_minimum=float(minimum),
            commission_bps=float(bps),
            slippage_bps=float(slippage),
        ),
    )
    shares = Decimal(math.trunc(0.9 * 100_000 / 41.37))
    fill = SlippageModel(Decimal(slippage)).fill_price(Decimal("41.37"), OrderSide.BUY)
    schedule = CommissionSchedule(Decimal(per_share), Decimal(minimum), Decimal(bps))
    assert result.positions[1, 0] == float(shares)
    assert result.fills.quantity.tolist() == [float(shares)]
    assert math.isclose(result.fills.price[0], float(fill), rel_tol=1e-12)
    assert math.isclose(traded_notional(result)[1], float(shares * fill), rel_tol=1e-12)
    assert math.isclose(
        result.fills.commission[0], float(schedule.commission(shares, fill)), rel_tol=1e-12
    )


def test_a_panel_without_bars_gives_empty_histories() -> None:
    empty = np.empty((0, 3))
    result = simulate(bars(empty, empty), empty, initial_cash=1.0)
    assert result.equity.shape == (0,)
    assert result.cash.shape == (0,)
    assert result.positions.shape == (0, 3)
    assert len(result.fills.bar) == 0


def test_rebalance_band_skips_small_resizes_but_never_opening_closing_or_flipping() -> None:
    prices = [10, 10, 10.4, 10, 10, 10]
    result = simulate(
        bars(prices, prices),
        [0.5, 0.52, 0.6, -0.5, 0.0, 0.0],
        initial_cash=1000.0,
        rebalance_band=0.05,
    )
    # Bar 1 opens 50 shares. Bar 2 wants trunc(0.52 × 1020 / 10.4) = 51: +1 share = 10.4
    # < 0.05 × 1020 = 51 on the same side, skipped. Bar 3 (equity 1000 at its open of 10)
    # wants 60: +10 shares = 100 > 50, traded. Bar 4 flips to -50 and bar 5 closes, band or not.
    np.testing.assert_array_equal(result.positions.ravel(), [0, 50, 50, 60, -50, 0])
    assert result.fills.bar.tolist() == [1, 3, 4, 5]
    assert result.fills.quantity.tolist() == [50, 10, -110, 50]


@st.composite
def weight_panels(draw: st.DrawFn) -> dict[str, Any]:
    """Whole bars missing at random, weights in [-1.5, 1.5] with NaN holds, random simple costs."""
    shape = (draw(st.integers(1, 12)), draw(st.integers(1, 4)))
    price = st.floats(0.5, 500.0)
    open_ = draw(hnp.arrays(np.float64, shape, elements=price))
    close = draw(hnp.arrays(np.float64, shape, elements=price))
    missing = draw(hnp.arrays(np.bool_, shape))
    open_[missing] = close[missing] = nan
    weight = st.one_of(st.floats(-1.5, 1.5), st.just(nan))
    cost = st.floats(0.0, 50.0)
    return {
        # Volume moves nothing here: no volume costs are set, so even a subnormal volume (whose
        # participation overflows to inf) must leave prices alone.
        **bars(
            open_,
            close,
            volume=draw(st.one_of(st.just(0.0), st.just(1e-310), st.floats(1.0, 1e7))),
        ),
        "target_weights": draw(hnp.arrays(np.float64, shape, elements=weight)),
        "initial_cash": draw(st.floats(0.0, 1e6)),
        "costs": CostModel(
            commission_per_share=draw(st.floats(0.0, 0.05)),
            commission_minimum=draw(cost),
            commission_bps=draw(cost),
            slippage_bps=draw(cost),
        ),
        "rebalance_band": draw(st.sampled_from([0.0, 0.0, 0.01, 0.1])),
    }


@settings(deadline=None, max_examples=300)
@given(panel=weight_panels())
def test_weights_equal_the_python_loop_reference(
    reference: ModuleType, panel: dict[str, Any]
) -> None:
    result = kernels.simulate_portfolio(**panel)
    expected = reference.simulate_portfolio_weights(**panel)
    scale = max(panel["initial_cash"], 1.0)
    for name in ("equity", "cash", "positions"):
        reference.assert_close(getattr(result, name), getattr(expected, name), scale=scale)
    fills = result.fills
    assert len(fills.bar) == len(expected.fills)
    if expected.fills:
        columns = zip(*expected.fills, strict=True)
        bar, symbol, quantity, price, commission, slippage = map(np.array, columns)
        np.testing.assert_array_equal(fills.bar, bar)
        np.testing.assert_array_equal(fills.symbol, symbol)
        np.testing.assert_array_equal(fills.quantity, quantity)
        reference.assert_close(fills.price, price.astype(np.float64))
        reference.assert_close(fills.commission, commission.astype(np.float64), scale=scale)
        reference.assert_close(fills.slippage, slippage.astype(np.float64), scale=scale)
        assert math.isclose(result.costs.commission, commission.sum(), rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(result.costs.slippage, slippage.sum(), rel_tol=1e-9, abs_tol=1e-9)
    assert (fills.impact == 0).all()
    assert (fills.reason == kernels.simulator.REASON_SIGNAL).all()
    assert (fills.order == -1).all()
    assert result.costs.impact == result.costs.borrow == 0.0


@settings(deadline=None, max_examples=100)
@given(panel=weight_panels())
def test_positions_are_whole_shares_and_the_last_bar_never_trades(panel: dict[str, Any]) -> None:
    result = kernels.simulate_portfolio(**panel)
    np.testing.assert_array_equal(result.positions, np.trunc(result.positions))
    last_bar_flipped = panel["target_weights"].copy()
    last_bar_flipped[-1] = np.where(np.isnan(last_bar_flipped[-1]), 1.0, -last_bar_flipped[-1])
    changed = kernels.simulate_portfolio(**{**panel, "target_weights": last_bar_flipped})
    np.testing.assert_array_equal(changed.equity, result.equity)
    np.testing.assert_array_equal(changed.positions, result.positions)
    assert changed.fills.bar.tolist() == result.fills.bar.tolist()
