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

from quantcli.adapters.data.synthetic_market import MAX_SYMBOLS, MAX_YEARS
from quantcli.application.features import (
    BollingerParameters,
    FeatureParameterError,
    FeatureParameters,
    MacdParameters,
    StochParameters,
    TargetDefinition,
    TargetKind,
    build_registry,
)
from quantcli.application.risk.value_at_risk import METHODS as VAR_METHODS
from quantcli.application.risk.value_at_risk import VaRConfig
from quantcli.application.strategy.order_sizing import SizingMethod, SizingPolicy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import ConfigError
from quantcli.domain.exposure_rules import (
    BuyingPowerRule,
    GrossExposureRule,
    MaxPositionRule,
    NetExposureRule,
    SectorExposureRule,
)
from quantcli.domain.loss_limits import LossLimits
from quantcli.domain.order_rules import (
    OrderNotionalRule,
    OrderRateRule,
    OrderSizeRule,
    PriceCollarRule,
    RestrictedRule,
    ShortAvailabilityRule,
)
from quantcli.domain.order_template import BPS, OrderTemplate
from quantcli.domain.risk import RiskLimits
from quantcli.domain.risk_rules import RiskRule, RiskRules
from quantcli.domain.stress_scenarios import SECTOR_PREFIX, StressScenario
from quantcli.domain.trading_types import OrderType, TimeInForce

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATA_SOURCES = ("synthetic", "file")
SIZING_METHODS = tuple(method.value for method in SizingMethod)
BROKERS = ("simulated", "ibkr")
ORDER_TYPES = ("market", "limit")
TIMES_IN_FORCE = ("day", "gtc", "ioc")

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


def _known_calendar(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    """An exchange_calendars name or alias (XNYS, XLON, NYSE, 24/7, ...), checked when the
    settings load so that no session starts, and nothing is written, on a misspelt calendar."""
    from quantcli.adapters.calendars import calendar_names  # exchange_calendars loads slowly

    if value not in calendar_names():
        problem = f"unknown calendar {show(value)} (e.g. XNYS, XLON, XTKS, 24/7)"
        raise InvalidSettingError(attribute.name, problem)


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

    n_symbols: int = attrs.field(
        default=20,
        validator=_check(lambda v: 1 <= v <= MAX_SYMBOLS, f"is not from 1 to {MAX_SYMBOLS}"),
    )
    years: float = attrs.field(
        default=8.0,
        validator=[finite, _check(lambda v: 0 < v <= MAX_YEARS, f"is not in (0, {MAX_YEARS:g}]")],
    )
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


_FEATURES = FeatureParameters()


@attrs.frozen
class FeatureSettings:
    """The feature registry's parameters (quantcli.application.features.FeatureParameters).

    Every field mirrors FeatureParameters; the whole set is checked by building the registry,
    so a period no feature can use or a rank of an unknown feature names its key.
    """

    sma_periods: tuple[int, ...] = attrs.field(default=(5, 10, 20, 50), validator=positive_each)
    ema_periods: tuple[int, ...] = attrs.field(default=(12, 26), validator=positive_each)
    rsi_period: int = attrs.field(default=14, validator=positive)
    volatility_window: int = attrs.field(default=20, validator=positive)
    return_horizons: tuple[int, ...] = attrs.field(default=(1, 5, 10, 20), validator=positive_each)
    volume_ratio_windows: tuple[int, ...] = _FEATURES.volume_ratio_windows
    flow_window: int = _FEATURES.flow_window
    calendar: tuple[str, ...] = _FEATURES.calendar
    intraday: tuple[str, ...] = _FEATURES.intraday
    time_zone: str = _FEATURES.time_zone
    session_open: str = _FEATURES.session_open
    macd: MacdParameters = _FEATURES.macd
    stoch: StochParameters = _FEATURES.stoch
    adx_period: int = _FEATURES.adx_period
    cci_period: int = _FEATURES.cci_period
    willr_period: int = _FEATURES.willr_period
    mfi_period: int = _FEATURES.mfi_period
    natr_period: int = _FEATURES.natr_period
    atr_periods: tuple[int, ...] = _FEATURES.atr_periods
    bollinger: BollingerParameters = _FEATURES.bollinger
    volume_window: int = _FEATURES.volume_window
    demean_window: int = _FEATURES.demean_window
    log_distance_periods: tuple[int, ...] = _FEATURES.log_distance_periods
    momentum_window: int = _FEATURES.momentum_window
    donchian_period: int = _FEATURES.donchian_period
    vwap_window: int = _FEATURES.vwap_window
    ranks: tuple[str, ...] = _FEATURES.ranks
    families: tuple[str, ...] = _FEATURES.families
    exclude: tuple[str, ...] = _FEATURES.exclude

    def __attrs_post_init__(self) -> None:
        try:
            build_registry(self.to_parameters())
        except FeatureParameterError as error:
            raise InvalidSettingError(error.key, error.problem) from None

    def to_parameters(self) -> FeatureParameters:
        return FeatureParameters(**attrs.asdict(self, recurse=False))


@attrs.frozen
class TripleBarrierSettings:
    """Barriers in multiples of the rolling volatility of one-bar returns; 0 turns one off."""

    profit_take: float = attrs.field(default=2.0, validator=[finite, non_negative])
    stop_loss: float = attrs.field(default=2.0, validator=[finite, non_negative])
    volatility_window: int = attrs.field(
        default=20, validator=_check(lambda v: v >= 2, "is below 2")
    )


@attrs.frozen
class TargetSettings:
    kind: str = attrs.field(
        default="direction", validator=_one_of(tuple(kind.value for kind in TargetKind))
    )
    horizon: int = attrs.field(default=1, validator=positive)
    triple_barrier: TripleBarrierSettings = TripleBarrierSettings()

    def to_definition(self) -> TargetDefinition:
        barrier = self.triple_barrier
        return TargetDefinition(
            kind=TargetKind(self.kind),
            horizon=self.horizon,
            profit_take=barrier.profit_take,
            stop_loss=barrier.stop_loss,
            volatility_window=barrier.volatility_window,
        )


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


GROW_POLICIES = ("SymmetricTree", "Depthwise", "Lossguide")
# null: use quantcli.seed, so one setting reseeds every model.
_optional_seed = _check(lambda v: v is None or v >= 0, "is negative")


@attrs.frozen
class XGBoostSettings:
    """An ensemble member; `threads` per fit (threads × concurrent fits <= cores)."""

    num_boost_round: int = attrs.field(default=150, validator=positive)
    learning_rate: float = attrs.field(default=0.05, validator=[finite, positive])
    max_depth: int = attrs.field(default=4, validator=positive)
    min_child_weight: float = attrs.field(default=5.0, validator=[finite, non_negative])
    subsample: float = attrs.field(default=0.8, validator=fraction)
    colsample_bytree: float = attrs.field(default=0.8, validator=fraction)
    reg_lambda: float = attrs.field(default=1.0, validator=[finite, non_negative])
    seed: int | None = attrs.field(default=None, validator=_optional_seed)
    threads: int = attrs.field(default=1, validator=positive)


@attrs.frozen
class CatBoostSettings:
    """An ensemble member; min_data_in_leaf needs grow_policy Depthwise or Lossguide."""

    iterations: int = attrs.field(default=150, validator=positive)
    learning_rate: float = attrs.field(default=0.05, validator=[finite, positive])
    depth: int = attrs.field(
        default=4, validator=_check(lambda v: 1 <= v <= 16, "is not in [1, 16]")
    )
    l2_leaf_reg: float = attrs.field(default=3.0, validator=[finite, non_negative])
    subsample: float = attrs.field(default=0.8, validator=fraction)
    rsm: float = attrs.field(default=0.8, validator=fraction)  # share of columns per split
    min_data_in_leaf: int = attrs.field(default=200, validator=positive)
    grow_policy: str = attrs.field(default="Depthwise", validator=_one_of(GROW_POLICIES))
    seed: int | None = attrs.field(default=None, validator=_optional_seed)
    threads: int = attrs.field(default=1, validator=positive)


@attrs.frozen
class CrossValidationSettings:
    """Combinatorial purged CV of the whole training procedure (its paths feed the gates)."""

    n_folds: int = attrs.field(default=6, validator=_check(lambda v: v >= 2, "is below 2"))
    n_test_folds: int = attrs.field(default=2, validator=positive)
    embargo_fraction: float = attrs.field(
        default=0.01, validator=_check(lambda v: 0.0 <= v < 0.5, "is not in [0, 0.5)")
    )

    def __attrs_post_init__(self) -> None:
        if self.n_test_folds >= self.n_folds:
            raise InvalidSettingError(
                "n_test_folds", f"{self.n_test_folds} must be below n_folds {self.n_folds}"
            )


META_LEARNERS = ("logistic", "ridge")
BASE_MODELS = ("lightgbm", "xgboost", "catboost")


@attrs.frozen
class EnsembleSettings:
    """Which base models to stack, the meta-learner, and how many fits run at once."""

    base_models: tuple[str, ...] = attrs.field(
        default=BASE_MODELS,
        converter=tuple,
        validator=_check(
            lambda v: len(v) > 0 and set(v) <= set(BASE_MODELS) and len(set(v)) == len(v),
            f"must be distinct names out of {', '.join(BASE_MODELS)}",
        ),
    )
    meta_learner: str = attrs.field(default="logistic", validator=_one_of(META_LEARNERS))
    # Inverse regularisation of the logistic meta-learner (alpha = 1 / c for ridge).
    meta_c: float = attrs.field(default=1.0, validator=[finite, positive])
    # Purged walk-forward folds inside each training set for the meta-learner's inputs.
    inner_folds: int = attrs.field(default=3, validator=_check(lambda v: v >= 2, "is below 2"))
    # Base-model fits at once: 0 = one per core.
    parallel_fits: int = attrs.field(default=0, validator=non_negative)


@attrs.frozen
class GateSettings:
    """What a model must reach on its CPCV paths; Sharpe ratios annualized."""

    psr: float = attrs.field(default=0.95, validator=open_unit)
    dsr: float = attrs.field(default=0.95, validator=open_unit)
    benchmark_sharpe: float = attrs.field(default=0.0, validator=finite)
    min_sharpe: float = attrs.field(default=1.0, validator=finite)
    min_worst_path_sharpe: float = attrs.field(default=0.0, validator=finite)
    max_drawdown: float = attrs.field(default=0.25, validator=fraction)
    # The path returns: each weight's share of the next bar's return, less this per turnover.
    cost_bps: float = attrs.field(default=5.0, validator=[finite, non_negative])


@attrs.frozen
class QuickResearchSettings:
    """Lighter training for `quantcli quickstart`: the same pipeline, fewer fits."""

    cpcv_folds: int = attrs.field(default=5, validator=_check(lambda v: v >= 3, "is below 3"))
    inner_folds: int = attrs.field(default=2, validator=_check(lambda v: v >= 2, "is below 2"))
    boosting_rounds: int = attrs.field(default=60, validator=positive)


@attrs.frozen
class RegistrySettings:
    """The versioned model registry."""

    # Versions `quantcli models prune` keeps by default (production and rollback target too).
    keep_last: int = attrs.field(default=10, validator=positive)


@attrs.frozen
class ModelsSettings:
    features: FeatureSettings = FeatureSettings()
    target: TargetSettings = TargetSettings()
    training: TrainingSettings = TrainingSettings()
    lightgbm: LightGBMSettings = LightGBMSettings()
    xgboost: XGBoostSettings = XGBoostSettings()
    catboost: CatBoostSettings = CatBoostSettings()
    registry: RegistrySettings = RegistrySettings()
    cpcv: CrossValidationSettings = CrossValidationSettings()
    ensemble: EnsembleSettings = EnsembleSettings()
    gates: GateSettings = GateSettings()
    quickstart: QuickResearchSettings = QuickResearchSettings()

    def quick(self) -> ModelsSettings:
        """These settings with `quickstart`'s lighter CPCV, inner folds and boosting rounds."""
        quick = self.quickstart
        return attrs.evolve(
            self,
            cpcv=attrs.evolve(self.cpcv, n_folds=quick.cpcv_folds),
            ensemble=attrs.evolve(self.ensemble, inner_folds=quick.inner_folds),
            lightgbm=attrs.evolve(self.lightgbm, num_boost_round=quick.boosting_rounds),
            xgboost=attrs.evolve(self.xgboost, num_boost_round=quick.boosting_rounds),
            catboost=attrs.evolve(self.catboost, iterations=quick.boosting_rounds),
        )


# --- risk.yaml --------------------------------------------------------------------------------


def _net_within_gross(instance: RiskLimitsSettings, _attribute: Any, value: float) -> None:
    if value > instance.max_gross_exposure:
        raise InvalidSettingError(
            "max_net_exposure",
            f"{show(value)} is above max_gross_exposure {show(instance.max_gross_exposure)}",
        )


_optional_positive = _check(lambda v: v is None or v > 0, "is not positive")
_optional_fraction = _check(lambda v: v is None or 0 < v <= 1, "is not in (0, 1]")


@attrs.frozen
class ShortSaleSettings:
    """Which symbols may be sold short, and which need a located borrow first."""

    require_locate: bool = False
    # null: every symbol may be shorted; a list: only these.
    shortable: tuple[str, ...] | None = None
    # Always need a locate, even when require_locate is false.
    hard_to_borrow: tuple[str, ...] = ()


@attrs.frozen
class RiskLimitsSettings:
    """Pre-trade limits; exposures are fractions of equity, order sizes absolute; null: off."""

    max_position_weight: float = attrs.field(default=0.10, validator=fraction)
    max_gross_exposure: float = attrs.field(default=1.5, validator=[finite, positive])
    max_net_exposure: float = attrs.field(
        default=1.0, validator=[finite, positive, _net_within_gross]
    )
    max_sector_exposure: float | None = attrs.field(default=0.30, validator=_optional_positive)
    max_order_quantity: Decimal = attrs.field(default=Decimal(100_000), validator=positive)
    max_order_notional: Decimal = attrs.field(default=Decimal(250_000), validator=positive)
    price_collar: float | None = attrs.field(default=0.10, validator=_optional_fraction)
    max_orders_per_minute: int | None = attrs.field(default=60, validator=_optional_positive)
    buying_power_multiplier: float = attrs.field(default=2.0, validator=[finite, positive])
    restricted_symbols: tuple[str, ...] = ()
    short_sale: ShortSaleSettings = ShortSaleSettings()
    sectors: dict[str, str] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class LossLimitSettings:
    """Loss limits as fractions of start-of-period equity (UTC day, ISO week, month) and of the
    peak for max_drawdown; null switches one off."""

    daily: float | None = attrs.field(default=0.03, validator=_optional_fraction)
    weekly: float | None = attrs.field(default=0.06, validator=_optional_fraction)
    monthly: float | None = attrs.field(default=0.10, validator=_optional_fraction)
    max_drawdown: float | None = attrs.field(default=0.20, validator=_optional_fraction)

    def to_loss_limits(self) -> LossLimits:
        return LossLimits(
            daily=_exact_or_none(self.daily),
            weekly=_exact_or_none(self.weekly),
            monthly=_exact_or_none(self.monthly),
            max_drawdown=_exact_or_none(self.max_drawdown),
        )


@attrs.frozen
class VaRSettings:
    """Value at risk: method, confidence, horizon (sqrt-time scaled), history, Monte Carlo paths."""

    method: str = attrs.field(default="historical", validator=_one_of(VAR_METHODS))
    confidence: float = attrs.field(
        default=0.99, validator=_check(lambda v: 0.5 <= v < 1, "is not in [0.5, 1)")
    )
    horizon_days: int = attrs.field(default=1, validator=positive)
    lookback_days: int = attrs.field(default=500, validator=_check(lambda v: v >= 2, "is below 2"))
    monte_carlo_paths: int = attrs.field(default=10_000, validator=positive)
    cornish_fisher: bool = False

    def to_var_config(self, seed: int) -> VaRConfig:
        """The application's VaRConfig; `seed` (quantcli.seed) drives the Monte Carlo draws."""
        return VaRConfig(
            method=self.method,
            confidence=self.confidence,
            horizon_days=self.horizon_days,
            lookback_days=self.lookback_days,
            monte_carlo_paths=self.monte_carlo_paths,
            seed=seed,
            cornish_fisher=self.cornish_fisher,
        )


def _default_stress_scenarios() -> dict[str, dict[str, float]]:
    return {
        "equity_crash_2008": {"*": -0.30, "sector:financials": -0.50, "sector:tech": -0.45},
        "covid_crash_2020": {"*": -0.34, "sector:energy": -0.55, "sector:tech": -0.25},
        "rates_up_200bp": {
            "*": -0.08,
            "sector:tech": -0.15,
            "sector:utilities": -0.12,
            "sector:financials": 0.03,
        },
    }


def _valid_scenarios(
    _instance: Any, attribute: attrs.Attribute[Any], scenarios: dict[str, dict[str, float]]
) -> None:
    for name, shocks in scenarios.items():
        for key, shock in shocks.items():
            where = f"{attribute.name}.{name}.{key}"
            if not key.strip() or key == SECTOR_PREFIX:
                raise InvalidSettingError(where, "is not a symbol, sector:<name> or *")
            if not shock >= -1:
                raise InvalidSettingError(where, f"{show(shock)} is below -1 (a price under 0)")


def _exact(value: float) -> Decimal:
    """A YAML fraction as the Decimal it was written as (0.1, not 0.1000000000000000055…)."""
    return Decimal(repr(value))


def _exact_or_none(value: float | None) -> Decimal | None:
    return None if value is None else _exact(value)


@attrs.frozen
class SizingSettings:
    max_weight_per_symbol: float = attrs.field(default=0.05, validator=fraction)
    rebalance_band: float = attrs.field(
        default=0.005, validator=[finite, _check(lambda v: 0 <= v < 1, "is not in [0, 1)")]
    )
    # How backtests, paper and live sessions size signals
    # (quantcli.application.strategy.order_sizing).
    method: str = attrs.field(default="fixed_fraction", validator=_one_of(SIZING_METHODS))
    target_volatility: float = attrs.field(default=0.10, validator=[finite, positive])
    volatility_window: int = attrs.field(
        default=20, validator=_check(lambda v: v >= 2, "is below 2")
    )
    kelly_fraction: float = attrs.field(default=0.25, validator=fraction)
    payoff_ratio: float = attrs.field(default=1.0, validator=[finite, positive])

    def to_policy(self) -> SizingPolicy:
        return SizingPolicy(
            method=SizingMethod(self.method),
            max_weight=self.max_weight_per_symbol,
            rebalance_band=self.rebalance_band,
            target_volatility=self.target_volatility,
            volatility_window=self.volatility_window,
            kelly_fraction=self.kelly_fraction,
            payoff_ratio=self.payoff_ratio,
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
    loss_limits: LossLimitSettings = LossLimitSettings()
    var: VaRSettings = VaRSettings()
    # Price shocks by symbol, "sector:<name>" (limits.sectors) or "*"; the most specific applies.
    stress_scenarios: dict[str, dict[str, float]] = attrs.field(
        factory=_default_stress_scenarios, hash=False, validator=_valid_scenarios
    )

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

    def to_risk_rules(self) -> RiskRules:
        """Every pre-trade rule these limits switch on, in the order a rejection is reported."""
        limits, short = self.limits, self.limits.short_sale
        rules: list[RiskRule] = [
            RestrictedRule(frozenset(limits.restricted_symbols)),
            OrderSizeRule(limits.max_order_quantity),
            OrderNotionalRule(limits.max_order_notional),
        ]
        if limits.price_collar is not None:
            rules.append(PriceCollarRule(_exact(limits.price_collar)))
        if limits.max_orders_per_minute is not None:
            rules.append(OrderRateRule(limits.max_orders_per_minute))
        rules.append(
            ShortAvailabilityRule(
                require_locate=short.require_locate,
                shortable=None if short.shortable is None else frozenset(short.shortable),
                hard_to_borrow=frozenset(short.hard_to_borrow),
            )
        )
        rules.append(MaxPositionRule(_exact(limits.max_position_weight)))
        if limits.max_sector_exposure is not None:
            rules.append(
                SectorExposureRule(_exact(limits.max_sector_exposure), dict(limits.sectors))
            )
        rules += [
            GrossExposureRule(_exact(limits.max_gross_exposure)),
            NetExposureRule(_exact(limits.max_net_exposure)),
            BuyingPowerRule(_exact(limits.buying_power_multiplier)),
        ]
        return RiskRules(rules)

    def to_stress_scenarios(self) -> tuple[StressScenario, ...]:
        return tuple(
            StressScenario(name, {key: _exact(shock) for key, shock in shocks.items()})
            for name, shocks in self.stress_scenarios.items()
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


_BENCHMARK_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-^=/]*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@attrs.frozen
class ReportSettings:
    """What the backtest report compares against and the currency its amounts are in."""

    # A stored symbol held from the first bar (e.g. SPY); null: an equal-weight buy-and-hold of
    # the backtest's own symbols.
    benchmark: str | None = attrs.field(
        default=None,
        validator=_optional(lambda v: bool(_BENCHMARK_SYMBOL.match(v)), "is not a symbol"),
    )
    currency: str = attrs.field(
        default="USD",
        validator=_check(lambda v: bool(_CURRENCY.match(v)), "is not a 3-letter currency code"),
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
    report: ReportSettings = ReportSettings()

    def to_slippage_model(self) -> SlippageModel:
        return SlippageModel(bps=self.slippage_bps)


# --- trading.yaml -----------------------------------------------------------------------------


_optional_positive_int = _check(lambda v: v is None or v > 0, "is not positive")


@attrs.frozen
class KillSwitchSettings:
    """Automatic kill switch triggers; null switches one off. Loss limits: risk.yaml."""

    flatten_on_trip: bool = False
    max_rejects: int | None = attrs.field(default=20, validator=_optional_positive_int)
    reject_window_seconds: float = attrs.field(default=86_400.0, validator=[finite, positive])
    max_disconnected_seconds: float | None = attrs.field(
        default=60.0, validator=_optional_positive_int
    )
    max_stale_seconds: float | None = attrs.field(default=None, validator=_optional_positive_int)
    max_missing_sessions: int | None = attrs.field(default=2, validator=_optional_positive_int)


MARKET_DATA_TYPES = ("live", "frozen", "delayed", "delayed_frozen")
BAR_SCHEDULES = ("session", "interval")


def _port_number(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= 65535:
        raise InvalidSettingError(attribute.name, f"{show(value)} is not a TCP port (1-65535)")


def _not_below_base(instance: IbkrSettings, _attribute: Any, value: float) -> None:
    if value < instance.reconnect_backoff_base:
        problem = f"{show(value)} is below reconnect_backoff_base {instance.reconnect_backoff_base}"
        raise InvalidSettingError("reconnect_backoff_max", problem)


@attrs.frozen
class IbkrSettings:
    """Where TWS / IB Gateway listens and how patient to be with it (every wait is finite)."""

    host: str = attrs.field(default="127.0.0.1", validator=not_empty)
    port: int = attrs.field(default=4002, validator=_port_number)  # 4001/4002 Gateway, 7496/7 TWS
    client_id: int = attrs.field(default=1, validator=non_negative)
    connect_timeout: float = attrs.field(default=5.0, validator=[finite, positive])
    request_timeout: float = attrs.field(default=10.0, validator=[finite, positive])
    reconnect_backoff_base: float = attrs.field(default=1.0, validator=[finite, positive])
    reconnect_backoff_max: float = attrs.field(
        default=60.0, validator=[finite, positive, _not_below_base]
    )
    max_reconnect_attempts: int = attrs.field(default=10, validator=positive)
    market_data_type: str = attrs.field(default="live", validator=_one_of(MARKET_DATA_TYPES))
    exchange: str = attrs.field(default="SMART", validator=not_empty)
    currency: str = attrs.field(default="USD", validator=not_empty)


@attrs.frozen
class LiveFeedSettings:
    """How live quotes become bars: one per exchange session (daily models) or fixed intervals."""

    bars: str = attrs.field(default="session", validator=_one_of(BAR_SCHEDULES))
    interval_seconds: float = attrs.field(default=60.0, validator=[finite, positive])
    # Wait after the session close before the daily bar is taken (late prints, closing auction).
    close_delay_seconds: float = attrs.field(default=60.0, validator=[finite, non_negative])
    # How often the loop books broker events and checks the kill switch between bars.
    heartbeat_seconds: float = attrs.field(default=1.0, validator=[finite, positive])
    # Per symbol, how many stored bars the live features start from.
    history_bars: int = attrs.field(default=400, validator=positive)


@attrs.frozen
class OrderSettings:
    """The orders signals become: market, or a marketable limit off the last close."""

    type: str = attrs.field(default="market", validator=_one_of(ORDER_TYPES))
    # limit only: buys at most this far above the last close, sells at least this far below.
    limit_offset_bps: float = attrs.field(
        default=0.0,
        validator=[finite, non_negative, _check(lambda v: v < BPS, "is not below 10000 (100%)")],
    )
    time_in_force: str = attrs.field(default="day", validator=_one_of(TIMES_IN_FORCE))

    def to_template(self) -> OrderTemplate:
        return OrderTemplate(
            OrderType(self.type.upper()),
            TimeInForce(self.time_in_force.upper()),
            _exact(self.limit_offset_bps),
        )


@attrs.frozen
class TradingSettings:
    """Paper and live sessions: the broker, the exchange calendar, the kill switch, orders."""

    broker: str = attrs.field(default="simulated", validator=_one_of(BROKERS))
    calendar: str = attrs.field(default="XNYS", validator=_known_calendar)
    # Resend orders saved before a crash that the broker never received (decided at or after
    # the last finished bar); false cancels them instead.
    resubmit_unacknowledged: bool = True
    kill_switch: KillSwitchSettings = KillSwitchSettings()
    orders: OrderSettings = OrderSettings()
    ibkr: IbkrSettings = IbkrSettings()
    live_feed: LiveFeedSettings = LiveFeedSettings()


# --- all sections -----------------------------------------------------------------------------


@attrs.frozen
class Settings:
    """Everything configurable; each field is one YAML file in config/."""

    quantcli: QuantcliSettings = QuantcliSettings()
    data_sources: DataSourcesSettings = DataSourcesSettings()
    models: ModelsSettings = ModelsSettings()
    risk: RiskSettings = RiskSettings()
    backtest: BacktestSettings = BacktestSettings()
    trading: TradingSettings = TradingSettings()

    @property
    def database_path(self) -> Path:
        return self.quantcli.database_path

    @property
    def report_path(self) -> Path:
        return self.quantcli.data_dir / self.backtest.report_file
