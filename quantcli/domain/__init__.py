"""The pure trading model: no I/O, no frameworks, no pandas."""

from quantcli.domain.bar import Bar, ohlcv_problem
from quantcli.domain.errors import (
    BrokerError,
    ConfigError,
    DataError,
    ExecutionError,
    IllegalOrderTransition,
    ModelError,
    QuantCLIError,
    RiskError,
    StorageError,
    ValidationError,
)
from quantcli.domain.fills import Fill
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio, Position
from quantcli.domain.risk import RiskLimits, RiskViolation, check_order
from quantcli.domain.signals import Signal
from quantcli.domain.trading_types import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    to_decimal,
)

__all__ = [
    "Bar",
    "BrokerError",
    "ConfigError",
    "DataError",
    "ExecutionError",
    "Fill",
    "IllegalOrderTransition",
    "Instrument",
    "ModelError",
    "Order",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Portfolio",
    "Position",
    "QuantCLIError",
    "RiskError",
    "RiskLimits",
    "RiskViolation",
    "Signal",
    "StorageError",
    "TimeInForce",
    "ValidationError",
    "check_order",
    "ohlcv_problem",
    "to_decimal",
]
