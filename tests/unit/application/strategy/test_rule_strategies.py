"""SmaCrossStrategy: ±weight by the sign of SMA(fast) − SMA(slow), per symbol, NaN in warm-up."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.strategy.rule_strategies import SmaCrossStrategy
from quantcli.domain.errors import DataError, ValidationError

nan = np.nan
DAYS = 48
LATE_START = 15  # CCC's first bar


def numpy_sma(values: np.ndarray, window: int) -> np.ndarray:
    out = np.full(values.size, nan)
    out[window - 1 :] = np.convolve(values, np.ones(window) / window, mode="valid")
    return out


def closes(phase: float, count: int) -> np.ndarray:
    """A trend plus a swing: several crossings each way of short and long averages."""
    t = np.arange(count, dtype=np.float64)
    return 100.0 + 0.1 * t + 8.0 * np.sin(t / 3.0 + phase)


def market(fakes: ModuleType) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """AAA and BBB trade every day; CCC lists on day LATE_START."""
    days = fakes.utc_days(DAYS)
    prices = {
        "AAA": closes(0.0, DAYS),
        "BBB": closes(1.7, DAYS),
        "CCC": closes(0.9, DAYS - LATE_START),
    }
    frames = [
        fakes.bar_frame(symbol, days[DAYS - close.size :], close, close)
        for symbol, close in prices.items()
    ]
    return pd.concat(frames, ignore_index=True), prices


def expected_column(close: np.ndarray, strategy: SmaCrossStrategy) -> np.ndarray:
    difference = numpy_sma(close, strategy.fast) - numpy_sma(close, strategy.slow)
    defined = difference[~np.isnan(difference)]
    # Far from zero, so the sign cannot depend on how the kernel rounds.
    assert np.abs(defined).min() > 1e-6
    short = -strategy.weight_per_symbol if strategy.allow_short else 0.0
    column = np.where(difference > 0, strategy.weight_per_symbol, short)
    return np.where(np.isnan(difference), nan, column)


def test_hand_worked_weights_go_long_above_short_below_and_nan_in_warm_up(
    fakes: ModuleType,
) -> None:
    close = [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    bars = fakes.bar_frame("AAA", fakes.utc_days(len(close)), close, close)
    # SMA(2): -, 1.5, 2.5, 3.5, 4.5, 4.5, 3.5, 2.5, 1.5
    # SMA(3): -, -,   2,   3,   4,   4.33, 4,  3,   2
    weights = SmaCrossStrategy(fast=2, slow=3, weight_per_symbol=0.25)(bars)

    np.testing.assert_array_equal(
        weights["AAA"].to_numpy(), [nan, nan, 0.25, 0.25, 0.25, 0.25, -0.25, -0.25, -0.25]
    )


@pytest.mark.parametrize("allow_short", [True, False])
def test_weights_match_a_numpy_sma_per_symbol_with_a_late_listed_symbol(
    fakes: ModuleType, allow_short: bool
) -> None:
    bars, prices = market(fakes)
    strategy = SmaCrossStrategy(fast=3, slow=8, allow_short=allow_short, weight_per_symbol=0.1)

    weights = strategy(bars)

    assert isinstance(weights.index, pd.DatetimeIndex)
    assert weights.index.equals(fakes.utc_days(DAYS))
    assert list(weights.columns) == ["AAA", "BBB", "CCC"]
    for symbol in ("AAA", "BBB"):
        np.testing.assert_array_equal(
            weights[symbol].to_numpy(), expected_column(prices[symbol], strategy)
        )
    late = weights["CCC"].to_numpy()
    assert np.isnan(late[: LATE_START + strategy.slow - 1]).all()  # unlisted, then warm-up
    np.testing.assert_array_equal(late[LATE_START:], expected_column(prices["CCC"], strategy))
    decided = weights.to_numpy()
    values = set(decided[~np.isnan(decided)].tolist())
    assert values == ({0.1, -0.1} if allow_short else {0.1, 0.0})


def test_a_late_listed_symbol_does_not_change_the_others_weights(fakes: ModuleType) -> None:
    bars, _ = market(fakes)
    strategy = SmaCrossStrategy(fast=3, slow=8)

    together = strategy(bars)
    alone = strategy(bars[bars["symbol"] == "AAA"])

    pd.testing.assert_series_equal(together["AAA"], alone["AAA"])


def test_one_bar_more_than_the_slow_window_gives_one_decided_weight(fakes: ModuleType) -> None:
    close = np.arange(1.0, 10.0)  # 9 bars, rising: SMA(3) > SMA(8) once both exist
    bars = fakes.bar_frame("AAA", fakes.utc_days(close.size), close, close)

    weights = SmaCrossStrategy(fast=3, slow=8, weight_per_symbol=0.5)(bars)

    np.testing.assert_array_equal(weights["AAA"].to_numpy(), [nan] * 7 + [0.5, 0.5])


def test_too_few_bars_of_any_symbol_is_a_data_error_naming_it(fakes: ModuleType) -> None:
    bars, _ = market(fakes)

    with pytest.raises(DataError, match=r"CCC: 33 bars, too few for SMA\(40\)"):
        SmaCrossStrategy(fast=5, slow=40)(bars)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"fast": 0, "slow": 5}, r"need 1 <= fast \(0\) < slow \(5\)"),
        ({"fast": 5, "slow": 5}, r"need 1 <= fast \(5\) < slow \(5\)"),
        ({"fast": 8, "slow": 5}, r"need 1 <= fast \(8\) < slow \(5\)"),
        ({"weight_per_symbol": 0.0}, r"weight_per_symbol 0.0 outside \(0, 1\]"),
        ({"weight_per_symbol": -0.1}, r"weight_per_symbol -0.1 outside \(0, 1\]"),
        ({"weight_per_symbol": 1.5}, r"weight_per_symbol 1.5 outside \(0, 1\]"),
    ],
)
def test_invalid_parameters_are_a_validation_error_naming_them(
    parameters: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SmaCrossStrategy(**parameters)  # type: ignore[arg-type]


def test_full_weight_and_fast_window_one_are_allowed() -> None:
    strategy = SmaCrossStrategy(fast=1, slow=2, weight_per_symbol=1.0)

    assert (strategy.fast, strategy.slow, strategy.weight_per_symbol) == (1, 2, 1.0)
