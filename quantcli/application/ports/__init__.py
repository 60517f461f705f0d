"""Ports: the interfaces use cases depend on, implemented by adapters."""

from quantcli.application.ports.bars import (
    BAR_COLUMNS,
    PRICE_COLUMNS,
    BarStore,
    MarketDataSource,
    check_bar_frame,
    empty_bar_frame,
)
from quantcli.application.ports.registry import ModelRegistry, ModelVersion
from quantcli.application.ports.research import (
    BacktestReport,
    Estimator,
    EstimatorFactory,
    FeatureStore,
    FloatArray,
    ImportanceKind,
    ModelStore,
    ReportWriter,
    TrainedModel,
)
from quantcli.application.ports.trading import (
    BarReplay,
    Broker,
    BrokerEvent,
    Clock,
    Ledger,
    OrderCancelled,
    OrderRejected,
)

__all__ = [
    "BAR_COLUMNS",
    "PRICE_COLUMNS",
    "BacktestReport",
    "BarReplay",
    "BarStore",
    "Broker",
    "BrokerEvent",
    "Clock",
    "Estimator",
    "EstimatorFactory",
    "FeatureStore",
    "FloatArray",
    "ImportanceKind",
    "Ledger",
    "MarketDataSource",
    "ModelRegistry",
    "ModelStore",
    "ModelVersion",
    "OrderCancelled",
    "OrderRejected",
    "ReportWriter",
    "TrainedModel",
    "check_bar_frame",
    "empty_bar_frame",
]
