"""LiveSignalSource: signals bar by bar from a bounded history agree with the precomputed path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.data import SyntheticMarket
from quantcli.application.common.ports import FloatArray
from quantcli.application.features.build_features import feature_table
from quantcli.application.features.cross_sectional import rank_feature
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.price import return_feature
from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.application.modeling.ports import TrainedModel
from quantcli.application.strategy.generate_signals import PrecomputedSignalSource
from quantcli.application.strategy.live_signals import (
    MODEL_HASH_KEY,
    LiveSignalSource,
    default_history_bars,
)
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError, ModelError, ValidationError
from quantcli.domain.signals import Signal

STRATEGY = ThresholdStrategy(long_threshold=0.55, short_threshold=0.45, weight_per_symbol=0.1)
# return_1, return_3 and the rank of return_1: lookback 3, and a rank that warm-up rows join.
SMALL_SPEC = FeatureSpec((return_feature(1), return_feature(3), rank_feature(return_feature(1))))


class ScoringEstimator:
    """P(up) = sigmoid(weights · features): deterministic, and it remembers what it scored."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.predicted: list[FloatArray] = []

    def fit(self, features: FloatArray, labels: FloatArray, feature_names: Sequence[str]) -> None:
        raise AssertionError("a live source never fits")

    def predict_proba(self, features: FloatArray) -> FloatArray:
        self.predicted.append(features.copy())
        probabilities: FloatArray = 1.0 / (1.0 + np.exp(-(features @ self.weights)))
        return probabilities

    def feature_importance(self, kind: str, features: FloatArray | None = None) -> FloatArray:
        return np.abs(self.weights)


def scoring_model(
    spec: FeatureSpec, weights: dict[str, float], definition_hash: str | None = None
) -> TrainedModel:
    return TrainedModel(
        name="live-test",
        estimator=ScoringEstimator(list(weights.values())),
        feature_names=tuple(weights),
        metadata={MODEL_HASH_KEY: definition_hash or spec.definition_hash},
    )


def small_model() -> TrainedModel:
    return scoring_model(SMALL_SPEC, {"return_1": 40.0, "rank_return_1": 1.0, "return_3": 5.0})


def day(number: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number)


def market(fakes: ModuleType, days: int = 12) -> pd.DataFrame:
    """Three symbols with different drifts and wiggles, so ranks and signs change."""
    steps = np.arange(days, dtype=np.float64)
    frames = [
        fakes.bar_frame(symbol, fakes.utc_days(days), closes, closes * (1 + wiggle))
        for symbol, closes, wiggle in (
            ("AAA", 100 + steps + 3 * np.sin(steps), 0.01),
            ("BBB", 50 - 0.5 * steps + 2 * np.cos(steps), -0.02),
            ("CCC", 80 + 2 * np.sin(1.7 * steps), 0.015),
        )
    ]
    return pd.concat(frames, ignore_index=True)


def slice_of(frame: pd.DataFrame, moment: datetime) -> dict[str, Bar]:
    ((timestamp, bars),) = FrameBarReplay(frame[frame["timestamp"] == moment])
    assert timestamp == moment
    return dict(bars)


def keys(signals: Sequence[Signal]) -> list[tuple[str, datetime, float]]:
    return [(s.symbol, s.as_of, s.target_weight) for s in signals]


def test_live_signals_bar_by_bar_equal_the_precomputed_signals_over_a_synthetic_market() -> None:
    spec = FeatureSpec()
    bars = SyntheticMarket(n_symbols=6, years=2.0, seed=11).fetch_bars()
    times = sorted(bars["timestamp"].unique())
    live_from = times[-30]
    # Rank, recursive (EMA, MACD, Wilder) and rolling features, so the bounded window matters.
    weights = {
        "rank_return_5": 2.0,
        "macd": 40.0,
        "rsi_14": 0.05,
        "adx_14": -0.02,
        "close_to_ema_26": 10.0,
        "volatility_ratio": -0.5,
    }
    model = scoring_model(spec, weights)
    source = LiveSignalSource.for_model(model, STRATEGY, spec, bars[bars["timestamp"] < live_from])
    table = feature_table(bars, spec)
    expected = PrecomputedSignalSource.from_model(
        table[table["timestamp"] >= live_from], model, STRATEGY
    )

    live: list[Signal] = []
    precomputed: list[Signal] = []
    for timestamp, _ in source.observing(FrameBarReplay(bars[bars["timestamp"] >= live_from])):
        live += source(timestamp)
        precomputed += expected(timestamp)

    assert len(times) - 30 > default_history_bars(spec)  # the history was cut to the window
    assert len(live) == 30 * 6
    assert keys(live) == keys(precomputed)
    assert [s.probability_up for s in live] == pytest.approx(
        [s.probability_up for s in precomputed], rel=1e-9
    )
    assert {s.direction for s in live} == {-1, 0, 1}
    assert source.history.groupby("symbol").size().tolist() == [default_history_bars(spec)] * 6


def test_features_of_a_slice_are_the_feature_table_rows_ranks_included(
    fakes: ModuleType,
) -> None:
    bars = market(fakes)
    model = small_model()
    source = LiveSignalSource.for_model(
        model, STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(8)]
    )
    source.observe(day(8), slice_of(bars, day(8)))

    signals = source(day(8))

    table = feature_table(bars, SMALL_SPEC)
    rows = table[table["timestamp"] == day(8)]
    (scored,) = model.estimator.predicted
    np.testing.assert_allclose(scored, rows[list(model.feature_names)].to_numpy(), rtol=1e-12)
    assert [s.symbol for s in signals] == ["AAA", "BBB", "CCC"]


def test_warm_up_symbols_join_the_ranks_but_get_no_signal(fakes: ModuleType) -> None:
    bars = market(fakes)
    # DDD has three bars at day(8), one too few for return_3 (lookback 3): still warming up.
    newcomer = fakes.bar_frame("DDD", fakes.utc_days(3, "2024-01-07"), [20, 21, 19], [21, 19, 22])
    bars = pd.concat([bars, newcomer], ignore_index=True)
    model = small_model()
    source = LiveSignalSource.for_model(
        model, STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(8)]
    )
    source.observe(day(8), slice_of(bars, day(8)))

    signals = source(day(8))

    assert [s.symbol for s in signals] == ["AAA", "BBB", "CCC"]
    table = feature_table(bars, SMALL_SPEC)
    ranks = table.loc[table["timestamp"] == day(8), "rank_return_1"].to_numpy()
    # Four ranks take values in thirds, three in halves: DDD's return_1 was ranked too.
    assert ranks.size == 4
    (scored,) = model.estimator.predicted
    np.testing.assert_allclose(scored[:, 1], ranks[:3], rtol=1e-12)


def test_a_slice_observed_but_not_asked_for_is_computed_from_the_bars_up_to_it(
    fakes: ModuleType,
) -> None:
    bars = market(fakes)
    history = bars[bars["timestamp"] < day(6)]
    stepwise = LiveSignalSource.for_model(small_model(), STRATEGY, SMALL_SPEC, history)
    late = LiveSignalSource.for_model(small_model(), STRATEGY, SMALL_SPEC, history)
    replay = FrameBarReplay(bars[bars["timestamp"] >= day(6)])

    asked_at_once = [stepwise(timestamp) for timestamp, _ in stepwise.observing(replay)]
    seen = [timestamp for timestamp, _ in late.observing(replay)]

    assert [late(timestamp) for timestamp in seen] == asked_at_once


def test_each_timestamp_is_computed_once(fakes: ModuleType) -> None:
    bars = market(fakes)
    model = small_model()
    source = LiveSignalSource.for_model(
        model, STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(8)]
    )
    source.observe(day(8), slice_of(bars, day(8)))

    first = source(day(8))
    first.clear()  # a caller's list is its own

    assert source(day(8)) == source(day(8))
    assert len(source(day(8))) == 3
    assert len(model.estimator.predicted) == 1


def test_an_unobserved_timestamp_gives_no_signals(fakes: ModuleType) -> None:
    bars = market(fakes)
    model = small_model()
    source = LiveSignalSource.for_model(
        model, STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(8)]
    )
    source.observe(day(8), slice_of(bars, day(8)))

    assert source(day(7)) == []  # in the history, but never observed live
    assert source(day(9)) == []
    assert source(day(8) + timedelta(hours=1)) == []
    assert model.estimator.predicted == []


def test_a_row_the_model_cannot_score_gives_no_signal(fakes: ModuleType) -> None:
    class NoScoreWhenFalling(ScoringEstimator):
        """No probability for a falling symbol (return_1 < 0)."""

        def predict_proba(self, features: FloatArray) -> FloatArray:
            probabilities = super().predict_proba(features)
            probabilities[features[:, 0] < 0] = np.nan
            return probabilities

    bars = market(fakes)
    model = small_model()
    model = TrainedModel(
        model.name, NoScoreWhenFalling([40.0, 1.0, 5.0]), model.feature_names, model.metadata
    )
    source = LiveSignalSource.for_model(
        model, STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(8)]
    )
    source.observe(day(8), slice_of(bars, day(8)))

    table = feature_table(bars, SMALL_SPEC)
    rows = table[table["timestamp"] == day(8)]
    rising = rows.loc[rows["return_1"] >= 0, "symbol"].tolist()
    assert 0 < len(rising) < 3
    assert [s.symbol for s in source(day(8))] == rising


def test_the_observing_feed_yields_every_slice_unchanged(fakes: ModuleType) -> None:
    bars = market(fakes)
    source = LiveSignalSource.for_model(
        small_model(), STRATEGY, SMALL_SPEC, bars[bars["timestamp"] < day(9)]
    )
    replay = FrameBarReplay(bars[bars["timestamp"] >= day(9)])

    assert list(source.observing(replay)) == list(replay)
    pd.testing.assert_frame_equal(source.history, FrameBarReplay(bars).bars)


def test_a_model_trained_on_another_feature_definition_is_refused(fakes: ModuleType) -> None:
    model = scoring_model(SMALL_SPEC, {"return_1": 1.0}, definition_hash="f" * 64)

    with pytest.raises(ModelError) as error:
        LiveSignalSource.for_model(model, STRATEGY, SMALL_SPEC, market(fakes))

    assert "ffffffffffff" in str(error.value)
    assert SMALL_SPEC.definition_hash[:12] in str(error.value)


def test_a_model_without_a_recorded_feature_definition_is_refused(fakes: ModuleType) -> None:
    model = TrainedModel("old", ScoringEstimator([1.0]), ("return_1",), metadata={})

    with pytest.raises(ModelError, match=r"model old .*\(none recorded\)"):
        LiveSignalSource.for_model(model, STRATEGY, SMALL_SPEC, market(fakes))


def test_an_empty_history_is_refused(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match="history is empty"):
        LiveSignalSource.for_model(small_model(), STRATEGY, SMALL_SPEC, market(fakes).iloc[:0])


def test_a_bar_at_or_before_the_last_stored_one_is_an_error_naming_symbol_and_times(
    fakes: ModuleType,
) -> None:
    bars = market(fakes)
    source = LiveSignalSource.for_model(
        small_model(), STRATEGY, SMALL_SPEC, bars[bars["timestamp"] <= day(8)]
    )
    before = source.history
    stale = slice_of(bars, day(7))

    with pytest.raises(
        DataError,
        match=r"AAA: live bar at 2024-01-08T00:00:00\+00:00 .*"
        r"last stored bar at 2024-01-09T00:00:00\+00:00",
    ):
        source.observe(day(7), stale)

    pd.testing.assert_frame_equal(source.history, before)
    assert source(day(7)) == []


def test_a_checked_slice_is_all_or_nothing(fakes: ModuleType) -> None:
    bars = market(fakes)
    history = bars[bars["timestamp"] <= day(8)]
    # CCC already has day(9): the slice fails on it, and AAA and BBB are not kept either.
    history = pd.concat([history, bars[(bars["symbol"] == "CCC") & (bars["timestamp"] == day(9))]])
    source = LiveSignalSource.for_model(small_model(), STRATEGY, SMALL_SPEC, history)
    moved = {**slice_of(bars, day(9))}
    moved["CCC"] = Bar("CCC", day(9), 1.0, 2.0, 0.5, 1.5, 10.0)

    with pytest.raises(DataError, match="CCC"):
        source.observe(day(9), moved)

    assert source.history.groupby("symbol")["timestamp"].max().tolist() == [
        pd.Timestamp(day(8)),
        pd.Timestamp(day(8)),
        pd.Timestamp(day(9)),
    ]


def test_a_replay_of_the_last_stored_bar_is_ignored(fakes: ModuleType) -> None:
    bars = market(fakes)
    source = LiveSignalSource.for_model(
        small_model(), STRATEGY, SMALL_SPEC, bars[bars["timestamp"] <= day(8)]
    )
    before = source.history

    source.observe(day(8), slice_of(bars, day(8)))
    source.observe(day(9), slice_of(bars, day(9)))

    assert len(source.history) == len(before) + 3
    assert [s.symbol for s in source(day(8))] == ["AAA", "BBB", "CCC"]


def test_a_slice_entry_filed_under_another_symbol_or_time_is_an_error(fakes: ModuleType) -> None:
    bars = market(fakes)
    source = LiveSignalSource.for_model(
        small_model(), STRATEGY, SMALL_SPEC, bars[bars["timestamp"] <= day(8)]
    )
    aaa = slice_of(bars, day(9))["AAA"]

    with pytest.raises(DataError, match="entry BBB holds the bar of AAA"):
        source.observe(day(9), {"BBB": aaa})
    with pytest.raises(DataError, match="live slice 2024-01-11"):
        source.observe(day(10), {"AAA": aaa})


def test_the_history_kept_per_symbol_is_bounded(fakes: ModuleType) -> None:
    bars = market(fakes, days=30)
    history = bars[bars["timestamp"] < day(10)]
    unbounded = LiveSignalSource.for_model(small_model(), STRATEGY, SMALL_SPEC, history)
    bounded = LiveSignalSource(small_model(), STRATEGY, SMALL_SPEC, history, max_history_bars=5)

    assert bounded.history.groupby("symbol").size().tolist() == [5, 5, 5]
    for timestamp, slice_bars in FrameBarReplay(bars[bars["timestamp"] >= day(10)]):
        unbounded.observe(timestamp, slice_bars)
        bounded.observe(timestamp, slice_bars)
        assert bounded.history.groupby("symbol").size().tolist() == [5, 5, 5]
        # Five bars cover the lookback (3) of these features: same signals as the full history.
        assert keys(bounded(timestamp)) == keys(unbounded(timestamp))

    assert bounded.history["timestamp"].min() == pd.Timestamp(day(25))
    assert len(unbounded.history) == 3 * 30


def test_the_default_history_is_the_lookback_plus_a_warm_up_margin(fakes: ModuleType) -> None:
    long_lookback = FeatureSpec((return_feature(100),))

    assert default_history_bars(long_lookback) == 100 + 3 * 100
    assert default_history_bars(SMALL_SPEC) == 3 + 250
    source = LiveSignalSource(small_model(), STRATEGY, SMALL_SPEC, market(fakes))
    assert source.max_history_bars == 253


def test_a_history_bound_within_the_lookback_is_refused(fakes: ModuleType) -> None:
    with pytest.raises(ValidationError, match=r"max_history_bars 3 must exceed .* lookback 3"):
        LiveSignalSource(small_model(), STRATEGY, SMALL_SPEC, market(fakes), max_history_bars=3)
