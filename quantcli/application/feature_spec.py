"""What features and which target to build: the research configuration as plain values."""

from __future__ import annotations

import attrs


@attrs.frozen
class FeatureSpec:
    """Indicator periods and horizons; every feature is causal (uses bars up to t only)."""

    sma_periods: tuple[int, ...] = (5, 10, 20, 50)
    ema_periods: tuple[int, ...] = (12, 26)
    rsi_period: int = 14
    volatility_window: int = 20
    return_horizons: tuple[int, ...] = (1, 5, 10, 20)
    volume_window: int = 20
    target_horizon: int = 1

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (
            *(f"return_{h}" for h in self.return_horizons),
            *(f"close_to_sma_{p}" for p in self.sma_periods),
            *(f"close_to_ema_{p}" for p in self.ema_periods),
            f"rsi_{self.rsi_period}",
            f"volatility_{self.volatility_window}",
            "volatility_ratio",
            "intraday_range",
            "overnight_gap",
            f"volume_zscore_{self.volume_window}",
        )

    @property
    def lookback(self) -> int:
        """Bars of history a symbol needs before every feature is defined."""
        return max(
            *self.sma_periods,
            *self.ema_periods,
            self.rsi_period + 1,
            self.volatility_window + 1,
            4 * self.volatility_window + 1,
            *(h + 1 for h in self.return_horizons),
            self.volume_window,
        )
