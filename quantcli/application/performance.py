"""Performance statistics of an equity curve: returns, Sharpe, Sortino, drawdown, CAGR, turnover.

Conventions: simple (not log) returns, risk-free rate 0, annualization by `periods_per_year`
(252 trading days by default). A ratio whose denominator is zero, or that needs more returns
than there are, is reported as 0.0 rather than inf/nan so summaries stay serializable.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.domain.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
TRADING_DAYS_PER_YEAR = 252


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


def cagr(equity: npt.ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> float:
    """Compound annual growth rate over len(equity) - 1 periods; 0.0 for a single point."""
    return _cagr(_equity(equity), _periods(periods_per_year))


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

    @classmethod
    def summarize(
        cls,
        equity: npt.ArrayLike,
        traded_notional: npt.ArrayLike,
        trade_count: int,
        periods_per_year: float = TRADING_DAYS_PER_YEAR,
    ) -> PerformanceSummary:
        """The summary of an equity curve and the notional traded in each of its periods."""
        curve = _equity(equity)
        traded = _traded(traded_notional, len(curve))
        periods = _periods(periods_per_year)
        if isinstance(trade_count, bool) or not isinstance(trade_count, int | np.integer):
            raise ValidationError(f"trade_count {trade_count!r} is not an integer")
        if trade_count < 0:
            raise ValidationError(f"trade_count {trade_count} is negative")
        returns = _returns(curve)
        return cls(
            total_return=float(curve[-1] / curve[0] - 1),
            cagr=_cagr(curve, periods),
            annualized_volatility=_volatility(returns, periods),
            sharpe=_sharpe(returns, periods),
            sortino=_sortino(returns, periods),
            max_drawdown=float(_drawdowns(curve).min()),
            turnover=_turnover(traded, curve, periods),
            trade_count=int(trade_count),
        )

    def as_dict(self) -> dict[str, float | int]:
        return attrs.asdict(self)


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


def _periods(periods_per_year: float) -> float:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")
    return float(periods_per_year)


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


def _cagr(curve: FloatArray, periods: float) -> float:
    years = (len(curve) - 1) / periods
    if years == 0:
        return 0.0
    return float((curve[-1] / curve[0]) ** (1.0 / years) - 1.0)


def _turnover(traded: FloatArray, curve: FloatArray, periods: float) -> float:
    return float(np.mean(traded / curve) * periods)
