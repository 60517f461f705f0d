"""Streaming indicators for live trading: fed one bar at a time, O(1) per bar.

After the same history each stream returns what the batch function returns at its last index
(same warm-up, same NaN rules, values within 1e-9).
"""

from __future__ import annotations

from typing import NamedTuple

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs


class BandValues(NamedTuple):
    """One bar's upper, middle and lower band."""

    upper: float
    middle: float
    lower: float


class SmaStream:
    """Streaming `sma`."""

    def __init__(self, period: int) -> None:
        self._state = _kernels.SmaStream(inputs.positive_int("period", period))

    def update(self, value: float) -> float:
        """Adds one value and returns the SMA ending at it."""
        return self._state.update(inputs.real("value", value))


class EmaStream:
    """Streaming `ema` (TA-Lib seeding, leading NaNs skipped, later NaN sticks)."""

    def __init__(self, period: int) -> None:
        self._state = _kernels.EmaStream(inputs.positive_int("period", period))

    def update(self, value: float) -> float:
        """Adds one value and returns the EMA ending at it."""
        return self._state.update(inputs.real("value", value))


class RsiStream:
    """Streaming `rsi`."""

    def __init__(self, period: int = 14) -> None:
        self._state = _kernels.RsiStream(inputs.positive_int("period", period))

    def update(self, close: float) -> float:
        """Adds one close and returns the RSI at it."""
        return self._state.update(inputs.real("close", close))


class AtrStream:
    """Streaming `atr`."""

    def __init__(self, period: int = 14) -> None:
        self._state = _kernels.AtrStream(inputs.positive_int("period", period))

    def update(self, high: float, low: float, close: float) -> float:
        """Adds one bar and returns the ATR at it."""
        return self._state.update(
            inputs.real("high", high), inputs.real("low", low), inputs.real("close", close)
        )


class RollingStdStream:
    """Streaming `rolling_std`."""

    def __init__(self, window: int, ddof: int = 1) -> None:
        window = inputs.positive_int("window", window)
        if not inputs.is_int(ddof) or not 0 <= ddof < window:
            raise ValidationError(f"ddof must be an int in [0, window={window}), got {ddof!r}")
        self._state = _kernels.RollingStdStream(window, int(ddof))

    def update(self, value: float) -> float:
        """Adds one value and returns the standard deviation of the window ending at it."""
        return self._state.update(inputs.real("value", value))


class BollingerStream:
    """Streaming `bbands`."""

    def __init__(self, period: int = 5, nbdev_up: float = 2.0, nbdev_down: float = 2.0) -> None:
        self._state = _kernels.BollingerStream(
            inputs.positive_int("period", period),
            inputs.real("nbdev_up", nbdev_up),
            inputs.real("nbdev_down", nbdev_down),
        )

    def update(self, value: float) -> BandValues:
        """Adds one value and returns (upper, middle, lower) at it."""
        upper, middle, lower = self._state.update(inputs.real("value", value))
        return BandValues(upper, middle, lower)
