"""Inference on a Sharpe ratio: PSR, deflated Sharpe, expected maximum Sharpe, MinTRL.

Sources: Bailey & López de Prado (2012), "The Sharpe ratio efficient frontier" (PSR, MinTRL),
and (2014), "The deflated Sharpe ratio" (expected maximum Sharpe of N trials, DSR).

Conventions, shared by every function here:
- Sharpe ratios are *per period* (not annualized): mean / standard deviation of the simple
  returns at their own sampling frequency, risk-free rate 0. An annualized Sharpe ratio maps to
  this as SR_year / sqrt(periods_per_year), a variance of annualized Sharpe ratios as
  V_year / periods_per_year. Track record lengths count periods (observations), not years.
- The standard deviation uses ddof=1. Skewness γ3 = m3 / m2^1.5 and kurtosis γ4 = m4 / m2²
  are the *biased* sample moments (m_k is the k-th central moment averaged over n), and γ4 is
  the plain, *non-excess* kurtosis: 3 for a normal distribution, not 0.
- The estimate SR̂ is asymptotically normal with variance
  (1 − γ3·SR̂ + (γ4 − 1)/4 · SR̂²) / (n − 1)    (Mertens 2002, as used in both papers).
- Φ / Φ⁻¹ are the standard normal CDF and quantile (stdlib `statistics.NormalDist`).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.domain.errors import ValidationError

EULER_MASCHERONI = 0.5772156649015329
_STANDARD_NORMAL = NormalDist()
# Below this the variance factor is rounding noise: SR̂ has no spread (two-point returns).
_NO_SPREAD = 1e-12


def normal_cdf(z: float) -> float:
    """Standard normal cumulative distribution Φ(z)."""
    return _STANDARD_NORMAL.cdf(z)


def normal_quantile(probability: float) -> float:
    """Standard normal quantile Φ⁻¹(p) for 0 < p < 1."""
    if not 0.0 < probability < 1.0:
        raise ValidationError(f"probability {probability} is not strictly between 0 and 1")
    return _STANDARD_NORMAL.inv_cdf(probability)


@attrs.frozen
class SharpeEstimate:
    """An observed per-period Sharpe ratio with the moments of the returns it came from.

    `sharpe` is per period; `observations` is the track record length n (> 1, periods);
    `skewness` γ3 and `kurtosis` γ4 (non-excess, normal = 3) are the biased sample moments.
    The moments must be possible for some distribution: γ4 ≥ 1 + γ3² (Pearson), which also
    catches an excess kurtosis passed by mistake.
    """

    sharpe: float
    observations: float
    skewness: float = 0.0
    kurtosis: float = 3.0

    def __attrs_post_init__(self) -> None:
        for name in ("sharpe", "observations", "skewness", "kurtosis"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValidationError(f"SharpeEstimate.{name} {value} is not a finite number")
        if not self.observations > 1:
            raise ValidationError(
                f"SharpeEstimate.observations {self.observations} must be more than 1"
            )
        floor = 1.0 + self.skewness**2
        if self.kurtosis < floor - 1e-9 * floor:
            raise ValidationError(
                f"SharpeEstimate.kurtosis {self.kurtosis} is below 1 + skewness² = {floor:g}, "
                "impossible for any distribution; kurtosis is the non-excess kurtosis "
                "(3 for a normal distribution), not the excess kurtosis"
            )

    @property
    def variance_factor(self) -> float:
        """1 − γ3·SR̂ + (γ4 − 1)/4 · SR̂²: (n − 1) times the variance of the estimate SR̂.

        Pearson's inequality keeps it ≥ (1 − γ3·SR̂/2)² ≥ 0.
        """
        sharpe = self.sharpe
        return max(0.0, 1.0 - self.skewness * sharpe + (self.kurtosis - 1.0) / 4.0 * sharpe**2)

    def probabilistic(self, benchmark_sharpe: float = 0.0) -> float:
        """PSR(SR*): the probability that the true Sharpe ratio exceeds `benchmark_sharpe`.

            PSR(SR*) = Φ( (SR̂ − SR*) · sqrt(n − 1) / sqrt(1 − γ3·SR̂ + (γ4 − 1)/4 · SR̂²) )

        SR* is per period, like SR̂. PSR rises with n when SR̂ > SR* and falls with SR*. It
        rises with SR̂ while 2 − γ3·(SR̂ + SR*) + (γ4 − 1)/2 · SR̂·SR* > 0, which holds for any
        realistic per-period Sharpe ratio (|SR̂|, |SR*| well below 1). When the estimate has no
        spread (two-point returns) only the sign of SR̂ − SR* is left: 1.0, 0.5 or 0.0.
        """
        benchmark = _finite(benchmark_sharpe, "benchmark_sharpe")
        difference = self.sharpe - benchmark
        factor = self.variance_factor
        if factor <= _NO_SPREAD:
            return 1.0 if difference > 0 else 0.0 if difference < 0 else 0.5
        return normal_cdf(difference * math.sqrt(self.observations - 1.0) / math.sqrt(factor))

    def deflated(self, n_trials: int, trial_sharpe_variance: float) -> float:
        """DSR: PSR against the Sharpe ratio the best of `n_trials` skill-less trials would show.

        DSR = PSR(SR₀) with SR₀ = `expected_maximum_sharpe(n_trials, trial_sharpe_variance)`,
        the variance being that of the trials' per-period Sharpe ratios. With one trial, or
        trials that all scored the same, SR₀ = 0 and DSR = PSR(0); otherwise DSR < PSR(0).
        """
        return self.probabilistic(expected_maximum_sharpe(n_trials, trial_sharpe_variance))

    def min_track_record(self, benchmark_sharpe: float = 0.0, confidence: float = 0.95) -> float:
        """MinTRL: the periods needed for PSR(SR*) to reach `confidence`, these moments held.

            MinTRL = 1 + (1 − γ3·SR̂ + (γ4 − 1)/4 · SR̂²) · (Φ⁻¹(confidence) / (SR̂ − SR*))²

        Not rounded up, so `probabilistic` at n = MinTRL gives back `confidence`. inf when
        SR̂ ≤ SR*: no track record length shows a Sharpe ratio above the benchmark then.
        """
        benchmark = _finite(benchmark_sharpe, "benchmark_sharpe")
        z = normal_quantile(_probability(confidence, "confidence"))
        difference = self.sharpe - benchmark
        if difference <= 0:
            return math.inf
        return 1.0 + self.variance_factor * (z / difference) ** 2


def expected_maximum_sharpe(
    n_trials: int, trial_sharpe_variance: float, mean_trial_sharpe: float = 0.0
) -> float:
    """E[max SR̂ₙ]: the expected best per-period Sharpe ratio of N independent trials.

        E[max] ≈ E[SR̂ₙ] + sqrt(V[SR̂ₙ]) · ((1 − γ) · Φ⁻¹(1 − 1/N) + γ · Φ⁻¹(1 − 1/(N·e)))

    γ is the Euler–Mascheroni constant, V the variance of the trials' per-period Sharpe
    ratios. The deflated Sharpe ratio uses the null hypothesis E[SR̂ₙ] = 0. With N = 1 there
    is nothing to select from and the answer is the mean. For correlated trials pass the
    effective number of independent trials.
    """
    trials = _trial_count(n_trials, "n_trials")
    variance = _finite(trial_sharpe_variance, "trial_sharpe_variance")
    if variance < 0:
        raise ValidationError(f"trial_sharpe_variance {variance} is negative")
    mean = _finite(mean_trial_sharpe, "mean_trial_sharpe")
    if trials == 1 or variance == 0.0:
        return mean
    spread = (1.0 - EULER_MASCHERONI) * normal_quantile(1.0 - 1.0 / trials)
    spread += EULER_MASCHERONI * normal_quantile(1.0 - 1.0 / (trials * math.e))
    return mean + math.sqrt(variance) * spread


def estimate_sharpe(returns: npt.ArrayLike) -> SharpeEstimate | None:
    """The per-period Sharpe ratio and moments of 1-D simple returns.

    None when the Sharpe ratio is undefined: fewer than 2 returns, or no variance (a flat
    curve, allowing for rounding noise).
    """
    series = np.asarray(returns, dtype=np.float64)
    if series.ndim != 1:
        raise ValidationError(f"returns must be one-dimensional, got shape {series.shape}")
    bad = np.flatnonzero(~np.isfinite(series))
    if bad.size:
        raise ValidationError(f"returns[{bad[0]}] is {series[bad[0]]}, not a finite number")
    if series.size < 2:
        return None
    std = float(series.std(ddof=1))
    if std <= 1e-15 * max(1.0, float(np.abs(series).max())):
        return None
    centred = series - series.mean()
    m2 = float(np.mean(centred**2))
    return SharpeEstimate(
        sharpe=float(series.mean()) / std,
        observations=series.size,
        skewness=float(np.mean(centred**3)) / m2**1.5,
        kurtosis=float(np.mean(centred**4)) / m2**2,
    )


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValidationError(f"{name} {value!r} is not a number")
    if not math.isfinite(value):
        raise ValidationError(f"{name} {value} is not a finite number")
    return float(value)


def _probability(value: float, name: str) -> float:
    probability = _finite(value, name)
    if not 0.0 < probability < 1.0:
        raise ValidationError(f"{name} {probability} is not strictly between 0 and 1")
    return probability


def _trial_count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(f"{name} {value!r} is not an integer")
    if value < 1:
        raise ValidationError(f"{name} {value} must be at least 1")
    return int(value)
