"""Backtests: runs, sweeps, walk-forward and the report's tearsheet."""
