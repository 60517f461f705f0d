"""Trading: execution engine, trading session, position reconciliation.

A use case named like its module (e.g. `reconcile_positions`) is imported from the module itself
(`from quantcli.application.trading.reconcile_positions import reconcile_positions`):
re-exporting it here would hide the module.
"""

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import (
    rebuild_portfolio,
    recover_orders,
    restore_account,
)
from quantcli.application.trading.run_trading_session import TradingSession

__all__ = [
    "ExecutionEngine",
    "TradingSession",
    "rebuild_portfolio",
    "recover_orders",
    "restore_account",
]
