"""Use case: turn stored bars into a feature table with a target and its label end times."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import pandas as pd

from quantcli.application.features.cross_sectional import rank_across_symbols
from quantcli.application.features.definition import SymbolBars
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.ports import FeatureStore
from quantcli.application.features.targets import compute_labels
from quantcli.application.marketdata.ports import BarStore
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.domain.errors import DataError

FEATURES_TABLE = "features"
FEATURE_METADATA_TABLE = "feature_metadata"
KEY_COLUMNS = ("symbol", "timestamp")
TARGET_COLUMNS = ("forward_return", "target", "label_end")

ProgressCallback = Callable[[int, int], None]


def symbol_features(bars: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The per-symbol pass over one symbol's bars (sorted by time): features and target.

    Cross-sectional features hold their per-symbol values here; `rank_across_symbols` (which
    `feature_table` and `build_features` apply) turns them into ranks across the universe.
    """
    symbol_bars = SymbolBars.from_frame(bars)
    columns = {feature.name: feature.values(symbol_bars) for feature in spec.features}
    table = pd.DataFrame(columns, index=bars.index)
    table.insert(0, "timestamp", bars["timestamp"].to_numpy())
    table.insert(0, "symbol", bars["symbol"].to_numpy())
    labels = compute_labels(symbol_bars, spec.target)
    table["forward_return"] = labels.forward_return
    table["target"] = labels.target
    table["label_end"] = pd.DatetimeIndex(labels.label_end).tz_localize("UTC")
    return table


def feature_table(bars: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Every row of a bar frame of any number of symbols, ranks included, sorted by time.

    The whole frame is in memory here: for checks and small samples; `build_features` is the
    symbol-by-symbol way over a store.
    """
    tables = [
        symbol_features(symbol_bars.sort_values("timestamp", kind="stable"), spec)
        for _, symbol_bars in bars.groupby("symbol", sort=True)
    ]
    if not tables:
        raise DataError("no bars to compute features from")
    table = pd.concat(tables, ignore_index=True)
    table = rank_across_symbols(table, spec.cross_sectional_names)
    return table.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def feature_metadata_table(spec: FeatureSpec) -> pd.DataFrame:
    """One row per feature (name, version, family, inputs, lookback, params) and the hash."""
    rows = [feature.describe() for feature in spec.features]
    return pd.DataFrame(
        {
            "name": [row["name"] for row in rows],
            "version": [row["version"] for row in rows],
            "family": [row["family"] for row in rows],
            "inputs": [",".join(row["inputs"]) for row in rows],
            "lookback": [row["lookback"] for row in rows],
            "params": [json.dumps(row["params"], sort_keys=True) for row in rows],
            "target": json.dumps(spec.target.describe(), sort_keys=True),
            "definition_hash": spec.definition_hash,
        }
    )


def stored_definition_hash(feature_store: FeatureStore) -> str | None:
    """The definition hash the stored feature table was built with; None if not recorded."""
    try:
        metadata = feature_store.load(FEATURE_METADATA_TABLE)
    except DataError:
        return None
    if "definition_hash" not in metadata:
        return None
    hashes = metadata["definition_hash"].unique()
    return str(hashes[0]) if len(hashes) == 1 else None


@attrs.frozen
class FeatureBuildScope:
    """What a build computes: `symbols` from their bars; with `keep_others`, the stored table's
    rows of every other stored symbol stay as they are. `widened` says why a build asked for
    some symbols computes more of them (None when it computes what was asked)."""

    symbols: tuple[str, ...]
    keep_others: bool = False
    widened: str | None = None


def feature_build_scope(
    stored_symbols: Sequence[str],
    requested: Sequence[str] | None,
    spec: FeatureSpec,
    feature_store: FeatureStore,
) -> FeatureBuildScope:
    """The symbols to compute so that the stored table equals a full build over the store.

    The feature table always covers every stored symbol: a build for some symbols recomputes
    theirs and keeps the others' rows, unless those rows cannot be kept as they are. That is
    when cross-sectional features are configured (a rank depends on every symbol at the
    timestamp, so the others' ranks change with the rebuilt symbols' values), or when no table
    built with the same definitions is stored; then every stored symbol is rebuilt, and
    `widened` says why.
    """
    everything = tuple(stored_symbols)
    if not requested or set(requested) >= set(everything):
        return FeatureBuildScope(everything)
    asked = ", ".join(sorted(requested))
    if spec.cross_sectional_names:
        ranked = ", ".join(spec.cross_sectional_names)
        return FeatureBuildScope(
            everything,
            widened=f"the cross-sectional features ({ranked}) rank {asked} against every "
            "stored symbol, so every symbol's ranks change with it",
        )
    built_with = stored_definition_hash(feature_store)
    if built_with is None:
        reason = "no feature table with a recorded definition hash is stored yet"
        return FeatureBuildScope(everything, widened=reason)
    if built_with != spec.definition_hash:
        return FeatureBuildScope(
            everything,
            widened=f"the stored feature table was built with other definitions "
            f"(hash {built_with[:12]}, now {spec.definition_hash[:12]})",
        )
    return FeatureBuildScope(tuple(sorted(requested)), keep_others=True)


def build_features(
    bar_store: BarStore,
    feature_store: FeatureStore,
    spec: FeatureSpec,
    *,
    symbols: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Build and store the feature table of every stored symbol, symbol by symbol, never the
    whole universe's history at once; `symbols` names the ones whose bars changed.

    What is computed is `feature_build_scope`: the named symbols when the other symbols' stored
    rows stay valid, else every stored symbol. Either way the saved table equals a full build.
    Only the final table (rows past each symbol's lookback) and the per-symbol columns of the
    cross-sectional features over all rows are kept; ranks are taken across every symbol that
    has a value at a timestamp, warm-up rows of other features included.
    """
    stored = stored_symbols(bar_store)
    if symbols:
        symbols = stored_symbols(bar_store, symbols)
    scope = feature_build_scope(stored, symbols, spec, feature_store)
    ranked = list(spec.cross_sectional_names)
    tables, rank_inputs = [], []
    if scope.keep_others:
        kept = feature_store.load(FEATURES_TABLE)
        others = set(stored) - set(scope.symbols)
        tables.append(kept[kept["symbol"].isin(others)])
    for done, symbol in enumerate(scope.symbols, start=1):
        table = symbol_features(bar_store.read_bars([symbol]), spec)
        tables.append(table.iloc[spec.lookback :])
        if ranked:
            rank_inputs.append(table.loc[:, [*KEY_COLUMNS, *ranked]])
        if on_progress is not None:
            on_progress(done, len(scope.symbols))
    features = pd.concat(tables, ignore_index=True)
    if features.empty:
        raise DataError(
            f"every symbol has fewer than {spec.lookback + 1} bars: not enough history for features"
        )
    if ranked:
        ranks = rank_across_symbols(pd.concat(rank_inputs, ignore_index=True), ranked)
        keyed = ranks.set_index(list(KEY_COLUMNS))[ranked]
        rows = pd.MultiIndex.from_frame(features.loc[:, list(KEY_COLUMNS)])
        features[ranked] = keyed.reindex(rows).to_numpy(dtype=np.float64)
    features = features.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
    feature_store.save(FEATURES_TABLE, features)
    feature_store.save(FEATURE_METADATA_TABLE, feature_metadata_table(spec))
    return features
