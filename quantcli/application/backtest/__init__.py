"""Backtests: runs, sweeps, walk-forward and the report's tearsheet.

A use case named like its module (e.g. `run_backtest`) is imported from the module itself
(`from quantcli.application.backtest.run_backtest import run_backtest`):
re-exporting it here would hide the module.
"""

from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.parameter_sweep import sweep_sma_crossover
from quantcli.application.backtest.report_tearsheet import build_tearsheet
from quantcli.application.backtest.run_backtest import backtest_weights, run_strategy_backtest
from quantcli.application.backtest.strategy_sweep import sweep_strategy
from quantcli.application.backtest.walk_forward import WalkForwardResult, walk_forward_windows
from quantcli.application.backtest.walk_forward_sweep import walk_forward_sma_crossover

__all__ = [
    "BacktestResult",
    "WalkForwardResult",
    "backtest_weights",
    "build_tearsheet",
    "run_strategy_backtest",
    "sweep_sma_crossover",
    "sweep_strategy",
    "walk_forward_sma_crossover",
    "walk_forward_windows",
]
