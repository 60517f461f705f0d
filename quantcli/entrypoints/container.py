"""The composition root: the one place that knows which adapter serves which port.

Embedding services and tests build a Container from Settings and override any provider
(`container.broker.override(providers.Object(my_broker))`) without touching a use case.
"""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from quantcli.adapters.calendars import ExchangeTradingCalendar
from quantcli.adapters.data import BarFileSource, SyntheticMarket
from quantcli.adapters.ml import (
    CatboostEstimator,
    FileModelRegistry,
    FileModelStore,
    LightGbmEstimator,
    LogisticMetaLearner,
    RidgeLogitMetaLearner,
    XgboostEstimator,
)
from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.adapters.storage import (
    ParquetFeatureStore,
    SqliteBarStore,
    SqliteDatabase,
    SqliteKillSwitchStore,
    SqliteLedger,
)
from quantcli.adapters.storage.session_lock import FileSessionLock
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.modeling.ensemble import StackedEnsemble
from quantcli.application.validation.purged_splits import PurgedWalkForward
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.entrypoints.settings import Settings
from quantcli.entrypoints.trading_providers import (
    build_kill_switch_policy,
    build_live_broker,
    build_paper_broker,
)


def build_feature_spec(settings: Settings) -> FeatureSpec:
    models = settings.models
    return FeatureSpec.from_parameters(
        models.features.to_parameters(), models.target.to_definition()
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


def xgboost_params(settings: Settings) -> dict[str, float | int]:
    xgb = settings.models.xgboost
    return {
        "learning_rate": xgb.learning_rate,
        "max_depth": xgb.max_depth,
        "min_child_weight": xgb.min_child_weight,
        "subsample": xgb.subsample,
        "colsample_bytree": xgb.colsample_bytree,
        "reg_lambda": xgb.reg_lambda,
    }


def catboost_params(settings: Settings) -> dict[str, float | int | str]:
    cat = settings.models.catboost
    return {
        "learning_rate": cat.learning_rate,
        "depth": cat.depth,
        "l2_leaf_reg": cat.l2_leaf_reg,
        "subsample": cat.subsample,
        "rsm": cat.rsm,
        "min_data_in_leaf": cat.min_data_in_leaf,
        "grow_policy": cat.grow_policy,
    }


def _member_seed(section_seed: int | None, settings: Settings) -> int:
    return settings.quantcli.seed if section_seed is None else section_seed


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
        FileModelStore,
        providers.Callable(_under, settings, "models"),
        assemble_ensemble=StackedEnsemble,
    )
    # Beside models/, not inside it: FileModelStore may save a model named "registry".
    model_registry = providers.Singleton(
        FileModelRegistry,
        providers.Callable(_under, settings, "model_registry"),
        assemble_ensemble=StackedEnsemble,
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

    # Paper trading: `broker(account=...)` is the simulated broker with the backtest's fill
    # model and the account's durable book. `live_broker` is what `quantcli live` uses
    # (trading.broker decides).
    broker = providers.Factory(build_paper_broker, settings)
    # `live_broker(account=..., on_quote=...)`: not connected yet; the caller connects and closes.
    live_broker = providers.Factory(build_live_broker, settings)
    kill_switch_store = providers.Singleton(SqliteKillSwitchStore, database)
    # Held by a running paper session on its account; `quantcli kill` acts on idle accounts.
    session_lock = providers.Singleton(
        FileSessionLock, providers.Callable(_under, settings, "sessions")
    )
    trading_calendar = providers.Singleton(
        ExchangeTradingCalendar, providers.Callable(lambda s: s.trading.calendar, settings)
    )
    # Loss limits are a parameter of the policy: risk.yaml's loss_limits plug in here.
    kill_switch_policy = providers.Callable(build_kill_switch_policy, settings)
    sizing_policy = providers.Callable(lambda s: s.risk.sizing.to_policy(), settings)
    # The orders signals become (trading.orders): MARKET DAY by default.
    order_template = providers.Callable(lambda s: s.trading.orders.to_template(), settings)
    estimator = providers.Factory(
        LightGbmEstimator,
        params=providers.Callable(lightgbm_params, settings),
        num_boost_round=providers.Callable(lambda s: s.models.lightgbm.num_boost_round, settings),
        seed=providers.Callable(lambda s: s.quantcli.seed, settings),
    )
    # Ensemble members: `<provider>.provider` is an EstimatorFactory.
    xgboost_estimator = providers.Factory(
        XgboostEstimator,
        params=providers.Callable(xgboost_params, settings),
        num_boost_round=providers.Callable(lambda s: s.models.xgboost.num_boost_round, settings),
        seed=providers.Callable(lambda s: _member_seed(s.models.xgboost.seed, s), settings),
        num_threads=providers.Callable(lambda s: s.models.xgboost.threads, settings),
    )
    catboost_estimator = providers.Factory(
        CatboostEstimator,
        params=providers.Callable(catboost_params, settings),
        iterations=providers.Callable(lambda s: s.models.catboost.iterations, settings),
        seed=providers.Callable(lambda s: _member_seed(s.models.catboost.seed, s), settings),
        num_threads=providers.Callable(lambda s: s.models.catboost.threads, settings),
    )
    meta_learner = providers.Factory(
        LogisticMetaLearner, seed=providers.Callable(lambda s: s.quantcli.seed, settings)
    )
    ridge_meta_learner = providers.Factory(
        RidgeLogitMetaLearner, seed=providers.Callable(lambda s: s.quantcli.seed, settings)
    )

    feature_spec = providers.Callable(build_feature_spec, settings)
    splitter = providers.Callable(build_splitter, settings)
    strategy = providers.Callable(build_strategy, settings)
    risk_limits = providers.Callable(lambda s: s.risk.to_risk_limits(), settings)


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)
