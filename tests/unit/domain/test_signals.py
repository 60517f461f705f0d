"""Signals: validation and direction."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.signals import Signal

T0 = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(("weight", "direction"), [(0.3, 1), (-0.2, -1), (0.0, 0), (-0.0, 0)])
def test_direction_is_the_sign_of_the_target_weight(weight: float, direction: int) -> None:
    assert Signal("AAPL", T0, weight, 0.5).direction == direction


@pytest.mark.parametrize("weight", [-1.0, 1.0])
def test_full_long_and_short_weights_are_allowed(weight: float) -> None:
    assert Signal("AAPL", T0, weight, 0.5).target_weight == weight


@pytest.mark.parametrize("weight", [1.01, -1.01, math.nan])
def test_target_weight_outside_minus_one_one_is_rejected(weight: float) -> None:
    with pytest.raises(ValidationError, match="signal AAPL: target_weight"):
        Signal("AAPL", T0, weight, 0.5)


@pytest.mark.parametrize("probability", [-0.1, 1.1, math.nan])
def test_probability_outside_zero_one_is_rejected(probability: float) -> None:
    with pytest.raises(ValidationError, match="signal AAPL: probability_up"):
        Signal("AAPL", T0, 0.1, probability)


def test_naive_as_of_is_rejected() -> None:
    with pytest.raises(DataError, match="signal AAPL"):
        Signal("AAPL", datetime(2024, 1, 2), 0.1, 0.5)


def test_malformed_symbol_is_rejected() -> None:
    with pytest.raises(ValidationError, match="symbol 'AA PL'"):
        Signal("AA PL", T0, 0.1, 0.5)
