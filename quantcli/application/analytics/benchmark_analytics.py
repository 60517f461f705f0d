"""A backtest against its benchmark: the benchmark's equity, alpha and beta, rolling beta and
rolling volatility.

The default benchmark is an equal-weight buy-and-hold of the backtest's universe: the starting
equity split equally over the symbols at the first bar's close and never rebalanced (a symbol
whose first close comes later holds its share in cash until then). A named benchmark is a
buy-and-hold of that one symbol's closes.

Beta is the OLS slope of the strategy's per-bar returns on the benchmark's (cov / var, ddof
irrelevant as it cancels); alpha is annualised by compounding the mean per-bar excess over
beta × benchmark return: (1 + mean(r - β r_b)) ** periods_per_year - 1, as empyrical's
`alpha_beta` does with no risk-free rate.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import pandas as pd

from quantcli.application.analytics.performance import TRADING_DAYS_PER_YEAR
from quantcli.domain.errors import ValidationError

EQUAL_WEIGHT = "equal-weight buy-and-hold"


@attrs.frozen
class AlphaBeta:
    """Annualised alpha (a fraction) and beta of a strategy against its benchmark."""

    alpha: float
    beta: float


def equal_weight_benchmark(closes: pd.DataFrame, initial_equity: float) -> pd.Series:
    """Equity of `initial_equity` split equally over `closes`' columns (timestamps × symbols)
    at each symbol's first close and held; missing closes carry the last one forward."""
    _check_equity(initial_equity)
    if closes.shape[1] == 0:
        raise ValidationError("the benchmark needs at least one symbol's closes")
    prices = closes.apply(pd.to_numeric, errors="coerce").astype(np.float64).ffill()
    values = prices.to_numpy()
    if (values[np.isfinite(values)] <= 0).any():
        raise ValidationError("benchmark closes must be positive")
    first = prices.bfill().iloc[0]
    if first.isna().any():
        raise ValidationError(f"benchmark symbol {first[first.isna()].index[0]} has no close")
    growth = (prices / first).fillna(1.0)  # before its first close a symbol's share is cash
    equity: pd.Series = growth.mean(axis=1) * initial_equity
    return equity.rename("benchmark")


def symbol_benchmark(closes: pd.Series, initial_equity: float) -> pd.Series:
    """Equity of `initial_equity` put into one symbol at its first close and held."""
    return equal_weight_benchmark(closes.to_frame(), initial_equity)


def alpha_beta(
    returns: pd.Series,
    benchmark_returns: pd.Series,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> AlphaBeta:
    """Alpha and beta (see the module docstring) over the bars where both returns exist;
    NaN for both with fewer than 2 such bars or a benchmark without spread."""
    _check_periods(periods_per_year)
    strategy, benchmark = _aligned(returns, benchmark_returns)
    if strategy.size < 2:
        return AlphaBeta(math.nan, math.nan)
    variance = float(np.var(benchmark))
    if not variance > 1e-30:
        return AlphaBeta(math.nan, math.nan)
    beta = float(np.mean((strategy - strategy.mean()) * (benchmark - benchmark.mean()))) / variance
    excess = float(np.mean(strategy - beta * benchmark))
    return AlphaBeta((1.0 + excess) ** periods_per_year - 1.0, beta)


def rolling_beta(returns: pd.Series, benchmark_returns: pd.Series, window: int) -> pd.Series:
    """Beta of the last `window` bars at each bar (NaN until there are `window` pairs, and
    where the benchmark did not move over the window)."""
    _check_window(window)
    frame = pd.concat([returns, benchmark_returns], axis=1, join="inner").astype(np.float64)
    strategy, benchmark = frame.iloc[:, 0], frame.iloc[:, 1]
    covariance = strategy.rolling(window, min_periods=window).cov(benchmark)
    variance = benchmark.rolling(window, min_periods=window).var()
    return (covariance / variance.where(variance > 1e-30)).rename("rolling_beta")


def rolling_volatility(
    returns: pd.Series, window: int, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> pd.Series:
    """Annualised volatility (std ddof=1 × √periods_per_year) of the last `window` returns."""
    _check_window(window)
    _check_periods(periods_per_year)
    std = returns.astype(np.float64).rolling(window, min_periods=window).std(ddof=1)
    return (std * math.sqrt(periods_per_year)).rename("rolling_volatility")


def _aligned(returns: pd.Series, benchmark: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.concat([returns, benchmark], axis=1, join="inner").astype(np.float64).dropna()
    return frame.iloc[:, 0].to_numpy(), frame.iloc[:, 1].to_numpy()


def _check_window(window: int) -> None:
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValidationError(f"window {window!r} must be an integer >= 2")


def _check_periods(periods_per_year: float) -> None:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")


def _check_equity(initial_equity: float) -> None:
    if not (math.isfinite(initial_equity) and initial_equity > 0):
        raise ValidationError(f"initial equity {initial_equity} is not a positive number")
