"""The registry: the default feature set, exact lookbacks, registration and parameter errors."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    FAMILIES,
    FeatureDefinition,
    FeatureFamily,
    FeatureParameterError,
    FeatureParameters,
    FeatureRegistry,
    MacdParameters,
    SymbolBars,
    build_registry,
)
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.domain.errors import ValidationError

DEFAULT_NAMES = (
    # price
    "return_1", "return_5", "return_10", "return_20", "intraday_range", "overnight_gap",
    "volatility_20", "volatility_ratio",
    # volume
    "volume_ratio_5", "volume_ratio_20", "obv_flow_20", "ad_flow_20",
    # time
    "day_of_week", "month", "quarter",
    # technical
    "rsi_14", "macd", "macd_signal", "macd_hist", "stoch_k", "stoch_d", "adx_14",
    "plus_di_14", "minus_di_14", "cci_20", "willr_14", "mfi_14", "natr_14",
    "bollinger_width_20",
    # stationary
    "volume_zscore_20", "demeaned_return_20", "close_to_sma_5", "close_to_sma_10",
    "close_to_sma_20", "close_to_sma_50", "close_to_ema_12", "close_to_ema_26",
    "log_distance_sma_100", "bollinger_position_20", "vw_momentum_10", "donchian_position_20",
    "close_to_vwap_20",
    # cross-sectional
    "rank_return_5", "rank_return_20", "rank_volume_zscore_20", "rank_volatility_20",
)  # fmt: skip


def constant(bars: SymbolBars) -> np.ndarray:
    return np.zeros(len(bars))


def test_the_default_feature_set() -> None:
    spec = FeatureSpec()

    assert spec.feature_names == DEFAULT_NAMES
    assert 30 <= len(spec.feature_names) <= 50
    assert {f.family for f in spec.features} == set(FeatureFamily)
    assert spec.lookback == 99  # log_distance_sma_100
    assert spec.cross_sectional_names == DEFAULT_NAMES[-4:]


def test_every_lookback_is_exactly_where_the_first_value_is(make_bars: object) -> None:
    bars = SymbolBars.from_frame(make_bars(160))  # type: ignore[operator]
    wrong = {}
    for feature in FeatureSpec().features:
        values = feature.values(bars)
        first = int(np.flatnonzero(~np.isnan(values))[0])
        if first != feature.lookback or np.isnan(values[first:]).any():
            wrong[feature.name] = (feature.lookback, first)
    assert wrong == {}


def test_features_of_a_history_no_longer_than_the_lookback_are_all_missing(
    make_bars: object,
) -> None:
    bars = SymbolBars.from_frame(make_bars(14))  # type: ignore[operator]
    rsi = build_registry().get("rsi_14")
    assert np.isnan(rsi.values(bars)).all()
    assert not np.isnan(build_registry().get("return_5").values(bars)[5:]).any()


def test_registering_a_second_feature_with_a_taken_name_fails() -> None:
    registry = build_registry()
    duplicate = FeatureDefinition(
        name="rsi_14",
        version=1,
        family="technical",
        inputs=("close",),
        lookback=0,
        compute=constant,
    )
    with pytest.raises(ValidationError, match="rsi_14 is already registered"):
        registry.register(duplicate)
    with pytest.raises(ValidationError, match="rsi_14 is already registered"):
        FeatureSpec().with_features(duplicate)


def test_a_registered_feature_joins_the_spec_and_the_table(fakes: ModuleType) -> None:
    registry = FeatureRegistry(build_registry(FeatureParameters(ranks=(), families=("price",))))
    registry.register(
        FeatureDefinition(
            name="typical_price",
            version=1,
            family="price",
            inputs=("high", "low", "close"),
            lookback=0,
            compute=lambda b: (b.high + b.low + b.close) / 3,
        )
    )

    assert registry.names[-1] == "typical_price"
    assert "typical_price" in registry
    assert registry.get("typical_price").inputs == ("high", "low", "close")
    with pytest.raises(ValidationError, match="no feature named rsi_14"):
        registry.get("rsi_14")


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        (dict(name="Bad Name"), "use lower-case letters"),
        (dict(inputs=("close", "vwap")), "expected bar columns"),
        (dict(inputs=()), "expected bar columns"),
        (dict(lookback=-1), "lookback -1 is negative"),
        (dict(family="fundamental"), "'fundamental' is not a valid FeatureFamily"),
    ],
)
def test_bad_definitions_are_refused(definition: dict[str, object], problem: str) -> None:
    fields: dict[str, object] = {
        "name": "x",
        "version": 1,
        "family": "price",
        "inputs": ("close",),
        "lookback": 0,
        "compute": constant,
        **definition,
    }
    with pytest.raises((ValidationError, ValueError), match=problem):
        FeatureDefinition(**fields)  # type: ignore[arg-type]


def test_a_compute_returning_the_wrong_shape_is_named(make_bars: object) -> None:
    bad = FeatureDefinition(
        name="short",
        version=1,
        family="price",
        inputs=("close",),
        lookback=0,
        compute=lambda b: np.zeros(3),
    )
    with pytest.raises(ValidationError, match="feature short: compute returned shape"):
        bad.values(SymbolBars.from_frame(make_bars(10)))  # type: ignore[operator]


def test_families_and_exclude_select_features() -> None:
    params = FeatureParameters(families=("time", "technical"), exclude=("macd_hist", "month"))
    names = build_registry(params).names

    assert names[:2] == ("day_of_week", "quarter")
    assert "macd_hist" not in names
    assert {build_registry(params).get(n).family.value for n in names} == {"time", "technical"}
    assert set(FAMILIES) == {family.value for family in FeatureFamily}


@pytest.mark.parametrize(
    ("params", "key", "problem"),
    [
        (FeatureParameters(ranks=("return_30",)), "ranks[0]", "did you mean return_20?"),
        (FeatureParameters(ranks=("rank_return_5",)), "ranks[0]", "is already a rank"),
        (FeatureParameters(exclude=("rsi_41",)), "exclude[0]", "did you mean rsi_14?"),
        (FeatureParameters(sma_periods=(5, 0)), "sma_periods[1]", "0 is not positive"),
        (FeatureParameters(return_horizons=(1, 5, 1)), "return_horizons[2]", "1 is listed twice"),
        (FeatureParameters(volume_window=1), "volume_window", "1 is below 2"),
        (FeatureParameters(macd=MacdParameters(fast=26, slow=12)), "macd.slow", "12 is not above"),
        (FeatureParameters(calendar=("weekday",)), "calendar[0]", "'weekday' is not one of"),
        (FeatureParameters(intraday=("second",)), "intraday[0]", "'second' is not one of"),
        (FeatureParameters(families=("fundamental",)), "families[0]", "is not one of"),
        (FeatureParameters(time_zone="Mars/Olympus"), "time_zone", "not a known IANA"),
        (FeatureParameters(session_open="9h30"), "session_open", "not a time of day"),
        (FeatureParameters(families=("time",), calendar=()), "families", "leave no feature"),
    ],
)
def test_parameter_errors_name_the_parameter(
    params: FeatureParameters, key: str, problem: str
) -> None:
    with pytest.raises(FeatureParameterError) as caught:
        build_registry(params)
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_bar_frame_to_symbol_bars_keeps_order_and_utc(make_bars: object) -> None:
    frame: pd.DataFrame = make_bars(5)  # type: ignore[operator]
    bars = SymbolBars.from_frame(frame)
    assert len(bars) == 5
    assert str(bars.timestamps.tz) == "UTC"
    np.testing.assert_array_equal(bars.close, frame["close"].to_numpy())
