"""Which features to build, with which periods: the `features:` section of models.yaml."""

from __future__ import annotations

import attrs

from quantcli.domain.errors import ConfigError

FAMILIES = ("price", "volume", "time", "technical", "stationary", "cross_sectional")
CALENDAR_FEATURES = ("day_of_week", "day_of_month", "week_of_year", "month", "quarter")
INTRADAY_FEATURES = ("hour", "minutes_since_open")


class FeatureParameterError(ConfigError):
    """A feature parameter that cannot build a feature set; `key` is dotted, e.g. `ranks[1]`."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


@attrs.frozen
class MacdParameters:
    fast: int = 12
    slow: int = 26
    signal: int = 9


@attrs.frozen
class StochParameters:
    fastk: int = 14
    slowk: int = 3
    slowd: int = 3


@attrs.frozen
class BollingerParameters:
    period: int = 20
    nbdev: float = attrs.field(default=2.0, converter=float)


@attrs.frozen
class FeatureParameters:
    """Periods and windows of every feature kind; `families` and `exclude` pick what is built."""

    # price
    return_horizons: tuple[int, ...] = (1, 5, 10, 20)
    volatility_window: int = 20
    # volume
    volume_ratio_windows: tuple[int, ...] = (5, 20)
    flow_window: int = 20
    # time: calendar features in `time_zone`; intraday ones need intraday bars to mean anything
    calendar: tuple[str, ...] = ("day_of_week", "month", "quarter")
    intraday: tuple[str, ...] = ()
    time_zone: str = "UTC"
    session_open: str = "09:30"
    # technical
    rsi_period: int = 14
    macd: MacdParameters = MacdParameters()
    stoch: StochParameters = StochParameters()
    adx_period: int = 14
    cci_period: int = 20
    willr_period: int = 14
    mfi_period: int = 14
    natr_period: int = 14
    atr_periods: tuple[int, ...] = ()
    bollinger: BollingerParameters = BollingerParameters()
    # stationary
    volume_window: int = 20
    demean_window: int = 20
    sma_periods: tuple[int, ...] = (5, 10, 20, 50)
    ema_periods: tuple[int, ...] = (12, 26)
    log_distance_periods: tuple[int, ...] = (100,)
    momentum_window: int = 10
    donchian_period: int = 20
    vwap_window: int = 20
    # cross-sectional: ranks of these per-symbol features across the universe
    ranks: tuple[str, ...] = ("return_5", "return_20", "volume_zscore_20", "volatility_20")
    # selection
    families: tuple[str, ...] = FAMILIES
    exclude: tuple[str, ...] = ()
