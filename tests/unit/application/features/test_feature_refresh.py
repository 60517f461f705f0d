"""refresh_features: every bar about to be traded gets its feature row before the replay."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import FeatureParameters, TargetDefinition, build_registry
from quantcli.application.features.build_features import FEATURES_TABLE, build_features
from quantcli.application.features.feature_refresh import bars_without_features, refresh_features
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.domain.errors import DataError

PARAMETERS = FeatureParameters(
    return_horizons=(1, 2),
    volatility_window=2,
    sma_periods=(3,),
    ema_periods=(3,),
    rsi_period=3,
    volume_window=3,
    ranks=("return_1",),
)


def _spec(*names: str) -> FeatureSpec:
    registry = build_registry(PARAMETERS)
    return FeatureSpec(tuple(registry.get(name) for name in names), TargetDefinition(horizon=1))


SPEC = _spec("return_2", "close_to_sma_3", "rank_return_1")  # lookback 2
OTHER_SPEC = _spec("return_1", "close_to_sma_3")


def _bars(fakes: ModuleType, symbol: str, n: int, start: str = "2024-01-01") -> pd.DataFrame:
    close = 20 * np.exp(np.cumsum(np.random.default_rng(len(symbol) + n).normal(0, 0.02, n)))
    return fakes.bar_frame(symbol, fakes.utc_days(n, start), close, close)


@pytest.fixture
def built(fakes: ModuleType) -> tuple[object, object]:
    """AAA and BBB, 10 bars each, with features built."""
    store = fakes.FakeBarStore(
        pd.concat([_bars(fakes, "AAA", 10), _bars(fakes, "BBB", 10)], ignore_index=True)
    )
    feature_store = fakes.FakeFeatureStore()
    build_features(store, feature_store, SPEC)
    return store, feature_store


def _new_bar(fakes: ModuleType, symbol: str, day: str, close: float) -> pd.DataFrame:
    return fakes.bar_frame(symbol, pd.DatetimeIndex([day], tz="UTC"), [close], [close])


def test_a_bar_imported_after_the_build_gets_its_features_first(
    fakes: ModuleType, built: tuple[object, object]
) -> None:
    # The issue: the new bar was replayed without a signal and marked done, never traded.
    store, feature_store = built
    new = _new_bar(fakes, "AAA", "2024-01-11", 21.0)
    store.write_bars(new)  # type: ignore[attr-defined]

    refresh = refresh_features(store, feature_store, SPEC, new)  # type: ignore[arg-type]

    assert refresh.missing_bars == 1
    assert refresh.missing_symbols == ("AAA",)
    assert refresh.built is not None
    assert refresh.built.widened is not None  # ranks: every symbol was rebuilt
    row = refresh.features[refresh.features["timestamp"] == pd.Timestamp("2024-01-11", tz="UTC")]
    assert row["symbol"].tolist() == ["AAA"]
    full = build_features(store, fakes.FakeFeatureStore(), SPEC)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(refresh.features, full, check_exact=True)
    pd.testing.assert_frame_equal(feature_store.load(FEATURES_TABLE), full)  # type: ignore[attr-defined]


def test_nothing_is_built_when_every_bar_to_trade_has_features(
    fakes: ModuleType, built: tuple[object, object]
) -> None:
    store, feature_store = built
    saved = list(feature_store.saved)  # type: ignore[attr-defined]
    to_trade = store.read_bars(start=pd.Timestamp("2024-01-08", tz="UTC"))  # type: ignore[attr-defined]

    refresh = refresh_features(store, feature_store, SPEC, to_trade)  # type: ignore[arg-type]

    assert refresh.built is None
    assert refresh.missing_bars == 0
    assert feature_store.saved == saved  # type: ignore[attr-defined]


def test_bars_within_their_symbols_lookback_are_not_missing(fakes: ModuleType) -> None:
    bars = pd.concat([_bars(fakes, "AAA", 6), _bars(fakes, "NEW", 3, "2024-01-04")])
    features = pd.DataFrame(
        {"symbol": ["AAA"], "timestamp": [pd.Timestamp("2024-01-04", tz="UTC")]}
    )

    missing = bars_without_features(bars.reset_index(drop=True), features, lookback=3)

    # AAA's 4th bar has its row; its 5th and 6th do not; NEW has only its 3 warm-up bars.
    assert missing["symbol"].tolist() == ["AAA", "AAA"]
    assert [t.day for t in missing["timestamp"]] == [5, 6]


def test_a_new_symbol_gets_features_once_past_its_lookback(
    fakes: ModuleType, built: tuple[object, object]
) -> None:
    store, feature_store = built
    store.write_bars(_bars(fakes, "CCC", 5, "2024-01-06"))  # type: ignore[attr-defined]
    to_trade = store.read_bars(start=pd.Timestamp("2024-01-07", tz="UTC"))  # type: ignore[attr-defined]

    refresh = refresh_features(store, feature_store, SPEC, to_trade)  # type: ignore[arg-type]

    assert refresh.missing_symbols == ("CCC",)
    assert SPEC.lookback == 2
    assert refresh.missing_bars == 3  # CCC's 3rd to 5th bars; its 2nd (Jan 7) is warm-up
    assert set(refresh.features["symbol"]) == {"AAA", "BBB", "CCC"}


def test_missing_features_under_other_definitions_are_an_error_and_nothing_is_built(
    fakes: ModuleType, built: tuple[object, object]
) -> None:
    store, feature_store = built
    new = _new_bar(fakes, "BBB", "2024-01-11", 21.0)
    store.write_bars(new)  # type: ignore[attr-defined]
    saved = list(feature_store.saved)  # type: ignore[attr-defined]

    with pytest.raises(DataError, match=r"1 bar\(s\) to trade have no features \(first BBB "):
        refresh_features(store, feature_store, OTHER_SPEC, new)  # type: ignore[arg-type]
    assert feature_store.saved == saved  # type: ignore[attr-defined]
