"""The composition root: the one place that knows which adapter serves which port.

Embedding services and tests build a Container from Settings and override any provider
(`container.broker.override(providers.Object(my_broker))`) without touching a use case.
"""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from quantcli.adapters.brokers import SimulatedBroker
from quantcli.adapters.data import BarFileSource, SyntheticMarket
from quantcli.adapters.ml import FileModelStore, LightGbmEstimator
from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.adapters.storage import (
    ParquetFeatureStore,
    SqliteBarStore,
    SqliteDatabase,
    SqliteLedger,
)
from quantcli.application.feature_spec import FeatureSpec
from quantcli.application.purged_splits import PurgedWalkForward
from quantcli.application.strategy import ThresholdStrategy
from quantcli.entrypoints.settings import Settings


def build_feature_spec(settings: Settings) -> FeatureSpec:
    features = settings.models.features
    return FeatureSpec(
        sma_periods=tuple(features.sma_periods),
        ema_periods=tuple(features.ema_periods),
        rsi_period=features.rsi_period,
        volatility_window=features.volatility_window,
        return_horizons=tuple(features.return_horizons),
        target_horizon=settings.models.target.horizon,
    )


def build_splitter(settings: Settings) -> PurgedWalkForward:
    training = settings.models.training
    return PurgedWalkForward(
        n_splits=training.n_splits,
        purge_bars=training.purge_bars,
        embargo_bars=training.embargo_bars,
        min_train_fraction=training.min_train_fraction,
    )


def build_strategy(settings: Settings) -> ThresholdStrategy:
    rules = settings.backtest.strategy
    return ThresholdStrategy(
        long_threshold=rules.long_threshold,
        short_threshold=rules.short_threshold,
        allow_short=rules.allow_short,
        weight_per_symbol=settings.risk.sizing.max_weight_per_symbol,
    )


def lightgbm_params(settings: Settings) -> dict[str, float | int]:
    lgbm = settings.models.lightgbm
    return {
        "learning_rate": lgbm.learning_rate,
        "num_leaves": lgbm.num_leaves,
        "min_data_in_leaf": lgbm.min_data_in_leaf,
        "feature_fraction": lgbm.feature_fraction,
        "bagging_fraction": lgbm.bagging_fraction,
        "bagging_freq": lgbm.bagging_freq,
        "lambda_l2": lgbm.lambda_l2,
    }


def _under(settings: Settings, folder: str) -> Path:
    return settings.quantcli.data_dir / folder


class Container(containers.DeclarativeContainer):
    """Adapters built from Settings; every provider can be overridden."""

    settings = providers.Dependency(instance_of=Settings)

    database = providers.Singleton(
        SqliteDatabase, providers.Callable(lambda s: s.database_path, settings)
    )
    bar_store = providers.Singleton(SqliteBarStore, database)
    ledger = providers.Singleton(SqliteLedger, database)
    feature_store = providers.Singleton(
        ParquetFeatureStore, providers.Callable(_under, settings, "features")
    )
    model_store = providers.Singleton(
        FileModelStore, providers.Callable(_under, settings, "models")
    )
    report_writer = providers.Singleton(HtmlReportWriter)

    synthetic_source = providers.Factory(
        SyntheticMarket,
        n_symbols=providers.Callable(lambda s: s.data_sources.synthetic.n_symbols, settings),
        years=providers.Callable(lambda s: s.data_sources.synthetic.years, settings),
        seed=providers.Callable(lambda s: s.quantcli.seed, settings),
        start=providers.Callable(lambda s: s.data_sources.synthetic.start, settings),
        signal_strength=providers.Callable(
            lambda s: s.data_sources.synthetic.signal_strength, settings
        ),
    )
    file_source = providers.Factory(
        BarFileSource, timezone=providers.Callable(lambda s: s.data_sources.file.timezone, settings)
    )

    broker = providers.Singleton(
        SimulatedBroker,
        commission=providers.Callable(lambda s: s.backtest.commission.to_schedule(), settings),
        slippage=providers.Callable(lambda s: s.backtest.to_slippage_model(), settings),
    )
    estimator = providers.Factory(
        LightGbmEstimator,
        params=providers.Callable(lightgbm_params, settings),
        num_boost_round=providers.Callable(lambda s: s.models.lightgbm.num_boost_round, settings),
        seed=providers.Callable(lambda s: s.quantcli.seed, settings),
    )

    feature_spec = providers.Callable(build_feature_spec, settings)
    splitter = providers.Callable(build_splitter, settings)
    strategy = providers.Callable(build_strategy, settings)
    risk_limits = providers.Callable(lambda s: s.risk.to_risk_limits(), settings)


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)
