"""From predicted probabilities to target weights: one rule for backtest, signals and paper."""

from __future__ import annotations

from datetime import datetime

import attrs
import numpy as np
import pandas as pd

from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ValidationError
from quantcli.domain.signals import Signal


@attrs.frozen
class ThresholdStrategy:
    """Long `weight_per_symbol` above `long_threshold`, short it below `short_threshold`."""

    long_threshold: float = 0.52
    short_threshold: float = 0.48
    allow_short: bool = True
    weight_per_symbol: float = 0.05

    def __attrs_post_init__(self) -> None:
        if not 0.0 < self.short_threshold <= self.long_threshold < 1.0:
            raise ValidationError(
                f"thresholds: need 0 < short_threshold ({self.short_threshold}) <= "
                f"long_threshold ({self.long_threshold}) < 1"
            )
        if not 0.0 < self.weight_per_symbol <= 1.0:
            raise ValidationError(f"weight_per_symbol {self.weight_per_symbol} outside (0, 1]")

    def target_weights(self, probabilities: FloatArray) -> FloatArray:
        """Weights for any shape of probabilities; a missing probability (NaN) means flat."""
        weights = np.zeros_like(probabilities, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            weights[probabilities > self.long_threshold] = self.weight_per_symbol
            if self.allow_short:
                weights[probabilities < self.short_threshold] = -self.weight_per_symbol
        return weights

    def signals(self, predictions: pd.DataFrame) -> list[Signal]:
        """Signals from rows of symbol, timestamp, probability_up."""
        probabilities = predictions["probability_up"].to_numpy(dtype=np.float64)
        weights = self.target_weights(probabilities)
        return [
            Signal(
                symbol=str(symbol),
                as_of=_utc_datetime(timestamp),
                target_weight=float(weight),
                probability_up=float(probability),
            )
            for symbol, timestamp, probability, weight in zip(
                predictions["symbol"], predictions["timestamp"], probabilities, weights, strict=True
            )
        ]


def _utc_datetime(timestamp: pd.Timestamp) -> datetime:
    return pd.Timestamp(timestamp).tz_convert("UTC").to_pydatetime()
