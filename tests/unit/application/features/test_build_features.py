"""symbol_features and feature_table (values, ranks, causality) and the build_features use case."""

from __future__ import annotations

import json
import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.application.features import (
    FeatureParameters,
    TargetDefinition,
    build_registry,
)
from quantcli.application.features.build_features import (
    FEATURE_METADATA_TABLE,
    FEATURES_TABLE,
    FeatureBuildScope,
    build_features,
    feature_build_scope,
    feature_table,
    stored_definition_hash,
    symbol_features,
)
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.domain.errors import DataError

ANNUAL = math.sqrt(252)
CLOSE = [10.0, 11.0, 12.0, 11.0, 13.0, 14.0, 12.0, 15.0, 16.0, 15.0, 17.0, 18.0]
OPEN = [10.0, 10.5, 12.1, 12.0, 11.5, 13.5, 13.0, 12.5, 15.5, 16.0, 15.5, 17.0]
VOLUME = [100.0, 100.0, 100.0, 200.0, 150.0, 150.0, 150.0, 120.0, 180.0, 90.0, 100.0, 110.0]
SMALL = FeatureParameters(
    return_horizons=(1, 2),
    volatility_window=2,
    sma_periods=(3,),
    ema_periods=(3,),
    rsi_period=3,
    volume_window=3,
    ranks=("return_1",),
)
HAND_NAMES = (
    "return_1",
    "return_2",
    "close_to_sma_3",
    "close_to_ema_3",
    "rsi_3",
    "volatility_2",
    "volatility_ratio",
    "intraday_range",
    "overnight_gap",
    "volume_zscore_3",
)


def spec_of(names: tuple[str, ...], target: TargetDefinition) -> FeatureSpec:
    """A spec of some of SMALL's registered features, in this order."""
    registry = build_registry(SMALL)
    return FeatureSpec(tuple(registry.get(name) for name in names), target)


HAND_SPEC = spec_of(HAND_NAMES, TargetDefinition(horizon=2))
# lookback: volatility_ratio, 4 × 2 bars of one-bar returns.
TINY_SPEC = spec_of(
    ("return_1", "close_to_sma_3", "volatility_ratio", "volume_zscore_3"),
    TargetDefinition(horizon=1),
)


@pytest.fixture
def hand_bars(fakes: ModuleType) -> pd.DataFrame:
    return fakes.bar_frame("AAA", fakes.utc_days(len(CLOSE)), OPEN, CLOSE, VOLUME)


@pytest.fixture
def hand_table(hand_bars: pd.DataFrame) -> pd.DataFrame:
    return symbol_features(hand_bars, HAND_SPEC)


# --- symbol_features: values ------------------------------------------------------------------


def test_table_columns_are_keys_features_then_targets(hand_table: pd.DataFrame) -> None:
    assert list(hand_table.columns) == [
        "symbol",
        "timestamp",
        *HAND_NAMES,
        "forward_return",
        "target",
        "label_end",
    ]
    assert (hand_table["symbol"] == "AAA").all()
    assert str(hand_table["timestamp"].dt.tz) == "UTC"
    assert str(hand_table["label_end"].dt.tz) == "UTC"


def test_returns_by_hand(hand_table: pd.DataFrame) -> None:
    assert np.isnan(hand_table["return_1"].iloc[0])
    assert hand_table["return_1"].iloc[1] == pytest.approx(0.1)
    assert hand_table["return_2"].iloc[:2].isna().all()
    assert hand_table["return_2"].iloc[2] == pytest.approx(0.2)
    assert hand_table["return_2"].iloc[3] == pytest.approx(0.0)


def test_close_to_sma_and_ema_by_hand(hand_table: pd.DataFrame) -> None:
    sma = hand_table["close_to_sma_3"]
    assert sma.iloc[:2].isna().all()
    assert sma.iloc[2] == pytest.approx(12 / 11 - 1)  # SMA(10, 11, 12) = 11
    assert sma.iloc[4] == pytest.approx(13 / 12 - 1)  # SMA(12, 11, 13) = 12
    # EMA(3): seed mean(10, 11, 12) = 11 at bar 2, then alpha 1/2: 11, 12, 13.
    ema = hand_table["close_to_ema_3"]
    assert ema.iloc[2:6].tolist() == pytest.approx([12 / 11 - 1, 0.0, 13 / 12 - 1, 14 / 13 - 1])


def test_rsi_by_hand_with_wilder_smoothing(hand_table: pd.DataFrame) -> None:
    # Changes 1, 1, -1: gain 2/3, loss 1/3, RS 2. Then +2: gain 10/9, loss 2/9, RS 5.
    column = hand_table["rsi_3"]
    assert column.iloc[:3].isna().all()
    assert column.iloc[3] == pytest.approx(100 - 100 / 3)
    assert column.iloc[4] == pytest.approx(100 - 100 / 6)


def test_volatility_and_its_ratio_by_hand(hand_table: pd.DataFrame) -> None:
    # Two returns 0.1 and 1/11: sample std |a - b| / sqrt(2).
    assert hand_table["volatility_2"].iloc[2] == pytest.approx(
        abs(0.1 - 1 / 11) / math.sqrt(2) * ANNUAL
    )
    daily = pd.Series(CLOSE).pct_change()
    expected = daily.rolling(2).std() / daily.rolling(8).std()
    assert hand_table["volatility_ratio"].iloc[:8].isna().all()
    np.testing.assert_allclose(hand_table["volatility_ratio"], expected, equal_nan=True)


def test_intraday_range_overnight_gap_and_volume_zscore_by_hand(hand_table: pd.DataFrame) -> None:
    # bar_frame puts high 1 above max(open, close) and low 0.5 below min(open, close).
    assert hand_table["intraday_range"].iloc[2] == pytest.approx((13.1 - 11.5) / 12)
    assert hand_table["overnight_gap"].iloc[2] == pytest.approx(12.1 / 11 - 1)
    zscore = hand_table["volume_zscore_3"]
    assert zscore.iloc[2] == 0.0  # 100, 100, 100: std 0
    assert zscore.iloc[3] == pytest.approx(2 / math.sqrt(3))  # 100, 100, 200


def test_direction_target_and_label_end_h_bars_later(
    hand_table: pd.DataFrame, hand_bars: pd.DataFrame
) -> None:
    # Horizon 2: 10 → 12 up, 11 → 11 flat (not up), 12 → 13 up, 11 → 14 up, 13 → 12 down.
    assert hand_table["target"].iloc[:5].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert hand_table["forward_return"].iloc[0] == pytest.approx(0.2)
    assert hand_table["label_end"].iloc[:-2].tolist() == hand_bars["timestamp"].iloc[2:].tolist()
    assert hand_table[["forward_return", "target", "label_end"]].iloc[-2:].isna().all().all()


def test_triple_barrier_target_in_the_table(hand_bars: pd.DataFrame) -> None:
    target = TargetDefinition(kind="triple_barrier", horizon=3, volatility_window=3)
    table = symbol_features(hand_bars, spec_of(("return_1",), target))

    # σ at bar 3 (returns 0.1, 1/11, -1/12) ≈ 0.1033: barriers at ±20.7% around 11. Then 13
    # (+18.2%) stays inside and 14 (+27.3%) takes profit at bar 5.
    assert table["target"].iloc[:3].isna().all()
    assert table["label_end"].iloc[3] == hand_bars["timestamp"].iloc[5]
    assert table["forward_return"].iloc[3] == pytest.approx(14 / 11 - 1)
    assert table["target"].iloc[3] == 1.0


def test_features_of_a_series_shorter_than_their_lookback_are_all_missing(
    fakes: ModuleType,
) -> None:
    bars = fakes.bar_frame("AAA", fakes.utc_days(3), [10.0, 11.0, 12.0], [10.5, 11.5, 12.5])

    table = symbol_features(bars, FeatureSpec(target=TargetDefinition(horizon=1)))

    assert table["rsi_14"].isna().all()
    assert table["macd"].isna().all()
    assert table["return_1"].iloc[1:].notna().all()
    assert table["day_of_week"].notna().all()


# --- feature_table: ranks across symbols ----------------------------------------------------


def test_feature_table_ranks_across_symbols_and_sorts_by_time(fakes: ModuleType) -> None:
    days = fakes.utc_days(3)
    bars = pd.concat(
        [
            fakes.bar_frame("AAA", days, [10.0] * 3, [10.0, 11.0, 11.0]),  # +10%, 0%
            fakes.bar_frame("BBB", days, [10.0] * 3, [10.0, 10.5, 12.6]),  # +5%, +20%
            fakes.bar_frame("CCC", days, [10.0] * 3, [10.0, 9.0, 9.9]),  # -10%, +10%
        ],
        ignore_index=True,
    )
    spec = spec_of(("return_1", "rank_return_1"), TargetDefinition())

    table = feature_table(bars, spec)

    assert table["symbol"].tolist() == ["AAA", "BBB", "CCC"] * 3
    assert table["rank_return_1"].iloc[3:].tolist() == [1.0, 0.5, 0.0, 0.0, 1.0, 0.5]
    assert table["rank_return_1"].iloc[:3].isna().all()
    np.testing.assert_allclose(table["return_1"].iloc[3:6], [0.1, 0.05, -0.1])


# --- causality: a property over all of SMALL's features ---------------------------------------


def random_bars(fakes: ModuleType, moves: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    """Bars from per-bar (log return, gap, wick) rows; every price stays valid."""
    close = 50 * np.exp(np.cumsum(moves[:, 0]))
    previous = np.concatenate(([50.0], close[:-1]))
    opens = previous * np.exp(moves[:, 1])
    frame = fakes.bar_frame("AAA", fakes.utc_days(len(close)), opens, close, volume, spread=0.0)
    frame["high"] *= 1 + moves[:, 2]
    frame["low"] *= 1 - moves[:, 2]
    return frame


@st.composite
def perturbed_history(
    draw: st.DrawFn,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(min_value=6, max_value=50))
    move = st.floats(min_value=-0.08, max_value=0.08, allow_nan=False)
    wick = st.floats(min_value=0.0, max_value=0.05, allow_nan=False)
    volume = st.sampled_from([0.0, 100.0, 100.0, 250.0, 1_000.0])

    def draw_path(rows: int) -> tuple[np.ndarray, np.ndarray]:
        moves = np.array(
            [[draw(move), draw(move), draw(wick)] for _ in range(rows)], dtype=np.float64
        )
        volumes = np.array([draw(volume) for _ in range(rows)], dtype=np.float64)
        return moves, volumes

    moves, volumes = draw_path(n)
    t = draw(st.integers(min_value=0, max_value=n - 2))
    future_moves, future_volumes = draw_path(n - t - 1)
    other_moves, other_volumes = moves.copy(), volumes.copy()
    other_moves[t + 1 :] = future_moves
    other_volumes[t + 1 :] = future_volumes
    return moves, volumes, other_moves, other_volumes, t


CAUSAL_PARAMS: dict[str, object] = {
    "volatility_window": 3,
    "sma_periods": (3, 5),
    "ema_periods": (4,),
    "rsi_period": 4,
    "volume_window": 4,
    "log_distance_periods": (6,),
    "adx_period": 3,
    "cci_period": 4,
    "willr_period": 3,
    "mfi_period": 3,
    "natr_period": 3,
    "flow_window": 4,
    "volume_ratio_windows": (3,),
    "demean_window": 3,
    "momentum_window": 3,
    "donchian_period": 4,
    "vwap_window": 4,
    "ranks": (),
}


# Flat stretches and zero volume make some ratios 0/0 = NaN, on both sides alike.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(deadline=None, max_examples=40)
@given(
    history=perturbed_history(),
    horizon=st.integers(min_value=1, max_value=3),
    kind=st.sampled_from(["direction", "triple_barrier"]),
)
def test_changing_bars_after_t_never_changes_a_feature_at_or_before_t(
    fakes: ModuleType,
    history: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int],
    horizon: int,
    kind: str,
) -> None:
    moves, volumes, other_moves, other_volumes, t = history
    registry = build_registry(FeatureParameters(**CAUSAL_PARAMS))  # type: ignore[arg-type]
    target = TargetDefinition(kind=kind, horizon=horizon, volatility_window=2)
    spec = FeatureSpec(registry.definitions, target)

    original = symbol_features(random_bars(fakes, moves, volumes), spec)
    perturbed = symbol_features(random_bars(fakes, other_moves, other_volumes), spec)

    for name in spec.feature_names:
        np.testing.assert_array_equal(
            original[name].to_numpy()[: t + 1], perturbed[name].to_numpy()[: t + 1], err_msg=name
        )
    # A label known by t (its end at or before t) is the same in both histories.
    cut = original["timestamp"].iloc[t]
    known = (original["label_end"] <= cut).to_numpy()
    for name in ("forward_return", "target", "label_end"):
        assert original.loc[known, name].equals(perturbed.loc[known, name]), name
    assert ((perturbed["label_end"] <= cut).to_numpy() == known).all()


# --- build_features ---------------------------------------------------------------------------


def three_symbol_store(fakes: ModuleType) -> object:
    """AAA 15 bars, BBB 12 bars (starting later), CCC 5 bars: too few for TINY_SPEC."""
    rng = np.random.default_rng(3)

    def frame(symbol: str, n: int, start: str) -> pd.DataFrame:
        close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        opens = close * (1 + rng.normal(0, 0.005, n))
        volume = rng.integers(100, 200, n).astype(float)
        return fakes.bar_frame(symbol, fakes.utc_days(n, start), opens, close, volume)

    return fakes.FakeBarStore(
        pd.concat(
            [
                frame("AAA", 15, "2024-01-01"),
                frame("BBB", 12, "2024-01-04"),
                frame("CCC", 5, "2024-01-01"),
            ],
            ignore_index=True,
        )
    )


def test_build_features_reads_one_symbol_at_a_time(fakes: ModuleType) -> None:
    store = three_symbol_store(fakes)

    build_features(store, fakes.FakeFeatureStore(), TINY_SPEC)

    assert store.read_calls == [
        (("AAA",), None, None),
        (("BBB",), None, None),
        (("CCC",), None, None),
    ]


def test_build_features_drops_the_lookback_rows_of_each_symbol(fakes: ModuleType) -> None:
    store = three_symbol_store(fakes)
    bars = store.frame
    assert TINY_SPEC.lookback == 8

    features = build_features(store, fakes.FakeFeatureStore(), TINY_SPEC)

    assert features["symbol"].value_counts().to_dict() == {"AAA": 15 - 8, "BBB": 12 - 8}
    for symbol in ("AAA", "BBB"):
        expected = symbol_features(
            bars[bars["symbol"] == symbol].reset_index(drop=True), TINY_SPEC
        ).iloc[8:]
        got = features[features["symbol"] == symbol]
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
        )


def test_build_ranks_across_every_symbol_with_a_value_warm_up_rows_included(
    fakes: ModuleType,
) -> None:
    store = three_symbol_store(fakes)
    spec = spec_of(("volatility_ratio", "rank_return_1"), TargetDefinition())

    features = build_features(store, fakes.FakeFeatureStore(), spec)

    full = feature_table(store.frame, spec).set_index(["symbol", "timestamp"])
    got = features.set_index(["symbol", "timestamp"])["rank_return_1"]
    np.testing.assert_array_equal(got, full.loc[got.index, "rank_return_1"])
    # On Jan 9 only AAA is past its lookback, but BBB (in its warm-up) has a one-bar return:
    # AAA ranks against it, not alone (alone would be 0.5).
    day = pd.Timestamp("2024-01-09", tz="UTC")
    bars = store.frame
    returns = bars.assign(r=bars.groupby("symbol")["close"].pct_change())
    on_day = returns[returns["timestamp"] == day].set_index("symbol")["r"]
    assert on_day.index.tolist() == ["AAA", "BBB"]
    row = features[features["timestamp"] == day]
    assert row["symbol"].tolist() == ["AAA"]
    assert row["rank_return_1"].item() == (1.0 if on_day["AAA"] > on_day["BBB"] else 0.0)


def test_build_features_sorts_by_timestamp_then_symbol_and_saves_table_and_metadata(
    fakes: ModuleType,
) -> None:
    feature_store = fakes.FakeFeatureStore()

    features = build_features(three_symbol_store(fakes), feature_store, TINY_SPEC)

    keys = list(zip(features["timestamp"], features["symbol"], strict=True))
    assert keys == sorted(keys)
    assert features.index.tolist() == list(range(len(features)))
    assert feature_store.saved == [FEATURES_TABLE, FEATURE_METADATA_TABLE]
    pd.testing.assert_frame_equal(feature_store.load(FEATURES_TABLE), features)


def test_the_metadata_table_describes_every_feature_with_the_hash(fakes: ModuleType) -> None:
    feature_store = fakes.FakeFeatureStore()

    build_features(three_symbol_store(fakes), feature_store, TINY_SPEC)

    metadata = feature_store.load(FEATURE_METADATA_TABLE)
    assert metadata["name"].tolist() == list(TINY_SPEC.feature_names)
    row = metadata.set_index("name").loc["close_to_sma_3"]
    assert (row["version"], row["family"], row["inputs"], row["lookback"]) == (
        1,
        "stationary",
        "close",
        2,
    )
    assert json.loads(row["params"]) == {"period": 3}
    assert json.loads(row["target"]) == {"kind": "direction", "version": 1, "horizon": 1}
    assert stored_definition_hash(feature_store) == TINY_SPEC.definition_hash
    assert stored_definition_hash(fakes.FakeFeatureStore()) is None


def _moved(store: object, symbol: str, factor: float) -> pd.DataFrame:
    """`symbol`'s stored bars with every price scaled from the middle on (a revised series)."""
    bars = store.read_bars([symbol])  # type: ignore[attr-defined]
    later = bars.index >= len(bars) // 2
    for column in ("open", "high", "low", "close"):
        bars.loc[later, column] *= factor
    return bars


@pytest.mark.parametrize(
    "spec",
    [TINY_SPEC, spec_of(("volatility_ratio", "return_2", "rank_return_1"), TargetDefinition())],
    ids=["per-symbol", "with-ranks"],
)
def test_a_build_for_one_symbol_keeps_every_symbol_and_equals_a_full_build(
    fakes: ModuleType, spec: FeatureSpec
) -> None:
    # The issue: `features build --symbol SYN00` with 8 symbols stored left SYN00 alone.
    store = three_symbol_store(fakes)
    feature_store = fakes.FakeFeatureStore()
    build_features(store, feature_store, spec)
    store.write_bars(_moved(store, "BBB", 1.3))  # type: ignore[attr-defined]

    partial = build_features(store, feature_store, spec, symbols=["BBB"])
    full = build_features(store, fakes.FakeFeatureStore(), spec)

    assert set(partial["symbol"]) == {"AAA", "BBB"}
    pd.testing.assert_frame_equal(partial, full, check_exact=True)
    pd.testing.assert_frame_equal(feature_store.load(FEATURES_TABLE), full, check_exact=True)


def test_a_build_for_one_symbol_reads_only_its_bars_without_ranks(fakes: ModuleType) -> None:
    store = three_symbol_store(fakes)
    feature_store = fakes.FakeFeatureStore()
    build_features(store, feature_store, TINY_SPEC)
    store.read_calls.clear()  # type: ignore[attr-defined]

    build_features(store, feature_store, TINY_SPEC, symbols=["BBB"])

    assert store.read_calls == [(("BBB",), None, None)]  # type: ignore[attr-defined]
    assert feature_build_scope(["AAA", "BBB", "CCC"], ["BBB"], TINY_SPEC, feature_store) == (
        FeatureBuildScope(("BBB",), keep_others=True)
    )


def test_a_build_for_one_symbol_rebuilds_all_when_ranks_are_configured(fakes: ModuleType) -> None:
    spec = spec_of(("return_2", "rank_return_1"), TargetDefinition())
    feature_store = fakes.FakeFeatureStore()
    build_features(three_symbol_store(fakes), feature_store, spec)

    scope = feature_build_scope(["AAA", "BBB", "CCC"], ["BBB"], spec, feature_store)

    assert scope.symbols == ("AAA", "BBB", "CCC")
    assert not scope.keep_others
    assert scope.widened == (
        "the cross-sectional features (rank_return_1) rank BBB against every stored symbol, "
        "so every symbol's ranks change with it"
    )


def test_a_build_for_one_symbol_rebuilds_all_without_a_table_of_the_same_definitions(
    fakes: ModuleType,
) -> None:
    store = three_symbol_store(fakes)
    feature_store = fakes.FakeFeatureStore()
    fresh = feature_build_scope(["AAA", "BBB", "CCC"], ["BBB"], TINY_SPEC, feature_store)
    build_features(store, feature_store, HAND_SPEC)

    other = feature_build_scope(["AAA", "BBB", "CCC"], ["BBB"], TINY_SPEC, feature_store)
    features = build_features(store, feature_store, TINY_SPEC, symbols=["BBB"])

    assert fresh.widened == "no feature table with a recorded definition hash is stored yet"
    assert other.widened is not None
    assert other.widened.startswith("the stored feature table was built with other definitions")
    assert set(features["symbol"]) == {"AAA", "BBB"}
    assert list(features.columns[2:-3]) == list(TINY_SPEC.feature_names)


def test_build_features_for_an_unknown_symbol_raises_data_error_naming_it(
    fakes: ModuleType,
) -> None:
    store = three_symbol_store(fakes)
    feature_store = fakes.FakeFeatureStore()

    with pytest.raises(DataError, match=r"^no bars for ZZZ, XYZ \(stored: "):
        build_features(store, feature_store, TINY_SPEC, symbols=["AAA", "ZZZ", "XYZ"])
    assert store.read_calls == []
    assert feature_store.saved == []


def test_build_features_on_an_empty_store_raises_data_error(fakes: ModuleType) -> None:
    feature_store = fakes.FakeFeatureStore()

    with pytest.raises(DataError, match="bar store is empty"):
        build_features(fakes.FakeBarStore(), feature_store, TINY_SPEC)
    assert feature_store.saved == []


def test_build_features_when_every_symbol_is_too_short_raises_data_error(
    fakes: ModuleType,
) -> None:
    feature_store = fakes.FakeFeatureStore()

    store = fakes.FakeBarStore(three_symbol_store(fakes).read_bars(["CCC"]))

    with pytest.raises(DataError, match="fewer than 9 bars"):
        build_features(store, feature_store, TINY_SPEC)
    assert feature_store.saved == []


def test_build_features_reports_progress_once_per_symbol(fakes: ModuleType) -> None:
    calls: list[tuple[int, int]] = []

    build_features(
        three_symbol_store(fakes),
        fakes.FakeFeatureStore(),
        TINY_SPEC,
        on_progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(1, 3), (2, 3), (3, 3)]
