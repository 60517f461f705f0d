"""Technical features (kernel indicators) against the numpy references, value by value."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    BollingerParameters,
    FeatureFamily,
    FeatureParameters,
    MacdParameters,
    StochParameters,
    SymbolBars,
    build_registry,
)

PARAMS = FeatureParameters(
    rsi_period=6,
    macd=MacdParameters(fast=4, slow=9, signal=3),
    stoch=StochParameters(fastk=5, slowk=3, slowd=2),
    adx_period=5,
    cci_period=7,
    willr_period=6,
    mfi_period=5,
    natr_period=6,
    atr_periods=(4,),
    bollinger=BollingerParameters(period=8, nbdev=1.5),
    ranks=(),
    families=("technical",),
)


@pytest.fixture
def columns(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    symbol_bars = SymbolBars.from_frame(bars)
    return {d.name: d.values(symbol_bars) for d in build_registry(PARAMS)}


def ohlcv(bars: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume"))


def assert_matches(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_the_technical_family_has_these_features(columns: dict[str, np.ndarray]) -> None:
    assert list(columns) == [
        "rsi_6",
        "macd",
        "macd_signal",
        "macd_hist",
        "stoch_k",
        "stoch_d",
        "adx_5",
        "plus_di_5",
        "minus_di_5",
        "cci_7",
        "willr_6",
        "mfi_5",
        "natr_6",
        "atr_4",
        "bollinger_width_8",
    ]
    assert {d.family for d in build_registry(PARAMS)} == {FeatureFamily.TECHNICAL}


def test_rsi_is_wilders(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    assert_matches(columns["rsi_6"], reference.rsi(bars["close"].to_numpy(), 6))


def test_macd_lines_are_divided_by_the_close(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close = bars["close"].to_numpy()
    line, signal, histogram = reference.macd(close, 4, 9, 3)
    assert_matches(columns["macd"], line / close)
    assert_matches(columns["macd_signal"], signal / close)
    assert_matches(columns["macd_hist"], histogram / close)
    assert np.isnan(columns["macd"][: 8 + 2]).all()


def test_stochastic_slow_k_and_d(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    _, high, low, close, _ = ohlcv(bars)
    k, d = reference.stoch(high, low, close, fastk=5, slowk=3, slowd=2)
    assert_matches(columns["stoch_k"], k)
    assert_matches(columns["stoch_d"], d)


def test_adx_and_directional_indicators(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    _, high, low, close, _ = ohlcv(bars)
    adx, plus_di, minus_di = reference.directional(high, low, close, 5)
    assert_matches(columns["adx_5"], adx)
    assert_matches(columns["plus_di_5"], plus_di)
    assert_matches(columns["minus_di_5"], minus_di)


def test_cci_williams_r_and_mfi(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    _, high, low, close, volume = ohlcv(bars)
    assert_matches(columns["cci_7"], reference.cci(high, low, close, 7))
    assert_matches(columns["willr_6"], reference.willr(high, low, close, 6))
    assert_matches(columns["mfi_5"], reference.mfi(high, low, close, volume, 5))


def test_atr_and_natr(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    _, high, low, close, _ = ohlcv(bars)
    assert_matches(columns["atr_4"], reference.atr(high, low, close, 4))
    assert_matches(columns["natr_6"], 100 * reference.atr(high, low, close, 6) / close)


def test_bollinger_width_is_the_band_spread_over_the_middle(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    upper, middle, lower = reference.bollinger(bars["close"].to_numpy(), 8, 1.5)
    assert_matches(columns["bollinger_width_8"], (upper - lower) / middle)
