"""Use case: prove that no feature looks ahead, by changing the future and watching the past.

For each cut time t, every bar after t is changed (prices rescaled bar by bar so each stays a
valid OHLC bar, wicks widened, volumes changed) and, separately, dropped; the feature table is
recomputed and every value at or before t must be exactly what it was (NaN equals NaN). A target
may look ahead, but only up to its label end: target values whose label end is at or before t
must not change either.

Dropping the future is held to a relative 1e-9 instead of exact equality: some kernels split
their work by series length, so a shorter series can differ in the last bit. A feature that
really depends on how much data follows t differs by far more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

import attrs
import numpy as np
import pandas as pd

from quantcli.application.features.build_features import TARGET_COLUMNS, feature_table
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.domain.errors import DataError

DEFAULT_CUTS = 8
TRUNCATION_TOLERANCE = 1e-9


class Change(StrEnum):
    PERTURBED = "perturbed"  # bars after the cut were changed
    TRUNCATED = "truncated"  # bars after the cut were removed


@attrs.frozen
class Leak:
    """The first value at or before `cut` that changed when the bars after `cut` did."""

    cut: pd.Timestamp
    timestamp: pd.Timestamp
    symbol: str
    original: object
    changed_to: object
    change: Change

    @property
    def difference(self) -> float | None:
        """changed_to - original for numbers (NaN when one side is missing); None otherwise."""
        if isinstance(self.original, float) and isinstance(self.changed_to, float):
            return self.changed_to - self.original
        return None

    def describe(self) -> str:
        return (
            f"{self.symbol} {self.timestamp.isoformat()}: {self.original!r} became "
            f"{self.changed_to!r} when the bars after {self.cut.isoformat()} were {self.change}"
        )


@attrs.frozen
class ColumnCheck:
    """One feature's (or target column's) verdict: passed, or its earliest leak."""

    name: str
    is_target: bool
    leak: Leak | None = None

    @property
    def passed(self) -> bool:
        return self.leak is None


@attrs.frozen
class LeakageReport:
    checks: tuple[ColumnCheck, ...]
    cuts: tuple[pd.Timestamp, ...]
    symbols: tuple[str, ...]
    bars: int

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def leaking(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if not check.passed)

    def check(self, name: str) -> ColumnCheck:
        for found in self.checks:
            if found.name == name:
                return found
        raise KeyError(name)


def cut_points(
    timestamps: Sequence[pd.Timestamp] | pd.Series, count: int = DEFAULT_CUTS
) -> tuple[pd.Timestamp, ...]:
    """`count` cut times: the first bars, evenly spaced ones, and the last but one bars.

    Every cut leaves at least one bar after it, or there would be nothing to change.
    """
    unique = pd.DatetimeIndex(pd.Series(timestamps).drop_duplicates().sort_values())
    if len(unique) < 2:
        raise DataError("the leakage check needs at least two bar times")
    last = len(unique) - 2
    edges = [0, 1, 2, last - 2, last - 1, last]
    spread = np.linspace(0, last, max(count - len(edges), 0) + 2).round().astype(int)
    chosen = sorted({i for i in (*edges, *spread.tolist()) if 0 <= i <= last})
    if len(chosen) > count:
        # Keep both ends and thin the middle evenly.
        keep = np.linspace(0, len(chosen) - 1, count).round().astype(int)
        chosen = sorted({chosen[i] for i in keep})
    return tuple(unique[i] for i in chosen)


def perturb_after(bars: pd.DataFrame, cut: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of `bars` with every bar after `cut` changed, each still a valid OHLCV bar."""
    changed = bars.copy()
    after = (changed["timestamp"] > cut).to_numpy()
    count = int(after.sum())
    scale = np.exp(rng.normal(0.0, 0.05, count))
    for column in ("open", "high", "low", "close"):
        changed.loc[after, column] = changed.loc[after, column].to_numpy() * scale
    # One scale per bar keeps open and close inside [low, high]; then the wicks move too.
    changed.loc[after, "high"] = changed.loc[after, "high"].to_numpy() * (
        1 + rng.uniform(0.0, 0.03, count)
    )
    changed.loc[after, "low"] = changed.loc[after, "low"].to_numpy() * (
        1 - rng.uniform(0.0, 0.03, count)
    )
    changed.loc[after, "volume"] = np.round(
        changed.loc[after, "volume"].to_numpy() * rng.uniform(0.2, 3.0, count) + 1.0
    )
    return changed


def check_leakage(
    bars: pd.DataFrame,
    spec: FeatureSpec,
    *,
    cuts: int = DEFAULT_CUTS,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> LeakageReport:
    """Check every feature of `spec` and its target on `bars` (one or more symbols)."""
    if bars.empty:
        raise DataError("the leakage check needs bars")
    rng = np.random.default_rng(seed)
    baseline = feature_table(bars, spec)
    times = cut_points(bars["timestamp"], cuts)
    leaks: dict[str, Leak] = {}
    for done, cut in enumerate(times, start=1):
        variants = (
            (Change.PERTURBED, feature_table(perturb_after(bars, cut, rng), spec)),
            (Change.TRUNCATED, feature_table(bars[bars["timestamp"] <= cut], spec)),
        )
        for change, recomputed in variants:
            for name, leak in _compare(baseline, recomputed, spec, cut, change).items():
                if name not in leaks or leak.timestamp < leaks[name].timestamp:
                    leaks[name] = leak
        if on_progress is not None:
            on_progress(done, len(times))
    checks = tuple(
        ColumnCheck(name, is_target=name in TARGET_COLUMNS, leak=leaks.get(name))
        for name in (*spec.feature_names, *TARGET_COLUMNS)
    )
    return LeakageReport(
        checks=checks,
        cuts=times,
        symbols=tuple(sorted(bars["symbol"].unique())),
        bars=len(bars),
    )


def _compare(
    baseline: pd.DataFrame,
    recomputed: pd.DataFrame,
    spec: FeatureSpec,
    cut: pd.Timestamp,
    change: Change,
) -> dict[str, Leak]:
    """Leaks found at this cut: the first changed row of each column, by time."""
    before = baseline[baseline["timestamp"] <= cut].reset_index(drop=True)
    after = recomputed[recomputed["timestamp"] <= cut].reset_index(drop=True)
    keys = ["symbol", "timestamp"]
    if not before[keys].equals(after[keys]):
        raise DataError(f"recomputed feature rows at or before {cut} differ in their keys")
    found: dict[str, Leak] = {}

    tolerance = TRUNCATION_TOLERANCE if change is Change.TRUNCATED else 0.0

    def record(name: str, rows: np.ndarray) -> None:
        differs = ~_same(before[name], after[name], tolerance) & rows
        if differs.any():
            row = int(np.flatnonzero(differs)[0])
            found[name] = Leak(
                cut=cut,
                timestamp=before["timestamp"].iloc[row],
                symbol=str(before["symbol"].iloc[row]),
                original=_plain(before[name].iloc[row]),
                changed_to=_plain(after[name].iloc[row]),
                change=change,
            )

    everything = np.ones(len(before), dtype=bool)
    for name in spec.feature_names:
        record(name, everything)
    # A label known by the cut (ended at or before it, in either run) must be the same.
    known = (before["label_end"] <= cut).to_numpy() | (after["label_end"] <= cut).to_numpy()
    for name in TARGET_COLUMNS:
        record(name, known)
    return found


def _same(left: pd.Series, right: pd.Series, tolerance: float) -> np.ndarray:
    """Element-wise equality within a relative tolerance (0: exact), missing equal to missing."""
    both_missing = (left.isna() & right.isna()).to_numpy()
    if isinstance(left.dtype, pd.DatetimeTZDtype):
        equal = (left == right).to_numpy(dtype=bool, na_value=False)
    else:
        a, b = left.to_numpy(dtype=np.float64), right.to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            equal = (a == b) | (np.abs(a - b) <= tolerance * np.maximum(np.abs(a), np.abs(b)))
    return np.asarray(equal | both_missing, dtype=bool)


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp) or value is pd.NaT:
        return value
    return float(value)  # type: ignore[arg-type]
