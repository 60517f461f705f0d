"""Monte Carlo resampling of a backtest: how much of its Sharpe, drawdown and return was luck.

Two families, both seeded (a numpy Generator) and vectorized over n_paths × n_periods matrices,
built in chunks of paths so memory stays bounded whatever n_paths is:

- `bootstrap_returns` resamples the per-period returns, either i.i.d. (each period drawn
  independently) or with the stationary bootstrap of Politis & Romano (1994): blocks of
  consecutive returns whose lengths are geometric with mean `mean_block_length`, wrapping
  around the end, which keeps the serial dependence (autocorrelation, volatility clusters)
  that an i.i.d. draw destroys.
- `bootstrap_trades` resamples closed-trade P&Ls with replacement and rebuilds each equity
  path as initial_equity + cumulative P&L.

Each metric comes back as a distribution over the paths with a percentile confidence interval
and the point estimate of the original, unshuffled series.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.application.analytics.performance import TRADING_DAYS_PER_YEAR, FloatArray
from quantcli.domain.errors import ValidationError

IntArray = npt.NDArray[np.int64]
ReturnsMethod = Literal["iid", "stationary"]
Seed = int | np.random.Generator | None
RETURNS_METHODS: tuple[ReturnsMethod, ...] = ("iid", "stationary")
# Paths per chunk are chosen so one chunk's matrix holds about this many float64 (8 MiB).
MAX_CHUNK_ELEMENTS = 1 << 20


@attrs.frozen
class MetricDistribution:
    """One metric over all resampled paths, with its percentile confidence interval."""

    point_estimate: float  # the metric of the original series
    values: FloatArray = attrs.field(eq=False, repr=False)  # one per path
    confidence_level: float

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def std(self) -> float:
        return float(self.values.std(ddof=1)) if self.values.size > 1 else 0.0

    @property
    def median(self) -> float:
        return self.percentile(50.0)

    @property
    def lower(self) -> float:
        """The (1 − confidence_level) / 2 percentile of the paths."""
        return self.percentile(50.0 * (1.0 - self.confidence_level))

    @property
    def upper(self) -> float:
        """The (1 + confidence_level) / 2 percentile of the paths."""
        return self.percentile(50.0 * (1.0 + self.confidence_level))

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the paths, linear interpolation."""
        if not 0.0 <= q <= 100.0:
            raise ValidationError(f"percentile q {q} is outside [0, 100]")
        return float(np.percentile(self.values, q))

    def as_dict(self) -> dict[str, float]:
        return {
            "point_estimate": self.point_estimate,
            "mean": self.mean,
            "median": self.median,
            "std": self.std,
            "lower": self.lower,
            "upper": self.upper,
        }


@attrs.frozen
class MonteCarloResult:
    """Distributions of Sharpe, max drawdown and final return over the resampled paths.

    For `bootstrap_returns` the Sharpe ratio is annualized by `periods_per_year`; for
    `bootstrap_trades` it is per trade (mean / std of trade P&L, not annualized).
    Max drawdown is a fraction ≤ 0 (floored at -1 when a trade path loses all its equity);
    final return is the path's final equity / initial equity − 1.
    """

    method: str  # "iid", "stationary" or "trades"
    n_paths: int
    n_periods: int  # returns or trades per path
    confidence_level: float
    seed: int | None
    sharpe: MetricDistribution
    max_drawdown: MetricDistribution
    final_return: MetricDistribution
    mean_block_length: float | None = None

    @property
    def probability_of_loss(self) -> float:
        """Fraction of paths ending below their initial equity."""
        return float(np.mean(self.final_return.values < 0.0))

    def as_dict(self, *, distributions: bool = False) -> dict[str, Any]:
        """Plain, JSON-ready numbers: settings plus one dict of statistics per metric, and with
        `distributions` each metric's value on every path (lists, in path order)."""
        summary: dict[str, Any] = {
            "method": self.method,
            "n_paths": self.n_paths,
            "n_periods": self.n_periods,
            "confidence_level": self.confidence_level,
            "seed": self.seed,
            "mean_block_length": self.mean_block_length,
            "probability_of_loss": self.probability_of_loss,
            "metrics": self.metrics_table(),
        }
        if distributions:
            summary["distributions"] = {
                "sharpe": self.sharpe.values.tolist(),
                "max_drawdown": self.max_drawdown.values.tolist(),
                "final_return": self.final_return.values.tolist(),
            }
        return summary

    def metrics_table(self) -> dict[str, dict[str, float]]:
        """Metric name → its statistics (point estimate, mean, median, std, lower, upper)."""
        return {
            "sharpe": self.sharpe.as_dict(),
            "max_drawdown": self.max_drawdown.as_dict(),
            "final_return": self.final_return.as_dict(),
        }


def bootstrap_indices(
    n_periods: int,
    n_paths: int,
    *,
    method: ReturnsMethod = "iid",
    mean_block_length: float | None = None,
    seed: Seed = None,
) -> IntArray:
    """An n_paths × n_periods matrix of positions into a series of n_periods values.

    "stationary": each position starts a new block with probability 1 / mean_block_length
    (always at period 0) at a uniformly drawn position, otherwise continues the previous
    block at the next position, wrapping around the end.
    """
    _count(n_periods, "n_periods")
    _count(n_paths, "n_paths")
    _method(method)
    block = _block_length(mean_block_length, n_periods) if method == "stationary" else None
    return _indices(n_periods, n_paths, block, _rng(seed))


def resample_returns(
    returns: npt.ArrayLike,
    n_paths: int,
    *,
    method: ReturnsMethod = "iid",
    mean_block_length: float | None = None,
    seed: Seed = None,
) -> FloatArray:
    """n_paths resampled return series (a matrix), as `bootstrap_indices` describes."""
    series = _returns(returns)
    indices = bootstrap_indices(
        series.size, n_paths, method=method, mean_block_length=mean_block_length, seed=seed
    )
    return series[indices]


def bootstrap_returns(
    returns: npt.ArrayLike,
    *,
    n_paths: int = 1000,
    method: ReturnsMethod = "iid",
    mean_block_length: float | None = None,
    confidence_level: float = 0.95,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    seed: int | None = None,
) -> MonteCarloResult:
    """Resample per-period simple returns into n_paths equity paths of the same length.

    `mean_block_length` applies to "stationary" only; None picks n_periods^(1/3), rounded,
    a common rule of thumb for the expected block length.
    """
    series = _returns(returns)
    _count(n_paths, "n_paths")
    _method(method)
    _confidence(confidence_level)
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")
    block = _block_length(mean_block_length, series.size) if method == "stationary" else None
    rng = _rng(seed)

    def chunk_metrics(paths: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        sample = series[_indices(series.size, paths, block, rng)]
        equity = np.cumprod(1.0 + sample, axis=1, dtype=np.float64)
        return (
            _sharpe_rows(sample) * math.sqrt(periods_per_year),
            _max_drawdown_rows(equity),
            equity[:, -1] - 1.0,
        )

    sharpe, drawdown, final = _in_chunks(n_paths, series.size, chunk_metrics)
    original = series[np.newaxis, :]
    original_equity = np.cumprod(1.0 + original, axis=1, dtype=np.float64)
    return MonteCarloResult(
        method=method,
        n_paths=n_paths,
        n_periods=series.size,
        confidence_level=confidence_level,
        seed=seed,
        sharpe=MetricDistribution(
            float(_sharpe_rows(original)[0] * math.sqrt(periods_per_year)),
            sharpe,
            confidence_level,
        ),
        max_drawdown=MetricDistribution(
            float(_max_drawdown_rows(original_equity)[0]), drawdown, confidence_level
        ),
        final_return=MetricDistribution(
            float(original_equity[0, -1] - 1.0), final, confidence_level
        ),
        mean_block_length=block,
    )


def bootstrap_trades(
    trade_pnl: npt.ArrayLike,
    *,
    initial_equity: float,
    n_paths: int = 1000,
    n_trades: int | None = None,
    confidence_level: float = 0.95,
    seed: int | None = None,
) -> MonteCarloResult:
    """Draw n_trades (default: as many as given) trade P&Ls with replacement per path.

    Each path's equity is initial_equity + the running sum of its P&Ls; the order of trades
    changes the drawdown, the draw with replacement changes everything.
    """
    pnl = np.asarray(trade_pnl, dtype=np.float64)
    if pnl.ndim != 1:
        raise ValidationError(f"trade_pnl must be one-dimensional, got shape {pnl.shape}")
    if pnl.size == 0:
        raise ValidationError("trade_pnl is empty: there are no trades to resample")
    bad = np.flatnonzero(~np.isfinite(pnl))
    if bad.size:
        raise ValidationError(f"trade_pnl[{bad[0]}] is {pnl[bad[0]]}, not a finite number")
    if not (math.isfinite(initial_equity) and initial_equity > 0):
        raise ValidationError(f"initial_equity {initial_equity} is not a positive number")
    length = pnl.size if n_trades is None else n_trades
    _count(length, "n_trades")
    _count(n_paths, "n_paths")
    _confidence(confidence_level)
    rng = _rng(seed)

    def chunk_metrics(paths: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        sample = pnl[rng.integers(0, pnl.size, size=(paths, length))]
        equity = initial_equity + np.cumsum(sample, axis=1)
        return (
            _sharpe_rows(sample),
            _max_drawdown_rows(equity / initial_equity),
            equity[:, -1] / initial_equity - 1.0,
        )

    sharpe, drawdown, final = _in_chunks(n_paths, length, chunk_metrics)
    original = pnl[np.newaxis, :]
    original_equity = (initial_equity + np.cumsum(original, axis=1)) / initial_equity
    return MonteCarloResult(
        method="trades",
        n_paths=n_paths,
        n_periods=length,
        confidence_level=confidence_level,
        seed=seed,
        sharpe=MetricDistribution(float(_sharpe_rows(original)[0]), sharpe, confidence_level),
        max_drawdown=MetricDistribution(
            float(_max_drawdown_rows(original_equity)[0]), drawdown, confidence_level
        ),
        final_return=MetricDistribution(
            float(original_equity[0, -1] - 1.0), final, confidence_level
        ),
    )


# --- checks -----------------------------------------------------------------------------------


def _returns(values: npt.ArrayLike) -> FloatArray:
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1:
        raise ValidationError(f"returns must be one-dimensional, got shape {series.shape}")
    if series.size == 0:
        raise ValidationError("returns is empty: there is nothing to resample")
    bad = np.flatnonzero(~np.isfinite(series))
    if bad.size:
        raise ValidationError(f"returns[{bad[0]}] is {series[bad[0]]}, not a finite number")
    ruin = np.flatnonzero(series <= -1.0)
    if ruin.size:
        raise ValidationError(
            f"returns[{ruin[0]}] is {series[ruin[0]]}, a loss of 100 % or more; "
            "equity paths need returns above -1"
        )
    return series


def _count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(f"{name} {value!r} is not an integer")
    if value < 1:
        raise ValidationError(f"{name} {value} must be at least 1")


def _method(method: str) -> None:
    if method not in RETURNS_METHODS:
        raise ValidationError(f"method {method!r} is not one of {', '.join(RETURNS_METHODS)}")


def _confidence(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValidationError(f"confidence_level {level} is not in (0, 1)")


def _block_length(mean_block_length: float | None, n_periods: int) -> float:
    if mean_block_length is None:
        return float(max(1, round(n_periods ** (1.0 / 3.0))))
    if not (math.isfinite(mean_block_length) and mean_block_length >= 1.0):
        raise ValidationError(f"mean_block_length {mean_block_length} must be a number >= 1")
    return float(mean_block_length)


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


# --- kernels ----------------------------------------------------------------------------------


def _indices(
    n_periods: int, n_paths: int, block: float | None, rng: np.random.Generator
) -> IntArray:
    starts = rng.integers(0, n_periods, size=(n_paths, n_periods))
    if block is None or block <= 1.0:
        return starts
    new_block = rng.random((n_paths, n_periods)) < 1.0 / block
    new_block[:, 0] = True
    steps = np.arange(n_periods)
    # The period at which the current block began, for every (path, period).
    began = np.maximum.accumulate(np.where(new_block, steps, 0), axis=1)
    first = np.take_along_axis(starts, began, axis=1)
    indices: IntArray = (first + (steps - began)) % n_periods
    return indices


def _in_chunks(
    n_paths: int,
    n_periods: int,
    compute: Callable[[int], tuple[FloatArray, FloatArray, FloatArray]],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    chunk = max(1, MAX_CHUNK_ELEMENTS // n_periods)
    parts = [compute(min(chunk, n_paths - done)) for done in range(0, n_paths, chunk)]
    sharpe, drawdown, final = zip(*parts, strict=True)
    return np.concatenate(sharpe), np.concatenate(drawdown), np.concatenate(final)


def _sharpe_rows(sample: FloatArray) -> FloatArray:
    """Per-row mean / std (ddof=1), 0.0 for rows under 2 values or of zero spread."""
    if sample.shape[1] < 2:
        return np.zeros(sample.shape[0])
    mean = sample.mean(axis=1)
    std = sample.std(axis=1, ddof=1)
    # The same rounding-noise guard as performance.sharpe_ratio.
    noise = 1e-15 * np.maximum(1.0, np.abs(sample).max(axis=1))
    safe = np.where(std > noise, std, 1.0)
    sharpe: FloatArray = np.where(std > noise, mean / safe, 0.0)
    return sharpe


def _max_drawdown_rows(equity: FloatArray) -> FloatArray:
    """Per-row deepest fall from the running peak, the start (1.0) counting as a peak."""
    peaks = np.maximum(np.maximum.accumulate(equity, axis=1), 1.0)
    drawdown: FloatArray = np.maximum((equity / peaks - 1.0).min(axis=1), -1.0)
    return np.minimum(drawdown, 0.0)
