"""Value at risk and expected shortfall of a portfolio: historical, parametric, Monte Carlo.

Inputs: the signed market value of each position and a history of simple returns, one row per
day (time ascending) and one column per symbol. The one-day P&L scenario of a row is
Σ value × return (positions held constant, linear in the returns); rows missing a held symbol's
return are dropped. VaR and ES are positive numbers for losses, in the currency of the values.

Horizon: every method computes the one-day figure and scales it by sqrt(horizon_days), the
square-root-of-time rule. It assumes independent, identically distributed daily P&L with a mean
small against its spread; autocorrelated or trending returns make it understate or overstate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from quantcli.domain.errors import ValidationError

METHODS = ("historical", "parametric", "monte_carlo")
FloatArray = npt.NDArray[np.float64]
# Tail points the Cornish-Fisher expected shortfall averages the quantile function over.
_CF_TAIL_POINTS = 2_000


@attrs.frozen
class VaRResult:
    """VaR and expected shortfall (both positive for a loss) at `confidence` over the horizon."""

    method: str
    confidence: float
    horizon_days: int
    value_at_risk: float
    expected_shortfall: float
    observations: int


def _confidence(_instance: Any, _attribute: Any, value: float) -> None:
    _check_confidence(value)


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and not value > 0:
        raise ValidationError(f"{attribute.name}: {value} is not positive")


@attrs.frozen
class VaRConfig:
    """How `value_at_risk` computes: method, confidence, horizon, lookback rows, MC paths, seed."""

    method: str = attrs.field(default="historical")
    confidence: float = attrs.field(default=0.99, validator=_confidence)
    horizon_days: int = attrs.field(default=1, validator=_positive)
    lookback_days: int | None = attrs.field(default=None, validator=_positive)
    monte_carlo_paths: int = attrs.field(default=10_000, validator=_positive)
    seed: int = 0
    cornish_fisher: bool = False

    @method.validator
    def _known_method(self, _attribute: Any, value: str) -> None:
        if value not in METHODS:
            raise ValidationError(f"method: {value!r} is not one of {', '.join(METHODS)}")


def value_at_risk(
    position_values: Mapping[str, float | Decimal], returns: pd.DataFrame, config: VaRConfig
) -> VaRResult:
    """VaR and ES by the method `config` names."""
    common: dict[str, Any] = {
        "confidence": config.confidence,
        "horizon_days": config.horizon_days,
        "lookback_days": config.lookback_days,
    }
    if config.method == "historical":
        return historical_var(position_values, returns, **common)
    if config.method == "parametric":
        return parametric_var(
            position_values, returns, cornish_fisher=config.cornish_fisher, **common
        )
    return monte_carlo_var(
        position_values, returns, paths=config.monte_carlo_paths, seed=config.seed, **common
    )


def historical_var(
    position_values: Mapping[str, float | Decimal],
    returns: pd.DataFrame,
    confidence: float = 0.99,
    horizon_days: int = 1,
    lookback_days: int | None = None,
) -> VaRResult:
    """Historical simulation: the empirical quantile of the P&L scenarios.

    With n scenarios and tail probability a = 1 - confidence, VaR is minus the k-th smallest
    P&L, k = ceil(n × a) (the lower empirical quantile), and ES minus the mean of the k smallest.
    """
    _check_horizon(confidence, horizon_days)
    pnl = portfolio_pnl(position_values, returns, lookback_days)
    var, es = _empirical_tail(pnl, 1.0 - confidence)
    return _result("historical", confidence, horizon_days, var, es, observations=pnl.size)


def parametric_var(
    position_values: Mapping[str, float | Decimal],
    returns: pd.DataFrame,
    confidence: float = 0.99,
    horizon_days: int = 1,
    lookback_days: int | None = None,
    *,
    cornish_fisher: bool = False,
) -> VaRResult:
    """Variance-covariance VaR: normal P&L with the sample mean and standard deviation (n - 1).

    VaR = -(mean + z × sigma), ES = -(mean - sigma × pdf(z) / a), z the a-quantile of the standard
    normal, a = 1 - confidence. With `cornish_fisher`, z is adjusted for the sample skewness and
    excess kurtosis (population moments) and ES averages the adjusted quantile over the tail;
    moments for which the expansion is not monotone in the tail are a ValidationError.
    """
    _check_horizon(confidence, horizon_days)
    pnl = portfolio_pnl(position_values, returns, lookback_days)
    if pnl.size < 2:
        raise ValidationError(f"returns: {pnl.size} complete row(s), parametric VaR needs 2")
    tail = 1.0 - confidence
    mean, sigma = float(pnl.mean()), float(pnl.std(ddof=1))
    normal = NormalDist()
    z = normal.inv_cdf(tail)
    if not cornish_fisher:
        var = -(mean + z * sigma)
        es = -(mean - sigma * normal.pdf(z) / tail)
        return _result("parametric", confidence, horizon_days, var, es, observations=pnl.size)
    skew, excess_kurtosis = _shape(pnl)
    grid = (np.arange(_CF_TAIL_POINTS) + 0.5) / _CF_TAIL_POINTS * tail
    tail_z = np.array([normal.inv_cdf(float(u)) for u in grid])
    tail_quantiles = _cornish_fisher(np.append(tail_z, z), skew, excess_kurtosis)
    # Outside its valid range of skewness and kurtosis the expansion is no quantile function:
    # it turns back in the tail, and its VaR and ES would be meaningless (ES below VaR).
    if np.any(np.diff(tail_quantiles) < 0):
        raise ValidationError(
            f"cornish_fisher: skewness {_shown(skew)} and excess kurtosis "
            f"{_shown(excess_kurtosis)} are outside the expansion's valid range (its quantile "
            "is not monotone in the tail); use the historical or plain parametric method"
        )
    var = -(mean + sigma * float(tail_quantiles[-1]))
    es = -(mean + sigma * float(np.mean(tail_quantiles[:-1])))
    return _result(
        "parametric_cornish_fisher", confidence, horizon_days, var, es, observations=pnl.size
    )


def monte_carlo_var(
    position_values: Mapping[str, float | Decimal],
    returns: pd.DataFrame,
    confidence: float = 0.99,
    horizon_days: int = 1,
    lookback_days: int | None = None,
    *,
    paths: int = 10_000,
    seed: int = 0,
) -> VaRResult:
    """Monte Carlo: `paths` seeded multivariate-normal draws of one day's returns (sample mean
    and covariance of the held symbols), valued like historical scenarios."""
    _check_horizon(confidence, horizon_days)
    if paths < 1:
        raise ValidationError(f"paths: {paths} is not positive")
    symbols, values = _values(position_values)
    history = _history(returns, symbols, lookback_days)
    if len(history) < 2:
        raise ValidationError(f"returns: {len(history)} complete row(s), Monte Carlo VaR needs 2")
    sample = history.to_numpy(dtype=np.float64)
    mean = sample.mean(axis=0)
    covariance = np.atleast_2d(np.cov(sample, rowvar=False, ddof=1))
    rng = np.random.default_rng(seed)
    # eigh copes with a singular covariance (perfectly correlated symbols); Cholesky would not.
    draws = rng.multivariate_normal(mean, covariance, size=paths, method="eigh")
    pnl = draws @ values
    var, es = _empirical_tail(pnl, 1.0 - confidence)
    return _result("monte_carlo", confidence, horizon_days, var, es, observations=len(history))


def portfolio_pnl(
    position_values: Mapping[str, float | Decimal],
    returns: pd.DataFrame,
    lookback_days: int | None = None,
) -> FloatArray:
    """One-day P&L scenarios Σ value × return: one per complete row among the last lookback."""
    symbols, values = _values(position_values)
    history = _history(returns, symbols, lookback_days)
    if history.empty:
        raise ValidationError("returns: no complete row for the held symbols")
    pnl: FloatArray = history.to_numpy(dtype=np.float64) @ values
    return pnl


# --- helpers ----------------------------------------------------------------------------------


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValidationError(f"confidence: {confidence} is not in (0, 1)")


def _check_horizon(confidence: float, horizon_days: int) -> None:
    _check_confidence(confidence)
    if not horizon_days >= 1:
        raise ValidationError(f"horizon_days: {horizon_days} is below 1")


def _values(position_values: Mapping[str, float | Decimal]) -> tuple[list[str], FloatArray]:
    if not position_values:
        raise ValidationError("position_values: empty, nothing to measure")
    symbols = list(position_values)
    values = np.array([float(position_values[s]) for s in symbols], dtype=np.float64)
    for symbol, value in zip(symbols, values, strict=True):
        if not math.isfinite(value):
            raise ValidationError(f"position_values[{symbol}]: {value} is not finite")
    return symbols, values


def _history(returns: pd.DataFrame, symbols: list[str], lookback_days: int | None) -> pd.DataFrame:
    missing = [symbol for symbol in symbols if symbol not in returns.columns]
    if missing:
        raise ValidationError(
            f"returns: no column for {', '.join(missing)}, which has a position value"
        )
    window = returns[symbols] if lookback_days is None else returns[symbols].iloc[-lookback_days:]
    history = window.dropna()
    if np.isinf(history.to_numpy(dtype=np.float64)).any():
        raise ValidationError("returns: infinite values in the held symbols' columns")
    return history


def _empirical_tail(pnl: FloatArray, tail: float) -> tuple[float, float]:
    ordered = np.sort(pnl)
    # Rounded first: n × (1 - 0.95) is 5.000000000000004 in floats, and must count as 5.
    k = max(1, math.ceil(round(ordered.size * tail, 9)))
    return -float(ordered[k - 1]), -float(ordered[:k].mean())


def _shape(pnl: FloatArray) -> tuple[float, float]:
    centred = pnl - pnl.mean()
    variance = float(np.mean(centred**2))
    if variance == 0.0:
        return 0.0, 0.0
    skew = float(np.mean(centred**3)) / variance**1.5
    excess_kurtosis = float(np.mean(centred**4)) / variance**2 - 3.0
    return skew, excess_kurtosis


def _shown(moment: float) -> str:
    return f"{round(moment, 3) + 0.0:.3f}"  # + 0.0 turns -0.0 into 0.0


def _cornish_fisher(z: Any, skew: float, excess_kurtosis: float) -> Any:
    """The Cornish-Fisher expansion of a standard-normal quantile z (a float or an array)."""
    return (
        z
        + (z**2 - 1) * skew / 6
        + (z**3 - 3 * z) * excess_kurtosis / 24
        - (2 * z**3 - 5 * z) * skew**2 / 36
    )


def _result(
    method: str, confidence: float, horizon_days: int, var: float, es: float, *, observations: int
) -> VaRResult:
    scale = math.sqrt(horizon_days)
    return VaRResult(method, confidence, horizon_days, var * scale, es * scale, observations)
