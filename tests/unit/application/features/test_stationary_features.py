"""Stationary forms against plain numpy: z-scores, demeaned returns, distances, positions."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    BollingerParameters,
    FeatureParameters,
    SymbolBars,
    build_registry,
)

PARAMS = FeatureParameters(
    volume_window=5,
    demean_window=4,
    sma_periods=(3, 6),
    ema_periods=(4,),
    log_distance_periods=(7,),
    bollinger=BollingerParameters(period=6, nbdev=2.0),
    momentum_window=4,
    donchian_period=5,
    vwap_window=6,
    ranks=(),
    families=("stationary",),
)


@pytest.fixture
def columns(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    symbol_bars = SymbolBars.from_frame(bars)
    return {d.name: d.values(symbol_bars) for d in build_registry(PARAMS)}


def assert_matches(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_stationary_features_in_order(columns: dict[str, np.ndarray]) -> None:
    assert list(columns) == [
        "volume_zscore_5",
        "demeaned_return_4",
        "close_to_sma_3",
        "close_to_sma_6",
        "close_to_ema_4",
        "log_distance_sma_7",
        "bollinger_position_6",
        "vw_momentum_4",
        "donchian_position_5",
        "close_to_vwap_6",
    ]


def test_volume_zscore(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    volume = bars["volume"].to_numpy()
    expected = (volume - reference.sma(volume, 5)) / reference.std(volume, 5)
    assert_matches(columns["volume_zscore_5"], expected)


def test_volume_zscore_is_zero_for_flat_volume_after_its_warm_up(fakes: ModuleType) -> None:
    frame = fakes.bar_frame("AAA", fakes.utc_days(6), [10.0] * 6, [10.5] * 6, [100.0] * 6)
    zscore = build_registry(PARAMS).get("volume_zscore_5").values(SymbolBars.from_frame(frame))
    assert np.isnan(zscore[:4]).all()
    assert zscore[4:].tolist() == [0.0, 0.0]


def test_demeaned_return_subtracts_the_rolling_mean_return(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    daily = reference.simple_return(bars["close"].to_numpy(), 1)
    mean = reference.nan_array(len(daily))
    mean[1:] = reference.sma(daily[1:], 4)
    assert_matches(columns["demeaned_return_4"], daily - mean)


def test_detrended_price_against_sma_ema_and_in_logs(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close = bars["close"].to_numpy()
    assert_matches(columns["close_to_sma_3"], close / reference.sma(close, 3) - 1)
    assert_matches(columns["close_to_sma_6"], close / reference.sma(close, 6) - 1)
    assert_matches(columns["close_to_ema_4"], close / reference.ema(close, 4) - 1)
    assert_matches(columns["log_distance_sma_7"], np.log(close / reference.sma(close, 7)))


def test_bollinger_and_donchian_positions(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close = bars["close"].to_numpy()
    upper, _, lower = reference.bollinger(close, 6, 2.0)
    assert_matches(columns["bollinger_position_6"], (close - lower) / (upper - lower))
    high = reference.highest(bars["high"].to_numpy(), 5)
    low = reference.lowest(bars["low"].to_numpy(), 5)
    assert_matches(columns["donchian_position_5"], (close - low) / (high - low))
    assert np.nanmin(columns["donchian_position_5"]) >= 0
    assert np.nanmax(columns["donchian_position_5"]) <= 1


def test_positions_are_one_half_in_a_channel_without_width(fakes: ModuleType) -> None:
    frame = fakes.bar_frame("AAA", fakes.utc_days(8), [10.0] * 8, [10.0] * 8, spread=0.0)
    registry = build_registry(PARAMS)
    symbol_bars = SymbolBars.from_frame(frame)
    assert registry.get("bollinger_position_6").values(symbol_bars)[5:].tolist() == [0.5] * 3
    assert registry.get("donchian_position_5").values(symbol_bars)[4:].tolist() == [0.5] * 4


def test_volume_weighted_momentum_and_close_to_vwap(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close, volume = bars["close"].to_numpy(), bars["volume"].to_numpy()
    daily = reference.simple_return(close, 1)
    momentum = reference.nan_array(len(close))
    momentum[1:] = reference.vwap(daily[1:], volume[1:], 4)
    assert_matches(columns["vw_momentum_4"], momentum)
    typical = (bars["high"].to_numpy() + bars["low"].to_numpy() + close) / 3
    assert_matches(columns["close_to_vwap_6"], close / reference.vwap(typical, volume, 6) - 1)
