"""Price and volume features against plain numpy, on a random frame and by hand."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import FeatureParameters, SymbolBars, build_registry

PARAMS = FeatureParameters(
    return_horizons=(1, 3),
    volatility_window=4,
    volume_ratio_windows=(3,),
    flow_window=5,
    ranks=(),
    families=("price", "volume"),
)
ANNUAL = math.sqrt(252)


@pytest.fixture
def columns(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    symbol_bars = SymbolBars.from_frame(bars)
    return {d.name: d.values(symbol_bars) for d in build_registry(PARAMS)}


def assert_matches(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_price_and_volume_features_in_order(columns: dict[str, np.ndarray]) -> None:
    assert list(columns) == [
        "return_1",
        "return_3",
        "intraday_range",
        "overnight_gap",
        "volatility_4",
        "volatility_ratio",
        "volume_ratio_3",
        "obv_flow_5",
        "ad_flow_5",
    ]


def test_returns_over_each_horizon(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close = bars["close"].to_numpy()
    assert_matches(columns["return_1"], reference.simple_return(close, 1))
    assert_matches(columns["return_3"], reference.simple_return(close, 3))
    assert columns["return_3"][3] == pytest.approx(close[3] / close[0] - 1)


def test_intraday_range_and_overnight_gap(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close = bars["close"].to_numpy()
    assert_matches(columns["intraday_range"], (bars["high"] - bars["low"]).to_numpy() / close)
    assert_matches(columns["overnight_gap"], bars["open"].to_numpy() / reference.lag(close, 1) - 1)


def test_realized_volatility_is_annualized_sample_std_of_one_bar_returns(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    daily = reference.simple_return(bars["close"].to_numpy(), 1)
    short = reference.nan_array(len(daily))
    short[1:] = reference.std(daily[1:], 4)
    long = reference.nan_array(len(daily))
    long[1:] = reference.std(daily[1:], 16)
    assert_matches(columns["volatility_4"], short * ANNUAL)
    assert_matches(columns["volatility_ratio"], short / long)
    assert np.isnan(columns["volatility_ratio"][:16]).all()


def test_volume_ratio_is_volume_over_its_mean(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    volume = bars["volume"].to_numpy()
    assert_matches(columns["volume_ratio_3"], volume / reference.sma(volume, 3))


def test_obv_flow_is_signed_volume_over_volume_in_the_window(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    close, volume = bars["close"].to_numpy(), bars["volume"].to_numpy()
    expected = reference.flow(reference.signed_volume(close, volume), volume, 5)
    assert_matches(columns["obv_flow_5"], expected)
    # The same as the OBV line's change over the window, scaled.
    line = reference.obv(close, volume)
    assert columns["obv_flow_5"][9] == pytest.approx((line[9] - line[4]) / volume[5:10].sum())


def test_ad_flow_is_chaikin_money_flow(
    columns: dict[str, np.ndarray], bars: pd.DataFrame, reference: ModuleType
) -> None:
    high, low = bars["high"].to_numpy(), bars["low"].to_numpy()
    close, volume = bars["close"].to_numpy(), bars["volume"].to_numpy()
    per_bar = reference.money_flow_volume(high, low, close, volume)
    assert_matches(columns["ad_flow_5"], reference.flow(per_bar, volume, 5))


def test_obv_flow_by_hand(fakes: ModuleType) -> None:
    # Closes up, up, down, flat, up: signed volumes +200, +300, -400, 0, +600.
    close = [10.0, 11.0, 12.0, 11.0, 11.0, 12.0]
    volume = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
    frame = fakes.bar_frame("AAA", fakes.utc_days(6), close, close, volume)
    params = FeatureParameters(
        flow_window=5, volume_ratio_windows=(), ranks=(), families=("volume",)
    )
    flow = build_registry(params).get("obv_flow_5").values(SymbolBars.from_frame(frame))
    assert np.isnan(flow[:5]).all()
    assert flow[5] == pytest.approx((200 + 300 - 400 + 0 + 600) / 2000)
