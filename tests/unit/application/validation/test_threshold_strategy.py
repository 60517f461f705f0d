"""ThresholdStrategy: from probabilities to target weights and domain Signals."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.errors import ValidationError
from quantcli.domain.signals import Signal


def test_weights_above_below_and_between_the_thresholds() -> None:
    strategy = ThresholdStrategy(long_threshold=0.6, short_threshold=0.4, weight_per_symbol=0.1)
    probabilities = np.array([0.9, 0.61, 0.6, 0.5, 0.4, 0.39, 0.0])

    weights = strategy.target_weights(probabilities)

    np.testing.assert_array_equal(weights, [0.1, 0.1, 0.0, 0.0, 0.0, -0.1, -0.1])
    assert weights.dtype == np.float64


def test_a_missing_probability_means_flat() -> None:
    strategy = ThresholdStrategy()
    weights = strategy.target_weights(np.array([np.nan, 0.9, np.nan, 0.1]))
    np.testing.assert_array_equal(weights, [0.0, 0.05, 0.0, -0.05])


def test_without_shorting_low_probabilities_are_flat() -> None:
    strategy = ThresholdStrategy(allow_short=False, weight_per_symbol=0.2)
    weights = strategy.target_weights(np.array([0.1, 0.5, 0.53]))
    np.testing.assert_array_equal(weights, [0.0, 0.0, 0.2])


def test_weights_keep_the_shape_of_a_panel() -> None:
    strategy = ThresholdStrategy(weight_per_symbol=0.25)
    panel = np.array([[0.7, np.nan], [0.3, 0.5]])
    np.testing.assert_array_equal(strategy.target_weights(panel), [[0.25, 0.0], [-0.25, 0.0]])


def test_equal_thresholds_leave_only_the_threshold_itself_flat() -> None:
    strategy = ThresholdStrategy(long_threshold=0.5, short_threshold=0.5)
    weights = strategy.target_weights(np.array([0.5, 0.5000001, 0.4999999]))
    np.testing.assert_array_equal(weights, [0.0, 0.05, -0.05])


@pytest.mark.parametrize(
    ("long_threshold", "short_threshold"),
    [(0.4, 0.6), (1.0, 0.5), (0.5, 0.0), (0.7, -0.1), (1.2, 0.3)],
)
def test_invalid_thresholds_raise_validation_error(
    long_threshold: float, short_threshold: float
) -> None:
    with pytest.raises(ValidationError, match="thresholds"):
        ThresholdStrategy(long_threshold=long_threshold, short_threshold=short_threshold)


@pytest.mark.parametrize("weight", [0.0, -0.1, 1.5])
def test_invalid_weight_per_symbol_raises_validation_error(weight: float) -> None:
    with pytest.raises(ValidationError, match=f"weight_per_symbol {weight}"):
        ThresholdStrategy(weight_per_symbol=weight)


def test_signals_are_domain_signals_with_utc_datetimes() -> None:
    strategy = ThresholdStrategy(long_threshold=0.55, short_threshold=0.45, weight_per_symbol=0.1)
    stamp = pd.Timestamp("2024-05-06", tz="UTC")
    predictions = pd.DataFrame(
        {
            "symbol": ["AAA", "BBB", "CCC"],
            "timestamp": [stamp, stamp, stamp],
            "probability_up": [0.8, 0.3, 0.5],
        }
    )

    signals = strategy.signals(predictions)

    as_of = datetime(2024, 5, 6, tzinfo=UTC)
    assert signals == [
        Signal("AAA", as_of, 0.1, 0.8),
        Signal("BBB", as_of, -0.1, 0.3),
        Signal("CCC", as_of, 0.0, 0.5),
    ]
    for signal in signals:
        assert type(signal.as_of) is datetime
        assert signal.as_of.utcoffset().total_seconds() == 0
        assert type(signal.target_weight) is float
        assert type(signal.probability_up) is float


def test_signals_convert_other_time_zones_to_utc() -> None:
    stamp = pd.Timestamp("2024-05-06 09:30", tz="America/New_York")
    predictions = pd.DataFrame({"symbol": ["AAA"], "timestamp": [stamp], "probability_up": [0.9]})

    (signal,) = ThresholdStrategy().signals(predictions)

    assert signal.as_of == datetime(2024, 5, 6, 13, 30, tzinfo=UTC)
    assert signal.as_of.utcoffset().total_seconds() == 0


def test_signals_of_no_predictions_are_empty() -> None:
    predictions = pd.DataFrame(
        {
            "symbol": pd.Series(dtype=object),
            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
            "probability_up": pd.Series(dtype=float),
        }
    )
    assert ThresholdStrategy().signals(predictions) == []
