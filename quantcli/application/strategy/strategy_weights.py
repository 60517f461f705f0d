"""What a rule or user strategy's target weights must be before anything is simulated: a frame
of finite-or-NaN weights over known symbols, by UTC bar timestamp, and no bar asking for more
gross exposure than the leverage limit (refused, not scaled down, so a result is always the
strategy's own weights)."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from quantcli.application.analytics.performance import FloatArray
from quantcli.domain.errors import DataError, ValidationError


@attrs.frozen
class LeverageLimit:
    """The most gross exposure (the sum of |weight| over symbols) one bar's target weights may
    ask for, as a multiple of equity; `source` names where the limit comes from in messages."""

    gross: float
    source: str = "the leverage limit"

    def __attrs_post_init__(self) -> None:
        if not (np.isfinite(self.gross) and self.gross > 0):
            raise ValidationError(f"{self.source}: gross leverage {self.gross} is not positive")


def check_weights(
    weights: object,
    symbols: set[str],
    *,
    source: str = "strategy",
    leverage_limit: LeverageLimit | None = None,
) -> pd.DataFrame:
    """A strategy's output must be a frame of finite-or-NaN weights over known symbols,
    indexed by distinct UTC bar timestamps with one column per symbol, and, with
    `leverage_limit`, no bar's gross exposure (NaN, "hold", counted as 0) above it.
    Messages start with `source` (e.g. "strategy mystrats:weights")."""
    if not isinstance(weights, pd.DataFrame):
        raise DataError(
            f"{source} returned {type(weights).__name__}, not a DataFrame of weights "
            "(timestamps x symbols)"
        )
    unknown = sorted(str(column) for column in weights.columns if column not in symbols)
    if unknown:
        raise DataError(f"{source} weights name unknown symbol(s) {', '.join(unknown)}")
    repeated = weights.columns[weights.columns.duplicated()]
    if len(repeated):
        raise DataError(f"{source} weights name {repeated[0]} in more than one column")
    if not isinstance(weights.index, pd.DatetimeIndex):
        raise DataError(f"{source} weights must be indexed by bar timestamp")
    if weights.index.tz is None:
        raise DataError(f"{source} weights are indexed by naive timestamps; use UTC timestamps")
    repeated_times = weights.index[weights.index.duplicated()]
    if len(repeated_times):
        raise DataError(f"{source} weights repeat the timestamp {repeated_times[0].isoformat()}")
    for column in weights.columns:
        if not pd.api.types.is_numeric_dtype(weights[column]):
            raise DataError(
                f"{source} weights for {column} are not numbers ({weights[column].dtype})"
            )
    values = weights.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.argwhere(np.isinf(values))
    if len(infinite):
        row, column = infinite[0]
        raise DataError(
            f"{source} weights for {weights.columns[column]} at "
            f"{weights.index[row].isoformat()} are {values[row, column]}, not a finite number"
        )
    if leverage_limit is not None and values.size:
        _check_leverage(weights.index, np.nansum(np.abs(values), axis=1), leverage_limit, source)
    return weights


def _check_leverage(index: pd.Index, gross: FloatArray, limit: LeverageLimit, source: str) -> None:
    above = np.flatnonzero(gross > limit.gross * (1.0 + 1e-9))  # rounding in summed weights
    if len(above):
        first = above[0]
        raise ValidationError(
            f"{source} weights at {index[first].isoformat()} ask for gross exposure "
            f"{gross[first]:.2f}x equity, above {limit.source} {limit.gross:.2f}x "
            f"({len(above):,} bar(s) above it): scale the weights down or raise the limit"
        )
