"""Use case: before bars are traded, give every one of them its feature row.

A bar imported after the last `features build` has no feature row, so a replay would see it,
find no signal, and mark it done: that session would never be traded. `refresh_features`
finds such bars and builds the features of their symbols from the stored history with the
configured definitions (`build_features` for those symbols, which rebuilds every symbol when
cross-sectional ranks are configured), so the table equals a full build. Bars within their
symbol's first `lookback` bars never get a row (not enough history) and are not missing.
"""

from __future__ import annotations

import attrs
import pandas as pd

from quantcli.application.features.build_features import (
    FEATURES_TABLE,
    KEY_COLUMNS,
    FeatureBuildScope,
    ProgressCallback,
    build_features,
    feature_build_scope,
    stored_definition_hash,
)
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.ports import FeatureStore
from quantcli.application.marketdata.ports import BarStore
from quantcli.domain.errors import DataError


@attrs.frozen
class FeatureRefresh:
    """The stored feature table after the refresh, and what was missing and built."""

    features: pd.DataFrame
    missing_bars: int = 0  # bars to trade that had no feature row
    missing_symbols: tuple[str, ...] = ()
    built: FeatureBuildScope | None = None  # None: nothing was missing, nothing built


def bars_without_features(
    bars: pd.DataFrame, features: pd.DataFrame, lookback: int
) -> pd.DataFrame:
    """Rows of `bars` past their symbol's first `lookback` bars that have no row in `features`.

    `bars` holds each symbol's stored history from its first bar (as `read_bars` returns it),
    so a bar's position counts the history a build would give it.
    """
    position = bars.groupby("symbol", sort=False).cumcount()
    due = bars.loc[position >= lookback, list(KEY_COLUMNS)]
    if features.empty:
        return due.reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(features.loc[:, list(KEY_COLUMNS)])
    present = pd.MultiIndex.from_frame(due).isin(keys)
    return due[~present].reset_index(drop=True)


def refresh_features(
    bar_store: BarStore,
    feature_store: FeatureStore,
    spec: FeatureSpec,
    to_trade: pd.DataFrame,
    *,
    on_progress: ProgressCallback | None = None,
) -> FeatureRefresh:
    """The feature table with a row for every bar of `to_trade` that can have one, built now
    for the symbols that lack rows; DataError (nothing built) when the stored table was built
    with other definitions than `spec`, since the model was trained on those."""
    features = _stored_table(feature_store)
    if to_trade.empty:
        return FeatureRefresh(features)
    missing = _missing(bar_store, features, spec, to_trade)
    if missing.empty:
        return FeatureRefresh(features)
    symbols = tuple(sorted(missing["symbol"].unique()))
    first = missing.sort_values(["timestamp", "symbol"]).iloc[0]
    built_with = stored_definition_hash(feature_store)
    if built_with is not None and built_with != spec.definition_hash:
        raise DataError(
            f"{len(missing)} bar(s) to trade have no features (first {first['symbol']} "
            f"{first['timestamp']:%Y-%m-%d}) and the feature table was built with definition "
            f"hash {built_with[:12]}, the configuration now gives {spec.definition_hash[:12]}: "
            "run `quantcli features build` and retrain before trading them"
        )
    scope = feature_build_scope(bar_store.symbols(), symbols, spec, feature_store)
    features = build_features(
        bar_store, feature_store, spec, symbols=symbols, on_progress=on_progress
    )
    still = _missing(bar_store, features, spec, to_trade)
    if not still.empty:  # build_features gives every bar past the lookback a row
        row = still.iloc[0]
        raise DataError(
            f"no features for {row['symbol']} {row['timestamp']:%Y-%m-%d} after building them"
        )
    return FeatureRefresh(features, len(missing), symbols, scope)


def _stored_table(feature_store: FeatureStore) -> pd.DataFrame:
    try:
        return feature_store.load(FEATURES_TABLE)
    except DataError:
        return pd.DataFrame(columns=list(KEY_COLUMNS))


def _missing(
    bar_store: BarStore, features: pd.DataFrame, spec: FeatureSpec, to_trade: pd.DataFrame
) -> pd.DataFrame:
    history = bar_store.read_bars(
        sorted(to_trade["symbol"].unique()), end=to_trade["timestamp"].max().to_pydatetime()
    )
    missing = bars_without_features(history, features, spec.lookback)
    wanted = pd.MultiIndex.from_frame(to_trade.loc[:, list(KEY_COLUMNS)])
    return missing[pd.MultiIndex.from_frame(missing).isin(wanted)].reset_index(drop=True)
