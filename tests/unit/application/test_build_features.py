"""FeatureSpec, symbol_features (values and causality) and the build_features use case."""

from __future__ import annotations

import math
from types import ModuleType

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.application.build_features import FEATURES_TABLE, build_features, symbol_features
from quantcli.application.feature_spec import FeatureSpec
from quantcli.domain.errors import DataError

ANNUAL = math.sqrt(252)
CLOSE = [10.0, 11.0, 12.0, 11.0, 13.0, 14.0, 12.0, 15.0, 16.0, 15.0, 17.0, 18.0]
OPEN = [10.0, 10.5, 12.1, 12.0, 11.5, 13.5, 13.0, 12.5, 15.5, 16.0, 15.5, 17.0]
VOLUME = [100.0, 100.0, 100.0, 200.0, 150.0, 150.0, 150.0, 120.0, 180.0, 90.0, 100.0, 110.0]
HAND_SPEC = FeatureSpec(
    sma_periods=(3,),
    ema_periods=(3,),
    rsi_period=3,
    volatility_window=2,
    return_horizons=(1, 2),
    volume_window=3,
    target_horizon=2,
)
# lookback = max(2, 2, 3, 3, 9, 2, 2) = 9, the 4 × 2 + 1 bars of the long volatility window.
TINY_SPEC = FeatureSpec(
    sma_periods=(2,),
    ema_periods=(2,),
    rsi_period=2,
    volatility_window=2,
    return_horizons=(1,),
    volume_window=2,
    target_horizon=1,
)


@pytest.fixture
def hand_bars(fakes: ModuleType) -> pd.DataFrame:
    return fakes.bar_frame("AAA", fakes.utc_days(len(CLOSE)), OPEN, CLOSE, VOLUME)


@pytest.fixture
def hand_table(hand_bars: pd.DataFrame) -> pd.DataFrame:
    return symbol_features(hand_bars, HAND_SPEC)


# --- FeatureSpec ------------------------------------------------------------------------------


def test_default_feature_names_in_order() -> None:
    assert FeatureSpec().feature_names == (
        "return_1",
        "return_5",
        "return_10",
        "return_20",
        "close_to_sma_5",
        "close_to_sma_10",
        "close_to_sma_20",
        "close_to_sma_50",
        "close_to_ema_12",
        "close_to_ema_26",
        "rsi_14",
        "volatility_20",
        "volatility_ratio",
        "intraday_range",
        "overnight_gap",
        "volume_zscore_20",
    )


def test_default_lookback_is_the_long_volatility_window_plus_one() -> None:
    assert FeatureSpec().lookback == 4 * 20 + 1


def test_lookback_is_the_longest_period_when_it_dominates() -> None:
    spec = FeatureSpec(sma_periods=(200,), volatility_window=5)
    assert spec.lookback == 200


# --- symbol_features: values ------------------------------------------------------------------


def test_table_columns_are_keys_features_then_targets(hand_table: pd.DataFrame) -> None:
    assert list(hand_table.columns) == [
        "symbol",
        "timestamp",
        *HAND_SPEC.feature_names,
        "forward_return",
        "target",
        "label_end",
    ]
    assert (hand_table["symbol"] == "AAA").all()
    assert str(hand_table["timestamp"].dt.tz) == "UTC"


def test_returns_by_hand(hand_table: pd.DataFrame) -> None:
    assert np.isnan(hand_table["return_1"].iloc[0])
    assert hand_table["return_1"].iloc[1] == pytest.approx(0.1)
    assert hand_table["return_1"].iloc[3] == pytest.approx(11 / 12 - 1)
    assert hand_table["return_2"].iloc[:2].isna().all()
    assert hand_table["return_2"].iloc[2] == pytest.approx(0.2)
    assert hand_table["return_2"].iloc[3] == pytest.approx(0.0)
    close = np.array(CLOSE)
    np.testing.assert_allclose(hand_table["return_2"].iloc[2:], close[2:] / close[:-2] - 1)


def test_close_to_sma_by_hand(hand_table: pd.DataFrame) -> None:
    column = hand_table["close_to_sma_3"]
    assert column.iloc[:2].isna().all()
    assert column.iloc[2] == pytest.approx(12 / 11 - 1)  # SMA(10, 11, 12) = 11
    assert column.iloc[4] == pytest.approx(13 / 12 - 1)  # SMA(12, 11, 13) = 12
    expected = pd.Series(CLOSE) / pd.Series(CLOSE).rolling(3).mean() - 1
    np.testing.assert_allclose(column, expected, equal_nan=True)


def test_close_to_ema_is_seeded_with_the_first_sma(hand_table: pd.DataFrame) -> None:
    # EMA(3): seed mean(10, 11, 12) = 11 at bar 2, then alpha 1/2: 11, 12, 13.
    column = hand_table["close_to_ema_3"]
    assert column.iloc[:2].isna().all()
    assert column.iloc[2] == pytest.approx(12 / 11 - 1)
    assert column.iloc[3] == pytest.approx(11 / 11 - 1)
    assert column.iloc[4] == pytest.approx(13 / 12 - 1)
    assert column.iloc[5] == pytest.approx(14 / 13 - 1)


def test_rsi_by_hand_with_wilder_smoothing(hand_table: pd.DataFrame) -> None:
    # Changes 1, 1, -1: gain 2/3, loss 1/3, RS 2. Then +2: gain 10/9, loss 2/9, RS 5.
    column = hand_table["rsi_3"]
    assert column.iloc[:3].isna().all()
    assert column.iloc[3] == pytest.approx(100 - 100 / 3)
    assert column.iloc[4] == pytest.approx(100 - 100 / 6)


def test_volatility_is_the_sample_std_of_daily_returns_annualized(
    hand_table: pd.DataFrame,
) -> None:
    column = hand_table["volatility_2"]
    assert column.iloc[:2].isna().all()
    # Two returns 0.1 and 1/11: sample std |a - b| / sqrt(2).
    assert column.iloc[2] == pytest.approx(abs(0.1 - 1 / 11) / math.sqrt(2) * ANNUAL)
    daily = pd.Series(CLOSE).pct_change()
    np.testing.assert_allclose(column, daily.rolling(2).std(ddof=1) * ANNUAL, equal_nan=True)


def test_volatility_ratio_divides_by_the_four_times_longer_window(
    hand_table: pd.DataFrame,
) -> None:
    daily = pd.Series(CLOSE).pct_change()
    expected = daily.rolling(2).std() / daily.rolling(8).std()
    column = hand_table["volatility_ratio"]
    assert column.iloc[:8].isna().all()
    np.testing.assert_allclose(column, expected, equal_nan=True)


def test_intraday_range_and_overnight_gap_by_hand(hand_table: pd.DataFrame) -> None:
    # bar_frame puts high 1 above max(open, close) and low 0.5 below min(open, close).
    assert hand_table["intraday_range"].iloc[0] == pytest.approx(1.5 / 10)
    assert hand_table["intraday_range"].iloc[2] == pytest.approx((13.1 - 11.5) / 12)
    assert np.isnan(hand_table["overnight_gap"].iloc[0])
    assert hand_table["overnight_gap"].iloc[1] == pytest.approx(0.05)
    assert hand_table["overnight_gap"].iloc[2] == pytest.approx(12.1 / 11 - 1)
    expected_gap = np.array(OPEN[1:]) / np.array(CLOSE[:-1]) - 1
    np.testing.assert_allclose(hand_table["overnight_gap"].iloc[1:], expected_gap)


def test_volume_zscore_by_hand_and_zero_when_volume_is_flat(hand_table: pd.DataFrame) -> None:
    column = hand_table["volume_zscore_3"]
    assert column.iloc[2] == 0.0  # 100, 100, 100: std 0
    assert column.iloc[3] == pytest.approx(2 / math.sqrt(3))  # 100, 100, 200
    assert column.iloc[6] == 0.0  # 150, 150, 150
    volume = pd.Series(VOLUME)
    reference = (volume - volume.rolling(3).mean()) / volume.rolling(3).std()
    np.testing.assert_allclose(column.iloc[3:6], reference.iloc[3:6])
    np.testing.assert_allclose(column.iloc[7:], reference.iloc[7:])


def test_target_is_one_only_when_the_close_h_bars_later_is_higher(
    hand_table: pd.DataFrame,
) -> None:
    # Horizon 2: 10 → 12 up, 11 → 11 flat (not up), 12 → 13 up, 13 → 12 down.
    assert hand_table["forward_return"].iloc[0] == pytest.approx(0.2)
    assert hand_table["forward_return"].iloc[1] == 0.0
    assert hand_table["target"].iloc[:5].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    close = np.array(CLOSE)
    np.testing.assert_allclose(hand_table["forward_return"].iloc[:-2], close[2:] / close[:-2] - 1)
    np.testing.assert_array_equal(
        hand_table["target"].iloc[:-2], (close[2:] > close[:-2]).astype(float)
    )


def test_target_forward_return_and_label_end_are_missing_for_the_last_h_bars(
    hand_table: pd.DataFrame,
) -> None:
    assert hand_table["forward_return"].iloc[-2:].isna().all()
    assert hand_table["target"].iloc[-2:].isna().all()
    assert hand_table["label_end"].iloc[-2:].isna().all()
    assert hand_table["target"].iloc[:-2].notna().all()


def test_label_end_is_the_timestamp_h_bars_later(
    hand_table: pd.DataFrame, hand_bars: pd.DataFrame
) -> None:
    timestamps = hand_bars["timestamp"]
    assert str(hand_table["label_end"].dt.tz) == "UTC"
    assert hand_table["label_end"].iloc[:-2].tolist() == timestamps.iloc[2:].tolist()
    assert hand_table["label_end"].iloc[0] == pd.Timestamp("2024-01-03", tz="UTC")


def test_features_of_a_series_shorter_than_a_period_are_all_missing(fakes: ModuleType) -> None:
    bars = fakes.bar_frame("AAA", fakes.utc_days(3), [10.0, 11.0, 12.0], [10.5, 11.5, 12.5])
    spec = FeatureSpec(
        sma_periods=(2, 5),
        ema_periods=(5,),
        rsi_period=3,
        volatility_window=2,
        return_horizons=(1, 3),
        volume_window=4,
        target_horizon=1,
    )

    table = symbol_features(bars, spec)

    for name in (
        "close_to_sma_5",
        "close_to_ema_5",
        "rsi_3",
        "return_3",
        "volatility_ratio",
        "volume_zscore_4",
    ):
        assert table[name].isna().all(), name
    assert table["close_to_sma_2"].iloc[1:].notna().all()
    assert table["volatility_2"].iloc[2] == pytest.approx(
        abs(11.5 / 10.5 - 12.5 / 11.5) / math.sqrt(2) * ANNUAL
    )


def test_every_feature_is_defined_from_the_lookback_row_on(fakes: ModuleType) -> None:
    spec = FeatureSpec()
    rng = np.random.default_rng(7)
    n = spec.lookback + 5
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = close * (1 + rng.normal(0, 0.002, n))
    volume = rng.integers(1_000, 2_000, n).astype(float)
    bars = fakes.bar_frame("AAA", fakes.utc_days(n), opens, close, volume)

    table = symbol_features(bars, spec)

    features = table.loc[:, list(spec.feature_names)]
    assert features.iloc[spec.lookback :].notna().all().all()


# --- symbol_features: causality ---------------------------------------------------------------

CAUSAL_SPEC = FeatureSpec(
    sma_periods=(3, 5),
    ema_periods=(4,),
    rsi_period=4,
    volatility_window=3,
    return_horizons=(1, 3),
    volume_window=4,
    target_horizon=1,
)


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
    n = draw(st.integers(min_value=6, max_value=40))
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


# Flat stretches make both volatilities 0, and their ratio 0/0 = NaN with a RuntimeWarning.
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
@settings(deadline=None, max_examples=60)
@given(history=perturbed_history(), horizon=st.integers(min_value=1, max_value=3))
def test_changing_bars_after_t_never_changes_a_feature_at_or_before_t(
    fakes: ModuleType,
    history: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int],
    horizon: int,
) -> None:
    moves, volumes, other_moves, other_volumes, t = history
    spec = attrs.evolve(CAUSAL_SPEC, target_horizon=horizon)

    original = symbol_features(random_bars(fakes, moves, volumes), spec)
    perturbed = symbol_features(random_bars(fakes, other_moves, other_volumes), spec)

    for name in spec.feature_names:
        np.testing.assert_array_equal(
            original[name].to_numpy()[: t + 1], perturbed[name].to_numpy()[: t + 1], err_msg=name
        )
    # Labels look h bars ahead: only the h rows before the change may see it.
    unaffected = max(t + 1 - horizon, 0)
    for name in ("forward_return", "target"):
        np.testing.assert_array_equal(
            original[name].to_numpy()[:unaffected],
            perturbed[name].to_numpy()[:unaffected],
            err_msg=name,
        )
    assert original["label_end"].equals(perturbed["label_end"])


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
    assert TINY_SPEC.lookback == 9

    features = build_features(store, fakes.FakeFeatureStore(), TINY_SPEC)

    assert features["symbol"].value_counts().to_dict() == {"AAA": 15 - 9, "BBB": 12 - 9}
    for symbol in ("AAA", "BBB"):
        expected = symbol_features(
            bars[bars["symbol"] == symbol].reset_index(drop=True), TINY_SPEC
        ).iloc[9:]
        got = features[features["symbol"] == symbol]
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
        )


def test_build_features_sorts_by_timestamp_then_symbol_and_saves_the_table(
    fakes: ModuleType,
) -> None:
    feature_store = fakes.FakeFeatureStore()

    features = build_features(three_symbol_store(fakes), feature_store, TINY_SPEC)

    keys = list(zip(features["timestamp"], features["symbol"], strict=True))
    assert keys == sorted(keys)
    assert features.index.tolist() == list(range(len(features)))
    assert feature_store.saved == [FEATURES_TABLE]
    pd.testing.assert_frame_equal(feature_store.load(FEATURES_TABLE), features)


def test_build_features_only_for_the_requested_symbols(fakes: ModuleType) -> None:
    store = three_symbol_store(fakes)

    features = build_features(store, fakes.FakeFeatureStore(), TINY_SPEC, symbols=["BBB"])

    assert set(features["symbol"]) == {"BBB"}
    assert len(features) == 3
    assert store.read_calls == [(("BBB",), None, None)]


def test_build_features_for_an_unknown_symbol_raises_data_error_naming_it(
    fakes: ModuleType,
) -> None:
    store = three_symbol_store(fakes)
    feature_store = fakes.FakeFeatureStore()

    with pytest.raises(DataError, match="no stored bars for XYZ, ZZZ"):
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

    with pytest.raises(DataError, match="fewer than 10 bars"):
        build_features(three_symbol_store(fakes), feature_store, TINY_SPEC, symbols=["CCC"])
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
