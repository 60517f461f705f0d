"""Performance statistics, Sharpe statistics, Monte Carlo, report series."""
