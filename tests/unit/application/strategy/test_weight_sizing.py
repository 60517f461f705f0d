"""sized_weights: the backtest's panel form of SignalSizer.target_weight, cell for cell."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantcli.application.strategy.order_sizing import SignalSizer, SizingMethod, SizingPolicy
from quantcli.application.strategy.weight_sizing import (
    rolling_annualized_volatility,
    sized_weights,
    sizing_description,
)
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.bar import Bar
from quantcli.domain.errors import ValidationError
from quantcli.domain.signals import Signal

T0 = datetime(2024, 1, 2, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB", "CCC")
NAN = math.nan


def sizer_weights(
    target: np.ndarray, probability: np.ndarray, closes: np.ndarray, policy: SizingPolicy
) -> np.ndarray:
    """What a paper session's SignalSizer gives each bar's signals, bar after bar."""
    sizer = SignalSizer(policy)
    out = np.full(target.shape, NAN)
    for row in range(target.shape[0]):
        moment = T0 + timedelta(days=row)
        sizer.observe(
            {
                symbol: Bar(symbol, moment, close, close, close, close, 1e6)
                for symbol, close in zip(SYMBOLS, closes[row].tolist(), strict=False)
                if not math.isnan(close)
            }
        )
        for column in range(target.shape[1]):
            signal = Signal(
                SYMBOLS[column],
                moment,
                float(target[row, column]),
                float(probability[row, column]),
            )
            out[row, column] = sizer.target_weight(signal)
    return out


@st.composite
def panels(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target weights, probabilities, closes) of up to 40 bars × 3 symbols, with gaps."""
    shape = (draw(st.integers(1, 40)), draw(st.integers(1, len(SYMBOLS))))
    # Bar-to-bar price ratios; repeated ratios give windows of equal returns.
    ratios = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.one_of(st.sampled_from([1.0, 1.1, 1.3, 0.9]), st.floats(0.6, 1.5)),
        )
    )
    start = draw(hnp.arrays(np.float64, shape[1], elements=st.floats(1.0, 1000.0)))
    closes = np.empty(shape)
    closes[0] = start
    for row in range(1, shape[0]):  # compounded bar by bar, as prices are
        closes[row] = closes[row - 1] * ratios[row]
    missing = draw(
        hnp.arrays(np.bool_, shape, elements=st.sampled_from([False, False, False, True]))
    )
    closes[missing] = NAN
    probability = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    if draw(st.booleans()):
        target = ThresholdStrategy(weight_per_symbol=draw(st.floats(0.01, 1.0))).target_weights(
            probability
        )
    else:
        target = draw(hnp.arrays(np.float64, shape, elements=st.just(0.0) | st.floats(-1.0, 1.0)))
    return target, probability, closes


policies = st.builds(
    SizingPolicy,
    max_weight=st.floats(0.01, 1.0),
    target_volatility=st.floats(0.01, 1.0),
    volatility_window=st.integers(1, 12),
    bars_per_year=st.sampled_from([252.0, 52.0, 365.25]) | st.floats(1.0, 1000.0),
    kelly_fraction=st.floats(0.05, 1.0),
    payoff_ratio=st.floats(0.2, 5.0),
)


@pytest.mark.parametrize("method", list(SizingMethod), ids=lambda method: method.value)
@settings(max_examples=150, deadline=None)
@given(panel=panels(), policy=policies)
def test_sized_weights_equal_the_signal_sizer_bar_by_bar(
    method: SizingMethod,
    panel: tuple[np.ndarray, np.ndarray, np.ndarray],
    policy: SizingPolicy,
) -> None:
    target, probability, closes = panel
    policy = attrs.evolve(policy, method=method)

    sized = sized_weights(target, probability, closes, policy)

    np.testing.assert_allclose(
        sized, sizer_weights(target, probability, closes, policy), rtol=0, atol=1e-12
    )


# -- fixed fraction -----------------------------------------------------------------------------


def test_fixed_fraction_clips_the_strategy_weights_and_keeps_hold() -> None:
    target = np.array([[0.03, 0.2, -0.2, 0.0, NAN]])

    sized = sized_weights(target, np.full_like(target, 0.5), np.ones_like(target), SizingPolicy())
    capped = sized_weights(
        target, np.full_like(target, 0.5), np.ones_like(target), SizingPolicy(max_weight=0.05)
    )

    np.testing.assert_array_equal(sized, target)
    np.testing.assert_array_equal(capped, [[0.03, 0.05, -0.05, 0.0, NAN]])


# -- volatility target --------------------------------------------------------------------------

# Returns of ±10 %: the std of two of them is sqrt(0.02), × sqrt(50 bars a year) = 1.0.
VOLATILITY = SizingPolicy(
    SizingMethod.VOLATILITY_TARGET,
    max_weight=0.15,
    target_volatility=0.10,
    volatility_window=2,
    bars_per_year=50.0,
)
CLOSES = np.array(
    [
        # AAA ±10 % a bar; BBB flat; CCC ±10 % with its 2nd and 5th bars missing.
        [100.0, 100.0, 100.0],
        [110.0, 100.0, NAN],
        [99.0, 100.0, 110.0],
        [108.9, 100.0, 99.0],
        [98.01, 100.0, NAN],
    ]
)


def test_volatility_target_divides_the_target_by_the_last_windows_volatility() -> None:
    target = np.array(
        [
            [0.05, 0.05, 0.05],
            [0.05, 0.05, 0.05],
            [0.05, 0.05, 0.05],
            [-0.05, 0.05, -0.05],
            [0.0, 0.05, 0.05],
        ]
    )

    sized = sized_weights(target, np.full_like(target, 0.5), CLOSES, VOLATILITY)

    expected = [
        # No position before two returns; flat prices (volatility 0) give none either.
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.10, 0.0, 0.0],  # CCC has one return: 100 → 110 across its missing bar
        [-0.10, 0.0, -0.10],
        # AAA flat by the strategy; CCC has no bar and keeps its last window's volatility.
        [0.0, 0.0, 0.10],
    ]
    np.testing.assert_allclose(sized, expected, rtol=0, atol=1e-12)


def test_volatility_target_is_capped_at_max_weight() -> None:
    policy = attrs.evolve(VOLATILITY, target_volatility=0.5)

    sized = sized_weights(np.full((5, 1), -0.01), np.full((5, 1), 0.5), CLOSES[:, :1], policy)

    np.testing.assert_allclose(sized[2:, 0], [-0.15, -0.15, -0.15], rtol=0, atol=1e-15)


def test_rolling_volatility_uses_only_the_last_window_returns() -> None:
    # Returns 10 %, -10 %, 0, 0: the 2-return window at the last bar is (0, 0).
    closes = np.array([[100.0], [110.0], [99.0], [99.0], [99.0]])

    volatility = rolling_annualized_volatility(closes, 2, 50.0)

    np.testing.assert_allclose(volatility[:, 0], [NAN, NAN, 1.0, math.sqrt(50 * 0.005), 0.0])


def test_equal_returns_are_sized_as_the_signal_sizer_rounds_them() -> None:
    # 100 × 1.3^k: seven returns of exactly 0.30000000000000004. SignalSizer's two-pass mean
    # of seven of them is off by an ulp, so its volatility is 9.5e-16 (full size), not 0.
    prices = [100.0]
    for _ in range(7):
        prices.append(prices[-1] * 1.3)
    closes = np.array(prices)[:, None]
    assert len(set((closes[1:] / closes[:-1] - 1.0).ravel().tolist())) == 1
    policy = SizingPolicy(SizingMethod.VOLATILITY_TARGET, max_weight=0.05, volatility_window=7)
    target = np.full_like(closes, 0.05)

    sized = sized_weights(target, np.full_like(closes, 0.5), closes, policy)

    expected = sizer_weights(target, np.full_like(closes, 0.5), closes, policy)
    assert expected[-1, 0] == 0.05
    np.testing.assert_array_equal(sized, expected)


# -- fractional Kelly ---------------------------------------------------------------------------


def test_fractional_kelly_sizes_the_edge_on_the_strategys_side_only() -> None:
    policy = SizingPolicy(
        SizingMethod.FRACTIONAL_KELLY, max_weight=0.08, kelly_fraction=0.25, payoff_ratio=1.0
    )
    # 0.25 × (p - (1 - p)): p 0.6 → 0.05, p 0.3 → -0.10 (capped -0.08), p 0.45 → -0.025.
    target = np.array([[0.05, -0.05, -0.05, 0.0, 0.05, NAN]])
    probability = np.array([[0.6, 0.6, 0.3, 0.9, 0.45, 0.9]])

    sized = sized_weights(target, probability, np.ones_like(target), policy)

    np.testing.assert_allclose(
        sized, [[0.05, 0.0, -0.08, 0.0, 0.0, NAN]], rtol=0, atol=1e-15, equal_nan=True
    )


def test_fractional_kelly_uses_the_payoff_ratio() -> None:
    policy = SizingPolicy(SizingMethod.FRACTIONAL_KELLY, kelly_fraction=0.5, payoff_ratio=2.0)

    # 0.5 × (0.6 - 0.4 / 2) = 0.2
    sized = sized_weights([[0.05]], [[0.6]], [[1.0]], policy)

    assert sized[0, 0] == pytest.approx(0.2, abs=1e-15)


def test_fractional_kelly_needs_a_probability_wherever_it_sizes() -> None:
    policy = SizingPolicy(SizingMethod.FRACTIONAL_KELLY)

    with pytest.raises(ValidationError, match=r"bar 1, symbol 0: nan is not a probability"):
        sized_weights([[0.0], [0.05]], [[NAN], [NAN]], [[1.0], [1.0]], policy)


# -- inputs and description ---------------------------------------------------------------------


def test_panels_of_other_shapes_are_refused() -> None:
    policy = SizingPolicy(SizingMethod.VOLATILITY_TARGET)

    with pytest.raises(ValidationError, match=r"closes has shape \(2, 1\), target_weights"):
        sized_weights([[0.05, 0.05]], [[0.5, 0.5]], [[1.0], [1.0]], policy)
    with pytest.raises(ValidationError, match="target_weights: expected a"):
        sized_weights([0.05], [0.5], [1.0], policy)


@pytest.mark.parametrize(
    ("policy", "line"),
    [
        (
            SizingPolicy(max_weight=0.05),
            "fixed_fraction (the strategy's target weights), capped at 5.00% per symbol",
        ),
        (
            SizingPolicy(SizingMethod.VOLATILITY_TARGET, max_weight=0.05),
            "volatility_target (target 10% annualized, 20-bar window), capped at 5.00% per symbol",
        ),
        (
            SizingPolicy(SizingMethod.FRACTIONAL_KELLY, max_weight=0.1, payoff_ratio=1.5),
            "fractional_kelly (0.25 × Kelly at payoff ratio 1.5), capped at 10.00% per symbol",
        ),
    ],
)
def test_the_description_names_the_method_and_its_parameters(
    policy: SizingPolicy, line: str
) -> None:
    assert sizing_description(policy) == line
