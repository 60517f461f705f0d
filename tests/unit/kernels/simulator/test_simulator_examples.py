"""Hand-worked cases for every order type, time in force, cost, impact and margin rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from quantcli import kernels
from quantcli.kernels import CostModel, MarginRules, Orders, round_trips

nan = math.nan
MKT, LMT, STP, STP_LMT = 0, 1, 2, 3
DAY, GTC, IOC = 0, 1, 2


def one_symbol(
    ohlc: list[tuple[float, float, float, float]], volume: float = 1e6
) -> dict[str, np.ndarray]:
    rows = np.array(ohlc, dtype=float)
    vol = np.where(np.isnan(rows[:, :1]), nan, volume)
    return {
        "open": rows[:, :1].copy(),
        "high": rows[:, 1:2].copy(),
        "low": rows[:, 2:3].copy(),
        "close": rows[:, 3:4].copy(),
        "volume": vol,
    }


def orders(*rows: tuple[int, float, int, float, float, int]) -> Orders:
    """(bar, quantity, type, limit, stop, tif) rows for symbol 0."""
    return Orders(
        bar=[r[0] for r in rows],
        symbol=[0] * len(rows),
        quantity=[r[1] for r in rows],
        order_type=[r[2] for r in rows],
        limit_price=[r[3] for r in rows],
        stop_price=[r[4] for r in rows],
        time_in_force=[r[5] for r in rows],
    )


def run(bars: dict[str, np.ndarray], **kwargs: Any) -> kernels.PortfolioSimulation:
    return kernels.simulate_portfolio(
        **bars, initial_cash=kwargs.pop("initial_cash", 10_000.0), **kwargs
    )


FLAT = [(50.0, 51.0, 49.0, 50.0)] * 4


def test_market_order_fills_at_the_next_open_with_slippage_and_ibkr_fixed_commission() -> None:
    costs = CostModel(
        commission_per_share=0.005,
        commission_minimum=1.0,
        commission_maximum_fraction=0.01,
        slippage_bps=10.0,
    )
    result = run(one_symbol(FLAT), orders=orders((0, 100, MKT, nan, nan, DAY)), costs=costs)
    # Bar 1 open 50 × 1.001 = 50.05; commission max(100 × 0.005, 1) = 1 (cap 1% of 5 005).
    assert result.fills.bar.tolist() == [1]
    assert result.fills.price[0] == pytest.approx(50.05, rel=1e-12)
    assert result.fills.commission[0] == pytest.approx(1.0)
    assert result.fills.slippage[0] == pytest.approx(100 * 50 * 0.001)
    np.testing.assert_allclose(result.cash, [10_000, 10_000 - 5005 - 1, 4994, 4994])
    np.testing.assert_allclose(result.equity[1], 4994 + 100 * 50)


def test_commission_maximum_caps_a_cheap_stock() -> None:
    bars = one_symbol([(0.5, 0.5, 0.5, 0.5)] * 2)
    costs = CostModel(
        commission_per_share=0.005, commission_minimum=1.0, commission_maximum_fraction=0.01
    )
    result = run(bars, orders=orders((0, 1000, MKT, nan, nan, DAY)), costs=costs)
    # max(5, 1) = 5, but 1% of 1 000 × 0.5 = 5 → 5; at 0.10 it would be 1.
    assert result.fills.commission[0] == pytest.approx(5.0)
    cheap = one_symbol([(0.1, 0.1, 0.1, 0.1)] * 2)
    result = run(cheap, orders=orders((0, 1000, MKT, nan, nan, DAY)), costs=costs)
    assert result.fills.commission[0] == pytest.approx(1.0)


def test_limit_buy_fills_at_the_open_when_better_else_at_the_limit_when_touched() -> None:
    bars = one_symbol([(50, 51, 49, 50), (48, 49, 47, 48), (52, 53, 49, 52), (52, 53, 51, 52)])
    result = run(
        bars,
        orders=orders(
            (0, 10, LMT, 49.5, nan, DAY), (1, 10, LMT, 50.0, nan, DAY), (2, 10, LMT, 50.0, nan, DAY)
        ),
    )
    # Bar 1 opens 48 <= 49.5: fills at 48. Bar 2 opens 52 > 50, low 49 touches: 50.
    # Bar 3 never reaches 50 (low 51): the DAY order expires unfilled.
    assert result.fills.bar.tolist() == [1, 2]
    assert result.fills.price.tolist() == [48.0, 50.0]
    assert result.positions[-1, 0] == 20


def test_gtc_limit_keeps_working_and_day_and_ioc_expire_after_one_bar() -> None:
    bars = one_symbol([(50, 51, 49, 50), (50, 51, 49, 50), (50, 51, 49, 50), (46, 47, 45, 46)])
    for tif, expected in ((GTC, [3]), (DAY, []), (IOC, [])):
        result = run(bars, orders=orders((0, 5, LMT, 47.0, nan, tif)))
        assert result.fills.bar.tolist() == expected


def test_a_bar_without_data_does_not_count_against_a_day_order() -> None:
    bars = one_symbol([(50, 51, 49, 50), (nan, nan, nan, nan), (50, 51, 49, 50)])
    result = run(bars, orders=orders((0, 5, MKT, nan, nan, DAY)))
    assert result.fills.bar.tolist() == [2]


def test_stop_sell_fills_at_the_open_on_a_gap_else_at_the_stop_plus_slippage() -> None:
    bars = one_symbol([(50, 51, 49, 50), (50, 51, 49, 50), (45, 46, 44, 45), (50, 51, 47, 50)])
    costs = CostModel(slippage_bps=100.0)
    result = run(
        bars,
        orders=orders(
            (0, 10, MKT, nan, nan, DAY), (1, -5, STP, nan, 48.0, GTC), (2, -5, STP, nan, 48.0, DAY)
        ),
        costs=costs,
    )
    # Bar 2 gaps to 45 <= 48: sells at 45 × 0.99. Bar 3 opens 50 and trades down to 47: 48 × 0.99.
    np.testing.assert_allclose(result.fills.price, [50 * 1.01, 45 * 0.99, 48 * 0.99])


def test_stop_limit_triggered_outside_its_limit_works_as_a_limit_from_the_next_bar() -> None:
    bars = one_symbol([(50, 51, 49, 50), (50, 53, 49, 52), (54, 55, 50.5, 54), (50, 51, 49, 50)])
    # Buy stop 52, limit 51: bar 1 reaches 52 (trigger 52 > 51, no fill); bar 2 opens 54 > 51
    # and trades down to 50.5 <= 51: fills at the limit 51, without slippage.
    costs = CostModel(slippage_bps=100.0)
    gtc = run(bars, orders=orders((0, 10, STP_LMT, 51.0, 52.0, GTC)), costs=costs)
    assert gtc.fills.bar.tolist() == [2]
    assert gtc.fills.price.tolist() == [51.0]
    day = run(bars, orders=orders((0, 10, STP_LMT, 51.0, 52.0, DAY)), costs=costs)
    assert day.fills.bar.tolist() == []
    filled_at_trigger = run(bars, orders=orders((0, 10, STP_LMT, 53.0, 52.0, DAY)), costs=costs)
    assert filled_at_trigger.fills.price.tolist() == [52.0]


def test_fill_at_close_trades_the_signal_at_its_own_bar_and_is_flagged() -> None:
    bars = one_symbol([(50, 51, 49, 50), (50, 53, 49, 52), (54, 55, 50.5, 54)])
    result = run(
        bars,
        target_weights=np.array([[0.5], [0.5], [0.0]]),
        initial_cash=1000.0,
        fill_at_close=True,
    )
    # Bar 0 close 50: 10 shares; bar 1 close 52, equity 1020: trunc(510 / 52) = 9 (sell 1);
    # bar 2 close 54: sell all 9.
    assert result.fills.bar.tolist() == [0, 1, 2]
    assert result.fills.quantity.tolist() == [10, -1, -9]
    assert result.flags.same_bar_fills is True
    assert run(bars, target_weights=np.zeros((3, 1))).flags.same_bar_fills is False


def test_participation_cap_spreads_a_gtc_order_and_cancels_a_day_remainder() -> None:
    bars = one_symbol(FLAT, volume=300.0)
    costs = CostModel(participation_rate=0.1)  # 30 shares a bar
    gtc = run(bars, orders=orders((0, 70, MKT, nan, nan, GTC)), costs=costs)
    assert gtc.fills.quantity.tolist() == [30, 30, 10]
    day = run(bars, orders=orders((0, 70, MKT, nan, nan, DAY)), costs=costs)
    assert day.fills.quantity.tolist() == [30]


def test_spread_volume_slippage_and_impacts_add_up_on_the_fill_price() -> None:
    bars = one_symbol(FLAT, volume=1000.0)
    costs = CostModel(
        slippage_bps=2.0,
        spread_bps=10.0,
        volume_slippage=0.01,
        square_root_impact=0.5,
        temporary_impact=0.1,
    )
    result = run(bars, orders=orders((0, 40, MKT, nan, nan, DAY)), costs=costs, volatility=0.02)
    # p = 40 / 1000 = 0.04. Slippage 0.0002 + 0.0005 + 0.01 × 0.04 = 0.0011;
    # impact 0.5 × 0.02 × sqrt(0.04) + 0.1 × 0.04 = 0.002 + 0.004 = 0.006.
    assert result.fills.price[0] == pytest.approx(50 * 1.0071, rel=1e-12)
    assert result.fills.slippage[0] == pytest.approx(40 * 50 * 0.0011, rel=1e-12)
    assert result.fills.impact[0] == pytest.approx(40 * 50 * 0.006, rel=1e-12)
    assert result.costs.impact == pytest.approx(12.0, rel=1e-12)


def test_limit_fills_pay_no_slippage_or_temporary_impact() -> None:
    bars = one_symbol(FLAT, volume=1000.0)
    costs = CostModel(slippage_bps=50.0, temporary_impact=1.0)
    result = run(bars, orders=orders((0, 40, LMT, 50.0, nan, DAY)), costs=costs)
    assert result.fills.price.tolist() == [50.0]
    assert result.costs.slippage == 0.0


def test_permanent_impact_shifts_the_symbols_later_prices() -> None:
    bars = one_symbol(FLAT, volume=1000.0)
    costs = CostModel(permanent_impact=0.5)
    result = run(
        bars,
        orders=orders((0, 100, MKT, nan, nan, DAY), (2, -100, MKT, nan, nan, DAY)),
        costs=costs,
    )
    # Buying 10% of volume moves later prices up by 0.5 × 0.1 = 5%: the close of bar 1 marks at
    # 52.5, bar 3's open is 52.5 and the sale (another 10%) moves them by × 0.95 after it.
    np.testing.assert_allclose(result.fills.price, [50.0, 52.5])
    np.testing.assert_allclose(result.equity, [10_000, 10_250, 10_250, 10_250])


def test_borrow_fee_accrues_on_shorts_at_each_close() -> None:
    bars = one_symbol(FLAT)
    costs = CostModel(borrow_rate=0.252, bars_per_year=252.0)
    result = run(bars, orders=orders((0, -100, MKT, nan, nan, GTC)), costs=costs)
    # Short 100 × 50 = 5 000 at closes 1, 2, 3: 5 000 × 0.001 = 5 each.
    assert result.costs.borrow == pytest.approx(15.0)
    np.testing.assert_allclose(result.cash, [10_000, 14_995, 14_990, 14_985])


def test_tiered_commission_prices_by_the_months_volume_and_resets_each_month() -> None:
    bars = one_symbol(FLAT)
    costs = CostModel(commission_tiers=((0.0, 0.01), (150.0, 0.005)))
    result = run(
        bars,
        orders=orders(
            (0, 100, MKT, nan, nan, DAY), (1, 100, MKT, nan, nan, DAY), (2, 100, MKT, nan, nan, DAY)
        ),
        costs=costs,
        month=np.array([0, 0, 0, 1]),
    )
    # Bar 1: 0 traded → 0.01 × 100; bar 2: 100 traded < 150 → 0.01; bar 3 is a new month → 0.01.
    np.testing.assert_allclose(result.fills.commission, [1.0, 1.0, 1.0])
    same_month = run(
        bars,
        orders=orders(
            (0, 100, MKT, nan, nan, DAY), (1, 100, MKT, nan, nan, DAY), (2, 100, MKT, nan, nan, DAY)
        ),
        costs=costs,
    )
    np.testing.assert_allclose(same_month.fills.commission, [1.0, 1.0, 0.5])


def test_leverage_limit_cuts_an_order_to_the_headroom_and_rejects_when_none_is_left() -> None:
    bars = one_symbol(FLAT)
    margin = MarginRules(max_leverage=2.0, initial_margin=0.8)  # 1 / 0.8 = 1.25 binds
    result = run(
        bars,
        initial_cash=1000.0,
        margin=margin,
        orders=orders(
            (0, 30, MKT, nan, nan, GTC), (1, 10, MKT, nan, nan, GTC), (1, -40, MKT, nan, nan, DAY)
        ),
    )
    # Equity 1 000 allows gross 1 250 = 25 shares at 50: 30 is cut to 25 (rest cancelled);
    # the next buy has no room and is rejected; a sale always passes.
    assert result.fills.quantity.tolist() == [25, -40]
    assert result.flags.orders_cut == 1
    assert result.flags.orders_rejected == 1


def test_margin_call_liquidates_at_the_next_open_and_skips_that_bars_signal() -> None:
    bars = one_symbol(
        [(50, 51, 49, 50), (50, 51, 49, 50), (50, 80, 49, 80), (82, 83, 81, 82), (82, 83, 81, 82)]
    )
    margin = MarginRules(maintenance_margin=0.3)
    targets = np.array([[-30.0], [-30.0], [-20.0], [0.0], [0.0]])
    result = run(bars, initial_cash=1000.0, margin=margin, target_positions=targets)
    # Short 30 at 50: cash 2 500. Close 80: equity 2 500 - 2 400 = 100 < 0.3 × 2 400 = 720.
    # Bar 3 opens 82: the 30 are bought back (reason liquidation) and the -20 target decided at
    # bar 2, which would have bought 10, is dropped.
    assert result.flags.margin_calls == 1
    assert result.fills.bar.tolist() == [1, 3]
    assert result.fills.reason.tolist() == [0, 1]
    assert result.fills.quantity.tolist() == [-30, 30]
    np.testing.assert_allclose(result.cash, [1000, 2500, 2500, 40, 40])
    np.testing.assert_allclose(result.equity, [1000, 1000, 100, 40, 40])


def test_round_trips_pair_fills_first_in_first_out_net_of_commission() -> None:
    bars = one_symbol(
        [(50, 51, 49, 50), (50, 51, 49, 50), (55, 56, 54, 55), (60, 61, 59, 60), (45, 46, 44, 45)]
    )
    costs = CostModel(commission_per_share=0.01)
    result = run(
        bars,
        costs=costs,
        orders=orders(
            (0, 10, MKT, nan, nan, DAY),
            (1, -4, MKT, nan, nan, DAY),
            (2, -16, MKT, nan, nan, DAY),
            (3, 10, MKT, nan, nan, DAY),
        ),
    )
    trips = round_trips(result.fills)
    assert [(t.entry_bar, t.exit_bar, t.quantity) for t in trips] == [
        (1, 2, 4),
        (1, 3, 6),
        (3, 4, -10),
    ]
    # 4 × (55 - 50) - 0.04 - 0.04; 6 × (60 - 50) - 0.06 - 0.06; -10 × (45 - 60) - 0.1 - 0.1.
    assert [t.pnl for t in trips] == pytest.approx([19.92, 59.88, 149.8])
