"""The feature report after a training: importance shares, dead and correlated features, and
what to drop.

Correlations are Pearson's rho on pairwise-complete rows: each pair of features uses the rows
where both are finite (NaN and ±inf count as missing). Trading features lose different rows
(each lookback has its own warm-up, a source may start later), so dropping every row with any
NaN would judge all pairs on the few rows the longest warm-up leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from quantcli.application.common.ports import FloatArray
from quantcli.domain.errors import ValidationError

DEFAULT_DEAD_VARIANCE = 1e-6
DEFAULT_CORRELATION_THRESHOLD = 0.9
DEFAULT_LOW_IMPORTANCE_FRACTION = 0.2  # of the uniform share 1/p
DEFAULT_TOP = 15
DEFAULT_MIN_OVERLAP = 10  # complete rows a pair needs before its correlation counts

DeadKind = Literal["all_nan", "constant", "low_variance"]
Action = Literal["drop", "consider_drop"]
Reason = Literal["dead", "correlated", "low_importance"]

BoolArray = npt.NDArray[np.bool_]
# On standardized columns a subset variance this small (per row) is rounding noise, not spread.
_NOISE_VARIANCE = 1e-10


@attrs.frozen
class FeatureImportance:
    name: str
    gain_share: float  # the feature's share of the total gain; shares sum to 1 (0 if no gain)
    shap_share: float  # the same for mean |SHAP|
    rank: int  # 1 = the largest SHAP share; ties broken by gain, then column order


@attrs.frozen
class DeadFeature:
    name: str
    kind: DeadKind
    variance: float  # over the finite rows; NaN when there are none
    finite_rows: int


@attrs.frozen
class CorrelatedPair:
    first: str
    second: str
    correlation: float  # Pearson, on the rows where both are finite
    rows: int


@attrs.frozen
class CorrelatedGroup:
    """Features linked by chains of |rho| above the threshold; `kept` has the largest SHAP."""

    features: tuple[str, ...]  # by rank, the kept one first
    pairs: tuple[CorrelatedPair, ...]  # the links above the threshold
    kept: str


@attrs.frozen
class Recommendation:
    feature: str
    action: Action
    reason: Reason
    message: str  # one sentence a person can act on
    kept: str | None = None  # for "correlated": the group member kept in its place


@attrs.frozen
class FeatureReport:
    rows: int
    importances: tuple[FeatureImportance, ...]  # by rank
    dead: tuple[DeadFeature, ...]  # in column order
    correlated_groups: tuple[CorrelatedGroup, ...]  # by their kept feature's rank
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[str, ...]
    dead_variance: float
    correlation_threshold: float
    low_importance_share: float  # SHAP shares below it are flagged
    top: int

    def importance(self, name: str) -> FeatureImportance:
        for entry in self.importances:
            if entry.name == name:
                return entry
        raise KeyError(f"no feature {name!r} in the report")

    @property
    def to_drop(self) -> tuple[str, ...]:
        """Features recommended for dropping outright (dead or redundant)."""
        return tuple(r.feature for r in self.recommendations if r.action == "drop")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types only (a NaN variance becomes None)."""
        return {
            "features": len(self.importances),
            "rows": self.rows,
            "dead_variance": self.dead_variance,
            "correlation_threshold": self.correlation_threshold,
            "correlation_rows": "pairwise_complete",
            "low_importance_share": self.low_importance_share,
            "importances": [attrs.asdict(entry) for entry in self.importances],
            "dead": [
                {
                    "name": entry.name,
                    "kind": entry.kind,
                    "variance": entry.variance if np.isfinite(entry.variance) else None,
                    "finite_rows": entry.finite_rows,
                }
                for entry in self.dead
            ],
            "correlated_groups": [
                {
                    "features": list(group.features),
                    "kept": group.kept,
                    "pairs": [attrs.asdict(pair) for pair in group.pairs],
                }
                for group in self.correlated_groups
            ],
            "recommendations": [attrs.asdict(entry) for entry in self.recommendations],
            "warnings": list(self.warnings),
        }

    def format_lines(self, max_recommendations: int | None = None) -> list[str]:
        """Console lines: a summary, the top features by SHAP, the recommendations (the first
        `max_recommendations` of them when given)."""
        shown = self.importances[: self.top]
        width = min(max([len("feature"), *(len(entry.name) for entry in shown)]), 40)
        lines = [
            f"Features: {len(self.importances)} over {self.rows:,} rows; {len(self.dead)} dead, "
            f"{len(self.correlated_groups)} correlated group(s) (|rho| > "
            f"{self.correlation_threshold:g}), {len(self.recommendations)} recommendation(s)",
            f"  {'rank':>4}  {'feature':<{width}}  {'SHAP':>6}  {'gain':>6}",
        ]
        lines += [
            f"  {entry.rank:>4}  {_clip(entry.name, width):<{width}}  "
            f"{entry.shap_share:>6.1%}  {entry.gain_share:>6.1%}"
            for entry in shown
        ]
        if len(self.importances) > len(shown):
            lines.append(f"  ... {len(self.importances) - len(shown)} more feature(s)")
        lines += [f"Warning: {warning}" for warning in self.warnings]
        if self.recommendations:
            shown_advice = self.recommendations[:max_recommendations]
            lines.append("Recommendations:")
            lines += [f"  - {entry.message}" for entry in shown_advice]
            if len(self.recommendations) > len(shown_advice):
                lines.append(f"  ... {len(self.recommendations) - len(shown_advice)} more")
        else:
            lines.append("Recommendations: none")
        return lines


def feature_report(
    matrix: FloatArray,
    feature_names: Sequence[str],
    gain: FloatArray,
    shap: FloatArray,
    *,
    dead_variance: float = DEFAULT_DEAD_VARIANCE,
    correlation_threshold: float = DEFAULT_CORRELATION_THRESHOLD,
    low_importance_fraction: float = DEFAULT_LOW_IMPORTANCE_FRACTION,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    top: int = DEFAULT_TOP,
) -> FeatureReport:
    """Report on the features a model was trained on (rows × features, NaN allowed) and the
    model's gain and SHAP importances (one non-negative value per feature).

    Dead: all NaN, constant, or variance (over finite rows) below `dead_variance`. Groups:
    connected components of |rho| > `correlation_threshold` among the live features, from pairs
    with at least `min_overlap` complete rows. Low importance: SHAP share below
    `low_importance_fraction` / p.
    """
    names = tuple(feature_names)
    x = _check_matrix(matrix, names)
    gain_share = _shares("gain", gain, names)
    shap_share = _shares("shap", shap, names)
    _check_settings(dead_variance, correlation_threshold, low_importance_fraction, min_overlap, top)

    order = sorted(range(len(names)), key=lambda i: (-shap_share[i], -gain_share[i], i))
    importances = tuple(
        FeatureImportance(names[i], float(gain_share[i]), float(shap_share[i]), position + 1)
        for position, i in enumerate(order)
    )
    finite = np.isfinite(x)
    dead = _dead_features(x, finite, names, dead_variance)
    dead_names = {entry.name for entry in dead}
    live = [i for i, name in enumerate(names) if name not in dead_names]
    groups = _correlated_groups(
        x[:, live],
        finite[:, live],
        [names[i] for i in live],
        {entry.name: entry.rank for entry in importances},
        threshold=correlation_threshold,
        min_overlap=min_overlap,
    )
    low_share = low_importance_fraction / len(names)
    candidates = _recommend(
        dead,
        groups,
        importances,
        low_share=low_share,
        shap_informative=bool(shap_share.sum() > 0),
        dead_variance=dead_variance,
    )
    recommendations, warnings = _keep_one(candidates, importances, dead_names)
    return FeatureReport(
        rows=x.shape[0],
        importances=importances,
        dead=dead,
        correlated_groups=groups,
        recommendations=recommendations,
        warnings=warnings,
        dead_variance=dead_variance,
        correlation_threshold=correlation_threshold,
        low_importance_share=low_share,
        top=top,
    )


def _dead_features(
    x: FloatArray, finite: BoolArray, names: tuple[str, ...], threshold: float
) -> tuple[DeadFeature, ...]:
    dead: list[DeadFeature] = []
    for column, name in enumerate(names):
        values = x[finite[:, column], column]
        if values.size == 0:
            dead.append(DeadFeature(name, "all_nan", float("nan"), 0))
            continue
        variance = float(values.var())
        if values.min() == values.max():
            dead.append(DeadFeature(name, "constant", 0.0, values.size))
        elif variance < threshold:
            dead.append(DeadFeature(name, "low_variance", variance, values.size))
    return tuple(dead)


def _pairwise_correlation(x: FloatArray, finite: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Pearson rho of every pair on its complete rows, and those row counts; NaN where a
    column does not vary on the rows it shares with the other."""
    mask = finite.astype(np.float64)
    # Standardizing first keeps the one-pass sums below free of cancellation.
    filled = np.where(finite, x, 0.0)
    counts = mask.sum(axis=0)
    means = filled.sum(axis=0) / counts
    scales = np.sqrt((np.where(finite, x - means, 0.0) ** 2).sum(axis=0) / counts)
    z = np.where(finite, (x - means) / scales, 0.0)
    n = mask.T @ mask
    sums = z.T @ mask  # [i, j]: sum of z_i over the rows where i and j are finite
    squares = (z * z).T @ mask
    products = z.T @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        covariance = products - sums * sums.T / n
        variance = squares - sums * sums / n
        spread = variance > _NOISE_VARIANCE * n
        defined = spread & spread.T
        rho = np.where(defined, covariance / np.sqrt(variance * variance.T), np.nan)
    return np.clip(rho, -1.0, 1.0), n


def _correlated_groups(
    x: FloatArray,
    finite: BoolArray,
    live_names: list[str],
    rank: dict[str, int],
    *,
    threshold: float,
    min_overlap: int,
) -> tuple[CorrelatedGroup, ...]:
    if len(live_names) < 2:
        return ()
    rho, n = _pairwise_correlation(x, finite)
    with np.errstate(invalid="ignore"):
        linked = (np.abs(rho) > threshold) & (n >= min_overlap)
    np.fill_diagonal(linked, False)
    groups: list[CorrelatedGroup] = []
    seen: set[int] = set()
    for start in range(len(live_names)):
        if start in seen or not linked[start].any():
            continue
        component, frontier = {start}, [start]
        while frontier:
            for neighbour in np.flatnonzero(linked[frontier.pop()]).tolist():
                if neighbour not in component:
                    component.add(neighbour)
                    frontier.append(neighbour)
        seen |= component
        members = sorted(component, key=lambda i: rank[live_names[i]])
        pairs = tuple(
            CorrelatedPair(live_names[a], live_names[b], float(rho[a, b]), int(n[a, b]))
            for a in sorted(component)
            for b in sorted(component)
            if a < b and linked[a, b]
        )
        features = tuple(live_names[i] for i in members)
        groups.append(CorrelatedGroup(features=features, pairs=pairs, kept=features[0]))
    return tuple(sorted(groups, key=lambda group: rank[group.kept]))


def _recommend(
    dead: tuple[DeadFeature, ...],
    groups: tuple[CorrelatedGroup, ...],
    importances: tuple[FeatureImportance, ...],
    *,
    low_share: float,
    shap_informative: bool,
    dead_variance: float,
) -> list[Recommendation]:
    recommendations = [
        Recommendation(
            entry.name, "drop", "dead", f"drop {entry.name!r}: {_dead_reason(entry, dead_variance)}"
        )
        for entry in dead
    ]
    share = {entry.name: entry.shap_share for entry in importances}
    for group in groups:
        for name in group.features[1:]:
            link = _link_of(name, group)
            partner = link.second if link.first == name else link.first
            # The group itself is in the report; a long member list would drown the sentence.
            message = (
                f"drop {name!r}: correlated with {partner!r} (rho {link.correlation:+.3f}) in a "
                f"group of {len(group.features)}; keep {group.kept!r}, the group's most "
                f"important by SHAP ({share[group.kept]:.1%} vs {share[name]:.1%})"
            )
            recommendations.append(Recommendation(name, "drop", "correlated", message, group.kept))
    if shap_informative:
        p = len(importances)
        flagged = {entry.feature for entry in recommendations}
        for entry in importances:
            if entry.name not in flagged and entry.shap_share < low_share:
                message = (
                    f"consider dropping {entry.name!r}: SHAP share {entry.shap_share:.2%} is "
                    f"below {low_share:.2%} ({low_share * p:g} × the uniform share 1/{p})"
                )
                recommendations.append(
                    Recommendation(entry.name, "consider_drop", "low_importance", message)
                )
    return recommendations


def _keep_one(
    recommendations: list[Recommendation],
    importances: tuple[FeatureImportance, ...],
    dead_names: set[str],
) -> tuple[tuple[Recommendation, ...], tuple[str, ...]]:
    """Never recommend dropping every feature: spare the best live one (or the best dead one)."""
    flagged = {entry.feature for entry in recommendations}
    if len(flagged) < len(importances):
        return tuple(recommendations), ()
    spared = min(importances, key=lambda entry: (entry.name in dead_names, entry.rank)).name
    why = "dead like all the others" if spared in dead_names else "the most important live one"
    warning = (
        f"every one of the {len(importances)} features would be dropped; {spared!r} is kept "
        f"({why}): the feature set needs review"
    )
    kept = tuple(entry for entry in recommendations if entry.feature != spared)
    return kept, (warning,)


def _link_of(name: str, group: CorrelatedGroup) -> CorrelatedPair:
    """The feature's link to the kept one if direct, else its strongest link in the group."""
    links = [pair for pair in group.pairs if name in (pair.first, pair.second)]
    direct = [pair for pair in links if group.kept in (pair.first, pair.second)]
    return direct[0] if direct else max(links, key=lambda pair: abs(pair.correlation))


def _dead_reason(entry: DeadFeature, threshold: float) -> str:
    if entry.kind == "all_nan":
        return "every value is NaN or infinite"
    if entry.kind == "constant":
        return f"constant over its {entry.finite_rows} finite rows"
    return f"near-constant, variance {entry.variance:.3g} < {threshold:g}"


def _clip(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


def _check_matrix(matrix: FloatArray, names: tuple[str, ...]) -> FloatArray:
    try:
        x = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"matrix is not numeric: {exc}") from exc
    if x.ndim != 2:
        raise ValidationError(f"matrix must be 2-D (rows, features), got shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValidationError(f"matrix has shape {x.shape}: it needs rows and feature columns")
    if len(names) != x.shape[1]:
        raise ValidationError(
            f"feature_names has {len(names)} names but matrix has {x.shape[1]} columns"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationError(f"feature_names repeats {repeated}")
    return x


def _shares(label: str, values: FloatArray, names: tuple[str, ...]) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{label} importances are not numeric: {exc}") from exc
    if array.shape != (len(names),):
        raise ValidationError(
            f"{label} has shape {array.shape}, expected ({len(names)},): one per feature"
        )
    bad = [names[i] for i in np.flatnonzero(~np.isfinite(array) | (array < 0.0))]
    if bad:
        raise ValidationError(
            f"{label} importances must be finite and >= 0; bad for {bad[:5]}"
            + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        )
    total = float(array.sum())
    return array / total if total > 0 else array


def _check_settings(
    dead_variance: float, threshold: float, low_fraction: float, min_overlap: int, top: int
) -> None:
    if not (np.isfinite(dead_variance) and dead_variance >= 0.0):
        raise ValidationError(f"dead_variance must be finite and >= 0, got {dead_variance}")
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError(f"correlation_threshold {threshold} outside [0, 1]")
    if not (np.isfinite(low_fraction) and low_fraction >= 0.0):
        raise ValidationError(f"low_importance_fraction must be >= 0, got {low_fraction}")
    if min_overlap < 2:
        raise ValidationError(f"min_overlap must be >= 2 rows, got {min_overlap}")
    if top < 1:
        raise ValidationError(f"top must be >= 1, got {top}")
