"""Performance statistics, Sharpe statistics, Monte Carlo, report series."""

from quantcli.application.analytics.annualization import infer_annualization
from quantcli.application.analytics.monte_carlo import bootstrap_returns
from quantcli.application.analytics.performance import (
    PerformanceSummary,
    max_drawdown,
    sharpe_ratio,
)
from quantcli.application.analytics.sharpe_statistics import estimate_sharpe

__all__ = [
    "PerformanceSummary",
    "bootstrap_returns",
    "estimate_sharpe",
    "infer_annualization",
    "max_drawdown",
    "sharpe_ratio",
]
