"""generate_signals and PrecomputedSignalSource with a fake fitted model."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType

import pandas as pd
import pytest

from quantcli.application.strategy.generate_signals import (
    PrecomputedSignalSource,
    generate_signals,
    predict_rows,
)
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.errors import DataError
from quantcli.domain.signals import Signal

NAMES = ("return_1", "rsi_14")
STRATEGY = ThresholdStrategy(long_threshold=0.6, short_threshold=0.4, weight_per_symbol=0.1)


def p_up(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def day(number: int) -> datetime:
    return datetime(2024, 2, number, tzinfo=UTC)


@pytest.fixture
def features() -> pd.DataFrame:
    """Two symbols on three days; the model reads return_1 (sigmoid), never rsi_14."""
    stamps = [pd.Timestamp(day(d)) for d in (1, 1, 2, 2, 5, 5)]
    return pd.DataFrame(
        {
            "symbol": ["AAA", "BBB"] * 3,
            "timestamp": stamps,
            "return_1": [2.0, -2.0, 0.0, 1.0, -1.0, 3.0],
            "rsi_14": [50.0] * 6,
        }
    )


def test_generate_signals_uses_the_latest_timestamp_by_default(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    signals = generate_signals(features, fakes.fitted_model(NAMES), STRATEGY)

    assert [(s.symbol, s.as_of, s.target_weight) for s in signals] == [
        ("AAA", day(5), -0.1),
        ("BBB", day(5), 0.1),
    ]
    assert [s.probability_up for s in signals] == pytest.approx([p_up(-1.0), p_up(3.0)])
    assert all(isinstance(s, Signal) for s in signals)


def test_generate_signals_as_of_an_earlier_timestamp(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    signals = generate_signals(features, fakes.fitted_model(NAMES), STRATEGY, as_of=day(1))

    assert [(s.symbol, s.as_of, s.target_weight) for s in signals] == [
        ("AAA", day(1), 0.1),
        ("BBB", day(1), -0.1),
    ]
    assert signals[0].probability_up == pytest.approx(p_up(2.0))


def test_generate_signals_only_predicts_the_rows_of_that_moment(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    model = fakes.fitted_model(NAMES)

    generate_signals(features, model, STRATEGY, as_of=day(2))

    (matrix,) = model.estimator.predicted
    assert matrix.tolist() == [[0.0, 50.0], [1.0, 50.0]]


def test_generate_signals_at_a_moment_without_features_raises_data_error(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    with pytest.raises(DataError, match="no features at 2024-02-03T00:00:00"):
        generate_signals(features, fakes.fitted_model(NAMES), STRATEGY, as_of=day(3))


def test_generate_signals_with_missing_features_raises_data_error_naming_them(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    model = fakes.fitted_model((*NAMES, "volatility_20"), name="m1")
    with pytest.raises(DataError, match="model m1 needs features volatility_20"):
        generate_signals(features, model, STRATEGY)


def test_generate_signals_of_an_empty_table_raises_data_error(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    with pytest.raises(DataError, match="feature table is empty"):
        generate_signals(features.iloc[:0], fakes.fitted_model(NAMES), STRATEGY)


def test_predict_rows_returns_keys_and_probabilities_with_a_fresh_index(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    predictions = predict_rows(fakes.fitted_model(NAMES), features.iloc[2:4])

    assert list(predictions.columns) == ["symbol", "timestamp", "probability_up"]
    assert predictions.index.tolist() == [0, 1]
    assert predictions["probability_up"].tolist() == pytest.approx([0.5, p_up(1.0)])


def test_precomputed_source_returns_the_signals_of_a_timestamp(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    source = PrecomputedSignalSource.from_model(features, fakes.fitted_model(NAMES), STRATEGY)

    signals = source(day(2))

    assert [(s.symbol, s.as_of, s.target_weight) for s in signals] == [
        ("AAA", day(2), 0.0),
        ("BBB", day(2), 0.1),
    ]
    assert sorted(source.by_time) == [pd.Timestamp(day(d)) for d in (1, 2, 5)]


def test_precomputed_source_matches_the_same_instant_in_another_zone(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    source = PrecomputedSignalSource.from_model(features, fakes.fitted_model(NAMES), STRATEGY)
    plus_two = timezone(timedelta(hours=2))

    assert source(datetime(2024, 2, 1, 2, tzinfo=plus_two)) == source(day(1))
    assert len(source(day(1))) == 2


def test_precomputed_source_returns_nothing_for_an_unknown_timestamp(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    source = PrecomputedSignalSource.from_model(features, fakes.fitted_model(NAMES), STRATEGY)

    assert source(day(3)) == []
    assert source(day(1) + timedelta(hours=1)) == []


def test_precomputed_source_of_no_features_is_empty_and_never_predicts(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    model = fakes.fitted_model(NAMES)

    source = PrecomputedSignalSource.from_model(features.iloc[:0], model, STRATEGY)

    assert source.by_time == {}
    assert source(day(1)) == []
    assert model.estimator.predicted == []


def test_precomputed_signals_equal_signals_generated_one_moment_at_a_time(
    fakes: ModuleType, features: pd.DataFrame
) -> None:
    model = fakes.fitted_model(NAMES)
    source = PrecomputedSignalSource.from_model(features, model, STRATEGY)

    for number in (1, 2, 5):
        assert source(day(number)) == generate_signals(features, model, STRATEGY, day(number))
