"""Performance statistics of an equity curve: returns, Sharpe, Sortino, drawdown, CAGR, turnover.

Conventions: simple (not log) returns, risk-free rate 0, annualization by `periods_per_year`
(252 trading days by default; `annualization.infer_annualization` gives the bars' own factor).
CAGR compounds over `years`, the elapsed time of the curve, when given (see `cagr`). A ratio
whose denominator is zero, or that needs more returns than there are, is reported as 0.0
rather than inf/nan so summaries stay serializable.
Also: Calmar, drawdown duration and episodes, win rate and profit factor of trade P&Ls,
exposure of a positions matrix, and the probabilistic Sharpe ratio (Bailey & López de Prado).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.application.analytics.sharpe_statistics import estimate_sharpe
from quantcli.domain.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
TRADING_DAYS_PER_YEAR = 252


class Labels(Protocol):
    """Bar labels by position: a list, a tuple or a pandas Index (e.g. of UTC timestamps)."""

    def __len__(self) -> int: ...

    def __getitem__(self, position: int, /) -> Any: ...


def simple_returns(equity: npt.ArrayLike) -> FloatArray:
    """Period-over-period returns equity[t] / equity[t-1] - 1; one shorter than `equity`."""
    curve = _equity(equity)
    return _returns(curve)


def sharpe_ratio(returns: npt.ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> float:
    """Annualized mean / standard deviation (ddof=1); 0.0 when std is 0 or under 2 returns."""
    return _sharpe(_series(returns, "returns"), _periods(periods_per_year))


def sortino_ratio(returns: npt.ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> float:
    """Annualized mean / downside deviation, the Sortino & Price (1994) convention.

    Downside deviation is sqrt(mean(min(r, 0)²)) over *all* periods, gains counting as zero,
    with target return 0. 0.0 when there is no downside (the ratio is undefined) or under
    2 returns, matching `sharpe_ratio`.
    """
    return _sortino(_series(returns, "returns"), _periods(periods_per_year))


def annualized_volatility(
    returns: npt.ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float:
    """Standard deviation of returns (ddof=1) × sqrt(periods_per_year); 0.0 under 2 returns."""
    return _volatility(_series(returns, "returns"), _periods(periods_per_year))


def drawdown_series(equity: npt.ArrayLike) -> FloatArray:
    """Each point's fall from the running peak, as a fraction ≤ 0 (-0.25 is 25 % below peak)."""
    return _drawdowns(_equity(equity))


def max_drawdown(equity: npt.ArrayLike) -> float:
    """The deepest fall from a running peak, as a negative fraction; 0.0 if it never fell."""
    return float(_drawdowns(_equity(equity)).min())


def cagr(
    equity: npt.ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    *,
    years: float | None = None,
) -> float:
    """Compound annual growth rate: (last / first) ** (1 / years) - 1; 0.0 for a single point.

    `years` is the curve's elapsed time, first to last point (`annualization.elapsed_years` of
    its timestamps); None counts it as (len(equity) - 1) / periods_per_year, right only for
    evenly spaced points.
    """
    curve = _equity(equity)
    return _cagr(curve, _years(years, curve, _periods(periods_per_year)))


def turnover(
    traded_notional: npt.ArrayLike,
    equity: npt.ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float:
    """Annualized turnover: mean of traded_notional / equity per period × periods_per_year.

    `traded_notional[t]` is the absolute value traded in period t, buys plus sells, so
    replacing the whole book once (sell everything, buy anew) counts as 2.0.
    """
    curve = _equity(equity)
    traded = _traded(traded_notional, len(curve))
    return _turnover(traded, curve, _periods(periods_per_year))


def calmar_ratio(
    equity: npt.ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    *,
    years: float | None = None,
) -> float:
    """CAGR (over `years`, as `cagr`) / |max drawdown|; 0.0 when the curve never fell."""
    curve = _equity(equity)
    return _calmar(curve, _years(years, curve, _periods(periods_per_year)))


def max_drawdown_duration(equity: npt.ArrayLike) -> int:
    """The longest run of consecutive bars strictly below a previous peak (0 if none).

    A curve 100, 90, 95, 100 spends 2 bars under water: the peak bar and the recovery bar,
    where equity is back at the peak, do not count. An unrecovered drawdown counts to the end.
    """
    return _longest_underwater(_drawdowns(_equity(equity)))


@attrs.frozen
class DrawdownEpisode:
    """One stretch under water: from a peak to the first bar back at (or above) that peak.

    Bars are positions in the equity curve; `*_at` are the matching labels of the index given
    to `drawdown_episodes` (None without one). `recovery_bar` is None when the curve ends
    still below the peak. `duration` counts the bars strictly below the peak.
    """

    depth: float  # the deepest fall in the episode, a fraction < 0
    peak_bar: int
    trough_bar: int
    recovery_bar: int | None
    duration: int
    peak_at: Any = None
    trough_at: Any = None
    recovery_at: Any = None

    @property
    def recovered(self) -> bool:
        return self.recovery_bar is not None


def drawdown_episodes(equity: npt.ArrayLike, index: Labels | None = None) -> list[DrawdownEpisode]:
    """Every drawdown episode of the curve in time order; labels come from `index` if given.

    `index` (e.g. the equity Series' DatetimeIndex) must be as long as `equity`.
    """
    curve = _equity(equity)
    if index is not None and len(index) != len(curve):
        raise ValidationError(
            f"index has {len(index)} labels but equity has {len(curve)}; "
            "they must be the same length"
        )
    drawdowns = _drawdowns(curve)
    episodes = []
    for start, stop in _underwater_runs(drawdowns):
        peak = start - 1  # a run never starts at bar 0: the first bar is its own peak
        trough = start + int(np.argmin(drawdowns[start:stop]))
        recovery = stop if stop < len(curve) else None
        episodes.append(
            DrawdownEpisode(
                depth=float(drawdowns[trough]),
                peak_bar=peak,
                trough_bar=trough,
                recovery_bar=recovery,
                duration=stop - start,
                peak_at=None if index is None else index[peak],
                trough_at=None if index is None else index[trough],
                recovery_at=None if index is None or recovery is None else index[recovery],
            )
        )
    return episodes


def deepest_drawdown(equity: npt.ArrayLike, index: Labels | None = None) -> DrawdownEpisode | None:
    """The episode with the maximum drawdown (the earliest on ties); None if it never fell."""
    episodes = drawdown_episodes(equity, index)
    return min(episodes, key=lambda episode: episode.depth) if episodes else None


def longest_drawdown(equity: npt.ArrayLike, index: Labels | None = None) -> DrawdownEpisode | None:
    """The episode longest under water (the earliest on ties); None if it never fell."""
    episodes = drawdown_episodes(equity, index)
    return max(episodes, key=lambda episode: episode.duration) if episodes else None


def win_rate(trade_pnl: npt.ArrayLike) -> float:
    """Fraction of trades with P&L > 0 (break-even trades are not wins); 0.0 without trades."""
    pnl = _trade_pnl(trade_pnl)
    return float(np.mean(pnl > 0)) if pnl.size else 0.0


def profit_factor(trade_pnl: npt.ArrayLike) -> float:
    """Gross profit / gross loss of the trades; 0.0 when no trade lost (undefined)."""
    return _profit_factor(_trade_pnl(trade_pnl))


def exposure(positions: npt.ArrayLike) -> float:
    """Fraction of bars holding any position: a bars × instruments matrix (or one column).

    A bar is exposed when any instrument's position is non-zero, long or short.
    """
    return _exposure(_positions(positions))


def probabilistic_sharpe_ratio(returns: npt.ArrayLike, benchmark_sharpe: float = 0.0) -> float:
    """PSR(SR*): the probability that the true Sharpe ratio exceeds `benchmark_sharpe`.

    Bailey & López de Prado (2012); the formula and its conventions are in
    `quantcli.application.analytics.sharpe_statistics`: SR̂ and `benchmark_sharpe` are *per-period*
    (divide an annual benchmark by sqrt(periods_per_year)), skewness and non-excess kurtosis
    are the biased sample moments. Under 2 returns or with zero variance, 0.0.
    """
    series = _series(returns, "returns")
    if not math.isfinite(benchmark_sharpe):
        raise ValidationError(f"benchmark_sharpe {benchmark_sharpe} is not a finite number")
    return _psr(series, float(benchmark_sharpe))


@attrs.frozen
class PerformanceSummary:
    """Headline statistics of one backtest or trading session; fractions, not percent."""

    total_return: float
    cagr: float
    annualized_volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    turnover: float
    trade_count: int
    calmar: float = 0.0
    max_drawdown_duration: int = 0  # bars, see max_drawdown_duration()
    probabilistic_sharpe: float = 0.0  # PSR(0) of the per-period returns
    # Only known when summarize() gets trade P&Ls / positions; None is left out of as_dict().
    win_rate: float | None = None
    profit_factor: float | None = None
    exposure: float | None = None

    @classmethod
    def summarize(
        cls,
        equity: npt.ArrayLike,
        traded_notional: npt.ArrayLike,
        trade_count: int,
        periods_per_year: float = TRADING_DAYS_PER_YEAR,
        *,
        trade_pnl: npt.ArrayLike | None = None,
        positions: npt.ArrayLike | None = None,
        years: float | None = None,
    ) -> PerformanceSummary:
        """The summary of an equity curve and the notional traded in each of its periods.

        `periods_per_year` annualizes volatility, Sharpe, Sortino and turnover; CAGR and Calmar
        compound over `years`, the curve's elapsed time (None: bar count / periods_per_year).
        `trade_pnl` (P&L of each closed trade) adds win rate and profit factor; `positions`
        (bars × instruments, as long as `equity`) adds exposure.
        """
        curve = _equity(equity)
        traded = _traded(traded_notional, len(curve))
        periods = _periods(periods_per_year)
        elapsed = _years(years, curve, periods)
        if isinstance(trade_count, bool) or not isinstance(trade_count, int | np.integer):
            raise ValidationError(f"trade_count {trade_count!r} is not an integer")
        if trade_count < 0:
            raise ValidationError(f"trade_count {trade_count} is negative")
        returns = _returns(curve)
        drawdowns = _drawdowns(curve)
        pnl = None if trade_pnl is None else _trade_pnl(trade_pnl)
        held = None if positions is None else _positions(positions)
        if held is not None and held.shape[0] != len(curve):
            raise ValidationError(
                f"positions has {held.shape[0]} bars but equity has {len(curve)}; "
                "they must be the same length"
            )
        return cls(
            total_return=float(curve[-1] / curve[0] - 1),
            cagr=_cagr(curve, elapsed),
            annualized_volatility=_volatility(returns, periods),
            sharpe=_sharpe(returns, periods),
            sortino=_sortino(returns, periods),
            max_drawdown=float(drawdowns.min()),
            turnover=_turnover(traded, curve, periods),
            trade_count=int(trade_count),
            calmar=_calmar(curve, elapsed),
            max_drawdown_duration=_longest_underwater(drawdowns),
            probabilistic_sharpe=_psr(returns, 0.0),
            win_rate=None if pnl is None else (float(np.mean(pnl > 0)) if pnl.size else 0.0),
            profit_factor=None if pnl is None else _profit_factor(pnl),
            exposure=None if held is None else _exposure(held),
        )

    def as_dict(self) -> dict[str, float | int]:
        """The known statistics as plain numbers; those not computed (None) are left out."""
        return {key: value for key, value in attrs.asdict(self).items() if value is not None}


summarize = PerformanceSummary.summarize


# --- input checks: every public function validates, the private kernels below trust ----------


def _series(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValidationError(f"{name} is empty")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValidationError(f"{name}[{bad[0]}] is {array[bad[0]]}, not a finite number")
    return array


def _equity(values: npt.ArrayLike) -> FloatArray:
    curve = _series(values, "equity")
    bad = np.flatnonzero(curve <= 0)
    if bad.size:
        raise ValidationError(f"equity[{bad[0]}] is {curve[bad[0]]}, not positive")
    return curve


def _traded(values: npt.ArrayLike, length: int) -> FloatArray:
    traded = _series(values, "traded_notional")
    if len(traded) != length:
        raise ValidationError(
            f"traded_notional has {len(traded)} values but equity has {length}; "
            "they must be the same length"
        )
    bad = np.flatnonzero(traded < 0)
    if bad.size:
        raise ValidationError(f"traded_notional[{bad[0]}] is {traded[bad[0]]}, negative")
    return traded


def _trade_pnl(values: npt.ArrayLike) -> FloatArray:
    pnl = np.asarray(values, dtype=np.float64)
    if pnl.ndim != 1:
        raise ValidationError(f"trade_pnl must be one-dimensional, got shape {pnl.shape}")
    bad = np.flatnonzero(~np.isfinite(pnl))
    if bad.size:
        raise ValidationError(f"trade_pnl[{bad[0]}] is {pnl[bad[0]]}, not a finite number")
    return pnl


def _positions(values: npt.ArrayLike) -> FloatArray:
    held = np.asarray(values, dtype=np.float64)
    if held.ndim == 1:
        held = held[:, np.newaxis]
    if held.ndim != 2:
        raise ValidationError(f"positions must be bars × instruments, got shape {held.shape}")
    if held.shape[0] == 0:
        raise ValidationError("positions is empty")
    bad = np.argwhere(~np.isfinite(held))
    if bad.size:
        bar, column = (int(i) for i in bad[0])
        raise ValidationError(
            f"positions[{bar}, {column}] is {held[bar, column]}, not a finite number"
        )
    return held


def _periods(periods_per_year: float) -> float:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")
    return float(periods_per_year)


def _years(years: float | None, curve: FloatArray, periods: float) -> float:
    if years is None:
        return (len(curve) - 1) / periods
    if not (math.isfinite(years) and years >= 0):
        raise ValidationError(f"years {years} is not a finite number >= 0")
    if years == 0 and len(curve) > 1:
        raise ValidationError(f"years is 0 for an equity curve of {len(curve)} points")
    return float(years)


# --- kernels ----------------------------------------------------------------------------------


def _returns(curve: FloatArray) -> FloatArray:
    return curve[1:] / curve[:-1] - 1.0


def _volatility(returns: FloatArray, periods: float) -> float:
    if returns.size < 2:
        return 0.0
    return float(returns.std(ddof=1) * math.sqrt(periods))


def _sharpe(returns: FloatArray, periods: float) -> float:
    if returns.size < 2:
        return 0.0
    std = float(returns.std(ddof=1))
    # A flat curve has std of pure rounding noise; treat anything that small as zero.
    if std <= 1e-15 * max(1.0, float(np.abs(returns).max())):
        return 0.0
    return float(returns.mean() / std * math.sqrt(periods))


def _sortino(returns: FloatArray, periods: float) -> float:
    if returns.size < 2:
        return 0.0
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside == 0.0:
        return 0.0
    return float(returns.mean() / downside * math.sqrt(periods))


def _drawdowns(curve: FloatArray) -> FloatArray:
    return curve / np.maximum.accumulate(curve) - 1.0


def _cagr(curve: FloatArray, years: float) -> float:
    if years == 0:
        return 0.0
    return float((curve[-1] / curve[0]) ** (1.0 / years) - 1.0)


def _turnover(traded: FloatArray, curve: FloatArray, periods: float) -> float:
    return float(np.mean(traded / curve) * periods)


def _calmar(curve: FloatArray, years: float) -> float:
    deepest = float(_drawdowns(curve).min())
    if deepest == 0.0:
        return 0.0
    return _cagr(curve, years) / abs(deepest)


def _underwater_runs(drawdowns: FloatArray) -> list[tuple[int, int]]:
    """[start, stop) bar ranges where the curve is strictly below its running peak."""
    underwater = np.concatenate([[False], drawdowns < 0.0, [False]])
    edges = np.flatnonzero(np.diff(underwater.astype(np.int8)))
    return [(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def _longest_underwater(drawdowns: FloatArray) -> int:
    return max((stop - start for start, stop in _underwater_runs(drawdowns)), default=0)


def _profit_factor(pnl: FloatArray) -> float:
    gross_loss = float(-pnl[pnl < 0].sum())
    if gross_loss == 0.0:
        return 0.0
    return float(pnl[pnl > 0].sum()) / gross_loss


def _exposure(held: FloatArray) -> float:
    return float(np.mean(np.any(held != 0.0, axis=1)))


def _psr(returns: FloatArray, benchmark: float) -> float:
    estimate = estimate_sharpe(returns)
    return 0.0 if estimate is None else estimate.probabilistic(benchmark)
