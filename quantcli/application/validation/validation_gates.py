"""Model validation gates on the out-of-sample paths of combinatorial purged cross-validation.

Each CPCV path is a full out-of-sample backtest over the same T periods, so the input is a
paths × periods matrix of per-period simple returns. The gates, all evaluated (a failure
never hides the others):

- psr:               PSR(SR*) of the mean path ≥ `GateThresholds.psr`
- dsr:               deflated Sharpe ratio of the mean path, given the tuning trials, ≥ `dsr`
- track_record:      T ≥ MinTRL of the mean path at confidence `psr` against SR*
- mean_sharpe:       mean over paths of the annualized Sharpe ratio ≥ `min_sharpe`
- worst_path_sharpe: the lowest path's annualized Sharpe ratio ≥ `min_worst_path_sharpe`
- max_drawdown:      the median path's maximum drawdown ≥ −`max_drawdown`

Aggregation across paths. PSR, DSR and MinTRL are computed on the *mean path*, the
period-by-period average of the paths' returns (the return of an equal-weight ensemble of
the path models). Concatenating the paths instead would count every period once per path:
the paths are re-predictions of the same periods, not new observations, so n would be
inflated by the number of paths and PSR with it. The mean path keeps n = T, the number of
distinct periods. Averaging diversifies, so its Sharpe ratio can beat the single paths';
the worst-path Sharpe gate and the per-path distribution (min / median / max) reported in
every detail are the check on that (AFML ch. 12: judge the distribution across paths).

Drawdown is judged on the median path (median of the per-path maximum drawdowns), not the
worst: the worst of φ paths deepens as CPCV is configured with more paths, which would make
the gate a property of the CV layout rather than of the model. The worst is in the detail.

Units: Sharpe thresholds are annualized (per-period × sqrt(periods_per_year)); the trials'
Sharpe variance is per period (see `TrialStatistics`); returns are simple, risk-free rate 0.
Moment conventions are those of `quantcli.application.analytics.sharpe_statistics`.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.application.analytics.performance import (
    TRADING_DAYS_PER_YEAR,
    FloatArray,
    max_drawdown,
    sharpe_ratio,
)
from quantcli.application.analytics.sharpe_statistics import (
    SharpeEstimate,
    estimate_sharpe,
    expected_maximum_sharpe,
)
from quantcli.domain.errors import ValidationError


@attrs.frozen
class TrialStatistics:
    """The tuning trials behind the model, for the deflated Sharpe ratio.

    `n_trials` is the number of configurations tried (the effective number of independent
    ones if they are correlated); `sharpe_variance` the variance of their *per-period*
    Sharpe ratios (an annualized variance divided by periods_per_year).
    """

    n_trials: int
    sharpe_variance: float

    def __attrs_post_init__(self) -> None:
        if isinstance(self.n_trials, bool) or not isinstance(self.n_trials, int | np.integer):
            raise ValidationError(f"trials.n_trials {self.n_trials!r} is not an integer")
        if self.n_trials < 1:
            raise ValidationError(f"trials.n_trials {self.n_trials} must be at least 1")
        if not math.isfinite(self.sharpe_variance):
            raise ValidationError(
                f"trials.sharpe_variance {self.sharpe_variance} is not a finite number"
            )
        if self.sharpe_variance < 0:
            raise ValidationError(f"trials.sharpe_variance {self.sharpe_variance} is negative")

    @classmethod
    def from_sharpe_ratios(
        cls, sharpe_ratios: npt.ArrayLike, *, periods_per_year: float
    ) -> TrialStatistics:
        """From every trial's Sharpe ratio, annualized with `periods_per_year` (1 if per-period).

        The variance is the sample variance (ddof=1) of the de-annualized ratios; 0 for one.
        """
        ratios = np.asarray(sharpe_ratios, dtype=np.float64)
        if ratios.ndim != 1 or ratios.size == 0:
            raise ValidationError(
                f"sharpe_ratios must be a non-empty 1-D array, got shape {ratios.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(ratios))
        if bad.size:
            raise ValidationError(
                f"sharpe_ratios[{bad[0]}] is {ratios[bad[0]]}, not a finite number"
            )
        periods = _periods(periods_per_year)
        variance = float(ratios.var(ddof=1)) / periods if ratios.size > 1 else 0.0
        return cls(n_trials=int(ratios.size), sharpe_variance=variance)


@attrs.frozen
class GateThresholds:
    """What a model must reach to pass; Sharpe ratios annualized, drawdown a fraction."""

    psr: float = 0.95  # min PSR(benchmark_sharpe); also the confidence of MinTRL
    dsr: float = 0.95  # min deflated Sharpe ratio
    benchmark_sharpe: float = 0.0  # SR* of PSR and MinTRL, annualized
    min_sharpe: float = 1.0  # min of the mean over paths of the annualized Sharpe ratio
    min_worst_path_sharpe: float = 0.0  # min of the lowest path's annualized Sharpe ratio
    max_drawdown: float = 0.25  # the median path may fall at most this far from a peak

    def __attrs_post_init__(self) -> None:
        for name in ("psr", "dsr"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValidationError(
                    f"GateThresholds.{name} {value} is not a probability strictly between 0 and 1"
                )
        for name in ("benchmark_sharpe", "min_sharpe", "min_worst_path_sharpe"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValidationError(f"GateThresholds.{name} {value} is not a finite number")
        if not 0.0 <= self.max_drawdown <= 1.0:
            raise ValidationError(
                f"GateThresholds.max_drawdown {self.max_drawdown} is not a fraction in [0, 1]"
            )


@attrs.frozen
class GateResult:
    """One gate: passed is `value comparison threshold` (e.g. 0.97 >= 0.95)."""

    name: str
    value: float
    threshold: float
    comparison: str
    passed: bool
    detail: str


def evaluate_gates(
    path_returns: npt.ArrayLike,
    trials: TrialStatistics,
    thresholds: GateThresholds | None = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> tuple[GateResult, ...]:
    """Every gate's result for CPCV paths × periods of simple returns; see the module doc."""
    returns = _path_returns(path_returns)
    if not isinstance(trials, TrialStatistics):
        raise ValidationError(f"trials must be TrialStatistics, got {type(trials).__name__}")
    limits = GateThresholds() if thresholds is None else thresholds
    periods = _periods(periods_per_year)
    root = math.sqrt(periods)

    paths, length = returns.shape
    mean_path = returns.mean(axis=0)
    estimate = estimate_sharpe(mean_path)
    benchmark = limits.benchmark_sharpe / root
    path_sharpes = np.array([sharpe_ratio(path, periods) for path in returns])
    path_psrs = np.array([_psr(estimate_sharpe(path), benchmark) for path in returns])
    drawdowns = np.array([_max_drawdown(path) for path in returns])

    observed = f"mean of {paths} path(s) over {length:,} periods: {_describe(estimate, root)}"
    sharpe_spread = f"per-path annualized Sharpe {_spread(path_sharpes, '.2f')}"
    psr = _psr(estimate, benchmark)
    sr_zero = expected_maximum_sharpe(trials.n_trials, trials.sharpe_variance)
    dsr = _psr(estimate, sr_zero)
    min_trl = math.inf if estimate is None else estimate.min_track_record(benchmark, limits.psr)
    return (
        _at_least(
            "psr",
            psr,
            limits.psr,
            f"PSR against SR* {limits.benchmark_sharpe:.3g} annualized, {observed}; "
            f"per-path PSR {_spread(path_psrs)}",
        ),
        _at_least(
            "dsr",
            dsr,
            limits.dsr,
            f"PSR against SR0 = E[max SR] {sr_zero:.4f}/period ({sr_zero * root:.2f} "
            f"annualized) of {trials.n_trials} trial(s) with Sharpe variance "
            f"{trials.sharpe_variance:.3g}/period, {observed}",
        ),
        _at_least(
            "track_record",
            float(length),
            min_trl,
            f"MinTRL {min_trl:,.1f} periods ({min_trl / periods:.2f} years) for "
            f"{limits.psr:.0%} confidence that the Sharpe ratio beats SR* "
            f"{limits.benchmark_sharpe:.3g} annualized; observed {length:,} periods "
            f"({length / periods:.2f} years), {observed}",
        ),
        _at_least(
            "mean_sharpe",
            float(path_sharpes.mean()),
            limits.min_sharpe,
            f"mean over {paths} path(s); {sharpe_spread}",
        ),
        _at_least(
            "worst_path_sharpe",
            float(path_sharpes.min()),
            limits.min_worst_path_sharpe,
            f"lowest of {paths} path(s); {sharpe_spread}",
        ),
        _at_least(
            "max_drawdown",
            float(np.median(drawdowns)),
            -limits.max_drawdown,
            f"median over {paths} path(s) of the maximum drawdown; per-path maximum drawdown "
            f"{_spread(drawdowns, '.2%')} (min is the worst path)",
        ),
    )


def _at_least(name: str, value: float, threshold: float, detail: str) -> GateResult:
    return GateResult(
        name=name,
        value=value,
        threshold=threshold,
        comparison=">=",
        passed=bool(value >= threshold),
        detail=detail,
    )


def _psr(estimate: SharpeEstimate | None, benchmark: float) -> float:
    # An undefined Sharpe ratio (a flat path) shows no skill: 0.0, as in the performance summary.
    return 0.0 if estimate is None else estimate.probabilistic(benchmark)


def _max_drawdown(path: FloatArray) -> float:
    # The path's returns compounded from 1.0: a loss at the first period counts too.
    return max_drawdown(np.cumprod(np.concatenate(([1.0], 1.0 + path))))


def _describe(estimate: SharpeEstimate | None, root: float) -> str:
    if estimate is None:
        return "flat, Sharpe ratio undefined"
    return (
        f"SR {estimate.sharpe:.4f}/period ({estimate.sharpe * root:.2f} annualized), "
        f"skewness {estimate.skewness:.2f}, kurtosis {estimate.kurtosis:.1f}"
    )


def _spread(values: FloatArray, style: str = ".3f") -> str:
    """min / median / max of `values` in the format `style` (".3f", ".2f", ".2%")."""
    low, middle, high = values.min(), float(np.median(values)), values.max()
    return f"min {low:{style}} / median {middle:{style}} / max {high:{style}}"


def _path_returns(values: npt.ArrayLike) -> FloatArray:
    returns = np.asarray(values, dtype=np.float64)
    if returns.ndim != 2:
        raise ValidationError(
            f"path_returns must be 2-D (paths × periods), got shape {returns.shape}"
        )
    paths, length = returns.shape
    if paths == 0:
        raise ValidationError("path_returns has no paths")
    if length < 2:
        raise ValidationError(
            f"path_returns has {length} period(s) per path; at least 2 are needed"
        )
    bad = np.argwhere(~np.isfinite(returns))
    if bad.size:
        path, period = (int(i) for i in bad[0])
        raise ValidationError(
            f"path_returns[{path}, {period}] is {returns[path, period]}, not a finite number"
        )
    bad = np.argwhere(returns <= -1.0)
    if bad.size:
        path, period = (int(i) for i in bad[0])
        raise ValidationError(
            f"path_returns[{path}, {period}] is {returns[path, period]}; "
            "a simple return must be above -1 (a loss of more than everything)"
        )
    return returns


def _periods(periods_per_year: float) -> float:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")
    return float(periods_per_year)
