"""Interactive Brokers through ib_async: config, client, parsing, execution, market data."""

from quantcli.adapters.brokers.ibkr.broker import AsyncIbkrBroker, IbkrBroker
from quantcli.adapters.brokers.ibkr.client import ConnectionState
from quantcli.adapters.brokers.ibkr.config import IbkrConfig, MarketDataType
from quantcli.adapters.brokers.ibkr.errors import (
    IbkrClientIdInUse,
    IbkrNotConnected,
    IbkrTimeout,
)
from quantcli.adapters.brokers.ibkr.parsing import BrokerOrder
from quantcli.adapters.brokers.ibkr.reconciliation import (
    LocalBook,
    OrderMismatch,
    PositionMismatch,
    ReconciliationReport,
)
from quantcli.adapters.brokers.ibkr.records import AccountSummary, BrokerPosition, Quote

__all__ = [
    "AccountSummary",
    "AsyncIbkrBroker",
    "BrokerOrder",
    "BrokerPosition",
    "ConnectionState",
    "IbkrBroker",
    "IbkrClientIdInUse",
    "IbkrConfig",
    "IbkrNotConnected",
    "IbkrTimeout",
    "LocalBook",
    "MarketDataType",
    "OrderMismatch",
    "PositionMismatch",
    "Quote",
    "ReconciliationReport",
]
