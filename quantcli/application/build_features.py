"""Use case: turn stored bars into a feature table with a next-period direction target."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.feature_spec import FeatureSpec
from quantcli.application.ports import BarStore, FeatureStore, FloatArray
from quantcli.domain.errors import DataError

TRADING_DAYS_PER_YEAR = 252
FEATURES_TABLE = "features"
KEY_COLUMNS = ("symbol", "timestamp")
TARGET_COLUMNS = ("forward_return", "target", "label_end")

ProgressCallback = Callable[[int, int], None]


def symbol_features(bars: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Features, target and label end time for one symbol's bars (sorted by time)."""
    close = bars["close"].to_numpy(dtype=np.float64)
    open_ = bars["open"].to_numpy(dtype=np.float64)
    high = bars["high"].to_numpy(dtype=np.float64)
    low = bars["low"].to_numpy(dtype=np.float64)
    volume = bars["volume"].to_numpy(dtype=np.float64)
    n = close.size
    columns: dict[str, FloatArray] = {}

    def usable(period: int) -> bool:
        return period <= n

    def undefined() -> FloatArray:
        return np.full(n, np.nan)

    for h in spec.return_horizons:
        columns[f"return_{h}"] = kernels.pct_return(close, h) if h < n else undefined()
    for p in spec.sma_periods:
        columns[f"close_to_sma_{p}"] = (
            close / kernels.sma(close, p) - 1 if usable(p) else undefined()
        )
    for p in spec.ema_periods:
        columns[f"close_to_ema_{p}"] = (
            close / kernels.ema(close, p) - 1 if usable(p) else undefined()
        )
    rsi_name = f"rsi_{spec.rsi_period}"
    columns[rsi_name] = kernels.rsi(close, spec.rsi_period) if spec.rsi_period < n else undefined()
    daily = kernels.pct_return(close, 1) if n > 1 else undefined()
    window = spec.volatility_window
    vol_name = f"volatility_{window}"
    columns[vol_name] = (
        kernels.rolling_std(daily, window) * np.sqrt(TRADING_DAYS_PER_YEAR)
        if window < n
        else undefined()
    )
    long_window = 4 * window
    long_vol = (
        kernels.rolling_std(daily, long_window) * np.sqrt(TRADING_DAYS_PER_YEAR)
        if long_window < n
        else undefined()
    )
    columns["volatility_ratio"] = columns[vol_name] / long_vol
    columns["intraday_range"] = (high - low) / close
    previous_close = np.concatenate(([np.nan], close[:-1]))
    columns["overnight_gap"] = open_ / previous_close - 1
    vw = spec.volume_window
    if usable(vw):
        volume_std = kernels.rolling_std(volume, vw)
        with np.errstate(divide="ignore", invalid="ignore"):
            zscore = (volume - kernels.sma(volume, vw)) / volume_std
        # Constant volume has no spread: score it 0, but keep the warm-up NaN.
        columns[f"volume_zscore_{vw}"] = np.where(volume_std == 0, 0.0, zscore)
    else:
        columns[f"volume_zscore_{vw}"] = undefined()

    table = pd.DataFrame(columns, index=bars.index)
    table.insert(0, "timestamp", bars["timestamp"].to_numpy())
    table.insert(0, "symbol", bars["symbol"].to_numpy())
    # The target looks forward by construction; it is only ever a label, never a feature,
    # and its end time travels with it so training can purge overlapping samples.
    horizon = spec.target_horizon
    forward = np.full(n, np.nan)
    if horizon < n:
        forward[:-horizon] = close[horizon:] / close[:-horizon] - 1
    table["forward_return"] = forward
    table["target"] = np.where(np.isnan(forward), np.nan, (forward > 0).astype(np.float64))
    label_end = bars["timestamp"].shift(-horizon)
    table["label_end"] = label_end.to_numpy()
    return table.loc[:, [*KEY_COLUMNS, *spec.feature_names, *TARGET_COLUMNS]]


def build_features(
    bar_store: BarStore,
    feature_store: FeatureStore,
    spec: FeatureSpec,
    *,
    symbols: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Build and store features symbol by symbol, never the whole universe's history at once."""
    stored = bar_store.symbols()
    if not stored:
        raise DataError("bar store is empty: generate or import data first")
    unknown = sorted(set(symbols or ()) - set(stored))
    if unknown:
        raise DataError(f"no stored bars for {', '.join(unknown)}")
    symbols = list(symbols) if symbols else stored
    tables = []
    for done, symbol in enumerate(symbols, start=1):
        bars = bar_store.read_bars([symbol])
        table = symbol_features(bars, spec)
        tables.append(table.iloc[spec.lookback :] if len(table) > spec.lookback else table.iloc[:0])
        if on_progress is not None:
            on_progress(done, len(symbols))
    features = pd.concat(tables, ignore_index=True)
    if features.empty:
        raise DataError(
            f"every symbol has fewer than {spec.lookback + 1} bars: not enough history for features"
        )
    features = features.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
    feature_store.save(FEATURES_TABLE, features)
    return features
