"""Rule-based strategies: from bars to target weights, decided at each bar's close.

A strategy is any callable taking a bar frame and returning target weights as a frame indexed by
timestamp with one column per symbol; NaN means "keep the position". User strategies plug in as
Python entry points with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.domain.errors import DataError, ValidationError

WeightsStrategy = Callable[[pd.DataFrame], pd.DataFrame]


@attrs.frozen
class SmaCrossStrategy:
    """Long `weight_per_symbol` while SMA(fast) > SMA(slow), short (or flat) while below."""

    fast: int = 10
    slow: int = 20
    allow_short: bool = True
    weight_per_symbol: float = 0.05

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValidationError(f"sma_cross: need 1 <= fast ({self.fast}) < slow ({self.slow})")
        if not 0.0 < self.weight_per_symbol <= 1.0:
            raise ValidationError(
                f"sma_cross: weight_per_symbol {self.weight_per_symbol} outside (0, 1]"
            )

    def __call__(self, bars: pd.DataFrame) -> pd.DataFrame:
        close = bars.pivot(index="timestamp", columns="symbol", values="close")
        weights = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
        short_weight = -self.weight_per_symbol if self.allow_short else 0.0
        for symbol in close.columns:
            prices = close[symbol].to_numpy(np.float64)
            listed = ~np.isnan(prices)
            if listed.sum() <= self.slow:
                raise DataError(f"{symbol}: {listed.sum()} bars, too few for SMA({self.slow})")
            difference = np.full(prices.size, np.nan)
            series = prices[listed]
            difference[listed] = kernels.sma(series, self.fast) - kernels.sma(series, self.slow)
            # Equal averages (a flat market) hold no view: flat, not short. Rounding leaves
            # them a few ulps apart, so "equal" is within 1e-12 of the price.
            column = np.where(difference > 0, self.weight_per_symbol, short_weight)
            column = np.where(np.abs(difference) <= 1e-12 * prices, 0.0, column)
            weights[symbol] = np.where(np.isnan(difference), np.nan, column)
        return weights
