"""Typed settings: one frozen attrs class per section of the YAML files in config/."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import ConfigError
from quantcli.domain.risk import RiskLimits

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATA_SOURCES = ("synthetic", "file")

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class InvalidSettingError(ConfigError):
    """A value that has the right type but breaks a rule; `key` is dotted, relative to its class."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def show(value: object) -> str:
    """A value as the user wrote it: strings quoted, numbers plain (no Decimal('...'))."""
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


def _check(rule: Callable[[Any], bool], problem: str) -> Validator:
    """A validator raising InvalidSettingError("<value> <problem>") when `rule(value)` is false."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not rule(value):
            raise InvalidSettingError(attribute.name, f"{show(value)} {problem}")

    return validate


def _each(rule: Callable[[Any], bool], problem: str) -> Validator:
    def validate(_instance: Any, attribute: attrs.Attribute[Any], values: Any) -> None:
        for index, value in enumerate(values):
            if not rule(value):
                raise InvalidSettingError(f"{attribute.name}[{index}]", f"{show(value)} {problem}")

    return validate


positive = _check(lambda v: v > 0, "is not positive")
non_negative = _check(lambda v: v >= 0, "is negative")
fraction = _check(lambda v: 0 < v <= 1, "is not in (0, 1]")
open_unit = _check(lambda v: 0 < v < 1, "is not in (0, 1)")
not_empty = _check(bool, "is empty")
positive_each = _each(lambda v: v > 0, "is not positive")
# Defence in depth: the loader already rejects NaN and infinity while structuring.
finite = _check(lambda v: isinstance(v, Decimal | int) or math.isfinite(v), "is not finite")


def _one_of(allowed: tuple[str, ...]) -> Validator:
    return _check(lambda v: v in allowed, f"is not one of {', '.join(allowed)}")


def _known_timezone(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        problem = f"{show(value)} is not a known IANA timezone"
        raise InvalidSettingError(attribute.name, problem) from None


# --- quantcli.yaml ----------------------------------------------------------------------------


@attrs.frozen
class QuantcliSettings:
    """General settings: where data lives, logging, the global random seed."""

    data_dir: Path = Path(".quantcli")
    database_file: str = attrs.field(default="quantcli.db", validator=not_empty)
    log_level: str = attrs.field(default="INFO", validator=_one_of(LOG_LEVELS))
    seed: int = attrs.field(default=42, validator=non_negative)

    @property
    def database_path(self) -> Path:
        return self.data_dir / self.database_file


# --- data_sources.yaml ------------------------------------------------------------------------


@attrs.frozen
class SyntheticSourceSettings:
    """The seeded synthetic market generator."""

    n_symbols: int = attrs.field(default=20, validator=positive)
    years: float = attrs.field(default=8.0, validator=[finite, positive])
    start: date = date(2016, 1, 4)
    signal_strength: float = attrs.field(default=0.5, validator=[finite, non_negative])


@attrs.frozen
class FileSourceSettings:
    """CSV/Parquet import."""

    timezone: str = attrs.field(default="UTC", validator=_known_timezone)


@attrs.frozen
class DataSourcesSettings:
    default_source: str = attrs.field(default="synthetic", validator=_one_of(DATA_SOURCES))
    synthetic: SyntheticSourceSettings = SyntheticSourceSettings()
    file: FileSourceSettings = FileSourceSettings()


# --- models.yaml ------------------------------------------------------------------------------


@attrs.frozen
class FeatureSettings:
    sma_periods: tuple[int, ...] = attrs.field(default=(5, 10, 20, 50), validator=positive_each)
    ema_periods: tuple[int, ...] = attrs.field(default=(12, 26), validator=positive_each)
    rsi_period: int = attrs.field(default=14, validator=positive)
    volatility_window: int = attrs.field(default=20, validator=positive)
    return_horizons: tuple[int, ...] = attrs.field(default=(1, 5, 10, 20), validator=positive_each)


@attrs.frozen
class TargetSettings:
    horizon: int = attrs.field(default=1, validator=positive)


@attrs.frozen
class TrainingSettings:
    """Purged, embargoed cross-validation."""

    n_splits: int = attrs.field(default=5, validator=_check(lambda v: v >= 2, "is below 2"))
    purge_bars: int = attrs.field(default=1, validator=non_negative)
    embargo_bars: int = attrs.field(default=5, validator=non_negative)
    min_train_fraction: float = attrs.field(default=0.3, validator=open_unit)


@attrs.frozen
class LightGBMSettings:
    num_boost_round: int = attrs.field(default=150, validator=positive)
    learning_rate: float = attrs.field(default=0.05, validator=[finite, positive])
    num_leaves: int = attrs.field(default=15, validator=_check(lambda v: v >= 2, "is below 2"))
    min_data_in_leaf: int = attrs.field(default=200, validator=positive)
    feature_fraction: float = attrs.field(default=0.8, validator=fraction)
    bagging_fraction: float = attrs.field(default=0.8, validator=fraction)
    bagging_freq: int = attrs.field(default=1, validator=non_negative)
    lambda_l2: float = attrs.field(default=1.0, validator=[finite, non_negative])


@attrs.frozen
class ModelsSettings:
    features: FeatureSettings = FeatureSettings()
    target: TargetSettings = TargetSettings()
    training: TrainingSettings = TrainingSettings()
    lightgbm: LightGBMSettings = LightGBMSettings()


# --- risk.yaml --------------------------------------------------------------------------------


def _net_within_gross(instance: RiskLimitsSettings, _attribute: Any, value: float) -> None:
    if value > instance.max_gross_exposure:
        raise InvalidSettingError(
            "max_net_exposure",
            f"{show(value)} is above max_gross_exposure {show(instance.max_gross_exposure)}",
        )


@attrs.frozen
class RiskLimitsSettings:
    """Pre-trade limits; exposures are fractions of equity, order sizes absolute."""

    max_position_weight: float = attrs.field(default=0.10, validator=fraction)
    max_gross_exposure: float = attrs.field(default=1.5, validator=[finite, positive])
    max_net_exposure: float = attrs.field(
        default=1.0, validator=[finite, positive, _net_within_gross]
    )
    max_order_quantity: Decimal = attrs.field(default=Decimal(100_000), validator=positive)
    max_order_notional: Decimal = attrs.field(default=Decimal(250_000), validator=positive)
    restricted_symbols: tuple[str, ...] = ()


@attrs.frozen
class SizingSettings:
    max_weight_per_symbol: float = attrs.field(default=0.05, validator=fraction)
    rebalance_band: float = attrs.field(
        default=0.005, validator=[finite, _check(lambda v: 0 <= v < 1, "is not in [0, 1)")]
    )


def _sizing_within_limits(instance: RiskSettings, _attribute: Any, value: SizingSettings) -> None:
    # Sizing above the position limit would have every full-size order rejected by risk checks.
    limit = instance.limits.max_position_weight
    if value.max_weight_per_symbol > limit:
        raise InvalidSettingError(
            "sizing.max_weight_per_symbol",
            f"{show(value.max_weight_per_symbol)} is above "
            f"limits.max_position_weight {show(limit)}",
        )


@attrs.frozen
class RiskSettings:
    limits: RiskLimitsSettings = RiskLimitsSettings()
    sizing: SizingSettings = attrs.field(factory=SizingSettings, validator=_sizing_within_limits)

    def to_risk_limits(self) -> RiskLimits:
        limits = self.limits
        return RiskLimits(
            max_position_weight=limits.max_position_weight,
            max_gross_exposure=limits.max_gross_exposure,
            max_net_exposure=limits.max_net_exposure,
            max_order_quantity=limits.max_order_quantity,
            max_order_notional=limits.max_order_notional,
            restricted_symbols=frozenset(limits.restricted_symbols),
        )


# --- backtest.yaml ----------------------------------------------------------------------------


@attrs.frozen
class CommissionSettings:
    """max(per_share × shares, minimum) + bps × notional / 10 000 on every fill."""

    per_share: Decimal = attrs.field(default=Decimal("0.005"), validator=non_negative)
    minimum: Decimal = attrs.field(default=Decimal("1.0"), validator=non_negative)
    bps: Decimal = attrs.field(default=Decimal(0), validator=non_negative)

    def to_schedule(self) -> CommissionSchedule:
        return CommissionSchedule(per_share=self.per_share, minimum=self.minimum, bps=self.bps)


def _below_long(instance: StrategySettings, _attribute: Any, value: float) -> None:
    if not value < instance.long_threshold:
        raise InvalidSettingError(
            "short_threshold",
            f"{show(value)} is not below long_threshold {show(instance.long_threshold)}",
        )


@attrs.frozen
class StrategySettings:
    """Thresholds on the predicted probability of an up move."""

    long_threshold: float = attrs.field(default=0.52, validator=open_unit)
    short_threshold: float = attrs.field(default=0.48, validator=[open_unit, _below_long])
    allow_short: bool = True


@attrs.frozen
class PaperSettings:
    account: str = attrs.field(default="paper", validator=not_empty)
    days: int = attrs.field(default=20, validator=positive)


def _slow_above_fast(instance: SmaCrossSettings, _attribute: Any, value: int) -> None:
    if not value > instance.fast:
        raise InvalidSettingError("slow", f"{show(value)} is not above fast {show(instance.fast)}")


@attrs.frozen
class SmaCrossSettings:
    """The built-in SMA-crossover rule: long while SMA(fast) > SMA(slow), short while below."""

    fast: int = attrs.field(default=10, validator=positive)
    slow: int = attrs.field(default=20, validator=[positive, _slow_above_fast])
    allow_short: bool = True


@attrs.frozen
class SweepSettings:
    """How each symbol trades in a parameter sweep: on its own, all in."""

    fill: str = attrs.field(default="next_open", validator=_one_of(("next_open", "same_close")))
    sizing: str = attrs.field(default="whole", validator=_one_of(("whole", "fractional")))
    commission_rate: float = attrs.field(default=0.001, validator=[finite, non_negative])
    initial_cash: float = attrs.field(default=10_000.0, validator=[finite, positive])
    allow_short: bool = True
    top: int = attrs.field(default=10, validator=positive)


def _optional(rule: Callable[[Any], bool], problem: str) -> Validator:
    """Like _check, but None (the model is off) always passes."""
    return _check(lambda v: v is None or rule(v), problem)


@attrs.frozen
class CommissionTierSettings:
    """From `from_shares` shares traded this month on, every share costs `per_share`."""

    from_shares: float = attrs.field(default=0.0, validator=[finite, non_negative])
    per_share: float = attrs.field(default=0.0, validator=[finite, non_negative])


def _tiers_start_at_zero_and_rise(
    _instance: Any, attribute: attrs.Attribute[Any], tiers: tuple[CommissionTierSettings, ...]
) -> None:
    if tiers and tiers[0].from_shares != 0:
        raise InvalidSettingError(
            f"{attribute.name}[0].from_shares", f"{show(tiers[0].from_shares)} is not 0"
        )
    for index in range(1, len(tiers)):
        if not tiers[index].from_shares > tiers[index - 1].from_shares:
            raise InvalidSettingError(
                f"{attribute.name}[{index}].from_shares",
                f"{show(tiers[index].from_shares)} is not above the previous tier's "
                f"{show(tiers[index - 1].from_shares)}",
            )


@attrs.frozen
class CostModelSettings:
    """Cost models on top of commission and slippage_bps; each is off at its default.

    See `quantcli.kernels.CostModel` for the formulas. With commission_tiers the tier's
    per_share replaces commission.per_share (minimum and bps still apply).
    """

    commission_maximum_fraction: float | None = attrs.field(
        default=None, validator=_optional(lambda v: 0 < v <= 1, "is not in (0, 1]")
    )
    commission_tiers: tuple[CommissionTierSettings, ...] = attrs.field(
        default=(), validator=_tiers_start_at_zero_and_rise
    )
    spread_bps: float = attrs.field(default=0.0, validator=[finite, non_negative])
    volume_slippage: float = attrs.field(default=0.0, validator=[finite, non_negative])
    square_root_impact: float = attrs.field(default=0.0, validator=[finite, non_negative])
    temporary_impact: float = attrs.field(default=0.0, validator=[finite, non_negative])
    permanent_impact: float = attrs.field(default=0.0, validator=[finite, non_negative])
    participation_rate: float | None = attrs.field(
        default=None, validator=_optional(lambda v: 0 < v <= 1, "is not in (0, 1]")
    )
    borrow_rate: float = attrs.field(default=0.0, validator=[finite, non_negative])


@attrs.frozen
class MarginSettings:
    """Leverage limit on orders and maintenance margin at each close; off at the defaults."""

    max_leverage: float | None = attrs.field(
        default=None, validator=_optional(lambda v: v > 0, "is not positive")
    )
    initial_margin: float = attrs.field(
        default=0.0, validator=_check(lambda v: 0 <= v <= 1, "is not in [0, 1]")
    )
    maintenance_margin: float = attrs.field(
        default=0.0, validator=_check(lambda v: 0 <= v < 1, "is not in [0, 1)")
    )


_STRATEGY_NAME = re.compile(r"^(model|sma_cross|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")


@attrs.frozen
class BacktestSettings:
    # What `quantcli backtest` runs without --strategy: model, sma_cross or pkg.module:function.
    default_strategy: str = attrs.field(
        default="model",
        validator=_check(
            lambda v: bool(_STRATEGY_NAME.match(v)),
            "is not model, sma_cross or pkg.module:function",
        ),
    )
    initial_cash: Decimal = attrs.field(default=Decimal(1_000_000), validator=positive)
    commission: CommissionSettings = CommissionSettings()
    slippage_bps: Decimal = attrs.field(default=Decimal(2), validator=non_negative)
    costs: CostModelSettings = CostModelSettings()
    margin: MarginSettings = MarginSettings()
    strategy: StrategySettings = StrategySettings()
    sma_cross: SmaCrossSettings = SmaCrossSettings()
    sweep: SweepSettings = SweepSettings()
    paper: PaperSettings = PaperSettings()
    report_file: str = attrs.field(default="reports/backtest.html", validator=not_empty)

    def to_slippage_model(self) -> SlippageModel:
        return SlippageModel(bps=self.slippage_bps)


# --- all sections -----------------------------------------------------------------------------


@attrs.frozen
class Settings:
    """Everything configurable; each field is one YAML file in config/."""

    quantcli: QuantcliSettings = QuantcliSettings()
    data_sources: DataSourcesSettings = DataSourcesSettings()
    models: ModelsSettings = ModelsSettings()
    risk: RiskSettings = RiskSettings()
    backtest: BacktestSettings = BacktestSettings()

    @property
    def database_path(self) -> Path:
        return self.quantcli.database_path

    @property
    def report_path(self) -> Path:
        return self.quantcli.data_dir / self.backtest.report_file
