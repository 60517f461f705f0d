"""Event-driven all-in backtest: hand-worked cases, a plain-Python reference, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantcli import kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import BACKTESTING_PY, VECTORBT, SignalRules

nan = math.nan
OPEN = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
CLOSE = np.array([10.5, 11.5, 12.5, 13.5, 14.5])


def reference(
    open_: np.ndarray, close: np.ndarray, events: np.ndarray, cash: float, rules: SignalRules
) -> tuple[list[float], list[float], list[tuple[float, int, float, int, float]]]:
    """The rules spelled out bar by bar: (equity, position, trades as tuples)."""
    position, equity, held = 0.0, [], []
    trades: list[list[float]] = []

    def commission(shares: float, price: float) -> float:
        return rules.commission_fixed + rules.commission_rate * abs(shares) * price

    def act(event: float, price: float, bar: int) -> None:
        nonlocal cash, position
        if math.isnan(event):
            return
        side = 1 if event > 0 else (-1 if event < 0 and rules.allow_short else 0)
        if side == (position > 0) - (position < 0):
            return
        if position:
            fee = commission(position, price)
            cash += position * price - fee
            trades[-1][3:6] = [bar, price, trades[-1][5] + fee]
            position = 0.0
        if side:
            per_share = price * (1 + rules.commission_rate)
            if rules.sizing == "whole":
                cost = per_share + rules.commission_fixed / rules.cash_fraction
                shares = math.floor(cash * rules.cash_fraction / cost)
            else:
                shares = (cash * rules.cash_fraction - rules.commission_fixed) / per_share
            if shares > 0:
                position = side * shares
                fee = commission(position, price)
                cash -= position * price + fee
                trades.append([position, bar, price, -1, nan, fee])

    for bar in range(len(close)):
        if rules.fill == "same_close":
            act(float(events[bar]), float(close[bar]), bar)
        elif bar > 0:
            act(float(events[bar - 1]), float(open_[bar]), bar)
        equity.append(cash + position * float(close[bar]))
        held.append(position)
    return equity, held, [(t[0], int(t[1]), t[2], int(t[3]), t[4]) for t in trades]


def test_next_open_long_then_flip_short_worked_by_hand() -> None:
    rules = SignalRules(commission_rate=0.01)
    result = kernels.signal_backtest(
        OPEN, CLOSE, [1.0, nan, -1.0, nan, nan], initial_cash=1000.0, rules=rules
    )
    # Bar 1 open 11: floor(1000 / (11 × 1.01)) = 90 shares, fee 9.90, cash 1000 - 990 - 9.90.
    # Bar 3 open 13: close 90 → cash 0.10 + 1170 - 11.70 = 1158.40; short
    # floor(1158.40 / 13.13) = 88 at 13, fee 11.44, cash 1158.40 + 1144 - 11.44 = 2290.96.
    np.testing.assert_array_equal(result.position, [0, 90, 90, -88, -88])
    np.testing.assert_allclose(result.equity, [1000, 1035.1, 1125.1, 1102.96, 1014.96], rtol=1e-12)
    np.testing.assert_array_equal(result.trades.entry_bar, [1, 3])
    np.testing.assert_array_equal(result.trades.exit_bar, [3, -1])
    np.testing.assert_allclose(result.trades.commission, [9.9 + 11.7, 11.44], rtol=1e-12)


def test_same_close_fractional_long_only_treats_minus_one_as_exit() -> None:
    result = kernels.signal_backtest(
        OPEN, CLOSE, [1.0, nan, -1.0, -1.0, nan], initial_cash=1000.0, rules=VECTORBT
    )
    shares = 1000 / 10.5
    np.testing.assert_allclose(result.position, [shares, shares, 0, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(result.equity[2:], [shares * 12.5] * 3, rtol=1e-12)
    np.testing.assert_array_equal(result.trades.exit_bar, [2])


def test_an_event_towards_the_side_held_and_a_last_bar_event_do_nothing() -> None:
    result = kernels.signal_backtest(
        OPEN, CLOSE, [1.0, 1.0, 1.0, nan, -1.0], initial_cash=1000.0, rules=BACKTESTING_PY
    )
    assert result.trades.size.size == 1
    assert result.position[-1] == result.position[1] > 0


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, SignalRules]:
    n = draw(st.integers(1, 40))
    price = st.floats(1.0, 500.0)
    events = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([nan, nan, 1.0, -1.0, 0.0])))
    rules = SignalRules(
        fill=draw(st.sampled_from(["next_open", "same_close"])),
        sizing=draw(st.sampled_from(["whole", "fractional"])),
        commission_rate=draw(st.floats(0.0, 0.01)),
        commission_fixed=draw(st.floats(0.0, 5.0)),
        cash_fraction=draw(st.floats(0.5, 1.0)),
        allow_short=draw(st.booleans()),
    )
    return (
        draw(hnp.arrays(np.float64, n, elements=price)),
        draw(hnp.arrays(np.float64, n, elements=price)),
        events,
        rules,
    )


@settings(deadline=None, max_examples=300)
@given(case=cases(), cash=st.floats(100.0, 1e6))
def test_kernel_equals_the_plain_python_rules(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, SignalRules], cash: float
) -> None:
    open_, close, events, rules = case
    result = kernels.signal_backtest(open_, close, events, initial_cash=cash, rules=rules)
    equity, position, trades = reference(open_, close, events, cash, rules)

    np.testing.assert_allclose(result.equity, equity, rtol=1e-9, atol=1e-9 * cash)
    np.testing.assert_allclose(result.position, position, rtol=1e-9, atol=1e-9)
    assert len(result.trades.size) == len(trades)
    for i, (size, entry_bar, entry_price, exit_bar, _exit_price) in enumerate(trades):
        assert result.trades.size[i] == pytest.approx(size, rel=1e-9)
        assert (result.trades.entry_bar[i], result.trades.exit_bar[i]) == (entry_bar, exit_bar)
        assert result.trades.entry_price[i] == entry_price


def test_sweep_point_equals_a_single_run_on_the_same_windows() -> None:
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 400)))
    open_ = close * np.exp(rng.normal(0, 0.005, 400))
    sweep = kernels.sma_cross_sweep(
        open_, close, [5, 10], [20, 30], initial_cash=1e4, rules=BACKTESTING_PY
    )
    for i, (fast, slow) in enumerate([(5, 20), (10, 30)]):
        diff = kernels.sma(close, fast) - kernels.sma(close, slow)
        events = np.full(close.size, nan)
        events[1:][(diff[:-1] < 0) & (diff[1:] > 0)] = 1
        events[1:][(diff[:-1] > 0) & (diff[1:] < 0)] = -1
        single = kernels.signal_backtest(open_, close, events, initial_cash=1e4)
        assert sweep.final_equity[i] == single.equity[-1]
        assert sweep.trade_count[i] == single.trades.size.size
        returns = single.equity[1:] / single.equity[:-1] - 1
        assert sweep.sharpe[i] == pytest.approx(
            returns.mean() / returns.std(ddof=1) * np.sqrt(252), rel=1e-9
        )


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: kernels.signal_backtest(OPEN, CLOSE[:3], CLOSE, initial_cash=1.0), "open"),
        (lambda: kernels.signal_backtest(-OPEN, CLOSE, CLOSE, initial_cash=1.0), "open"),
        (lambda: kernels.signal_backtest(OPEN, CLOSE, CLOSE, initial_cash=0.0), "initial_cash"),
        (
            lambda: kernels.signal_backtest(
                OPEN, CLOSE, CLOSE, initial_cash=1.0, rules=SignalRules(cash_fraction=1.5)
            ),
            "cash_fraction",
        ),
        (
            lambda: kernels.signal_backtest(
                OPEN,
                CLOSE,
                CLOSE,
                initial_cash=1.0,
                rules=SignalRules(fill="tomorrow"),  # type: ignore[arg-type]
            ),
            "fill",
        ),
        (lambda: kernels.sma_cross_sweep(OPEN, CLOSE, [2], [9], initial_cash=1.0), "slow"),
        (lambda: kernels.sma_cross_sweep(OPEN, CLOSE, [2, 3], [4], initial_cash=1.0), "fast"),
    ],
)
def test_bad_input_names_the_argument(call: object, argument: str) -> None:
    with pytest.raises(ValidationError, match=argument):
        call()  # type: ignore[operator]
