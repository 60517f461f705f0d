"""The leakage check: every registered feature and target passes; look-ahead is caught, named."""

from __future__ import annotations

from types import ModuleType

import attrs
import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    CALENDAR_FEATURES,
    INTRADAY_FEATURES,
    FeatureDefinition,
    FeatureParameters,
    SymbolBars,
    TargetDefinition,
)
from quantcli.application.features import build_features as build_module
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.application.features.leakage_check import (
    Change,
    check_leakage,
    cut_points,
    perturb_after,
)
from quantcli.application.marketdata.ports import check_bar_frame

# Every optional feature switched on as well: the check covers the whole registry.
EVERYTHING = FeatureParameters(
    calendar=CALENDAR_FEATURES,
    intraday=INTRADAY_FEATURES,
    time_zone="America/New_York",
    atr_periods=(14,),
)


def market(n: int, symbols: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> pd.DataFrame:
    rng = np.random.default_rng(17)
    frames = []
    for offset, symbol in enumerate(symbols):
        close = 40 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        previous = np.concatenate(([40.0], close[:-1]))
        opens = previous * np.exp(rng.normal(0, 0.004, n))
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    # A later start for one symbol: ranks see the universe change.
                    "timestamp": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
                    + pd.Timedelta(days=3 * offset),
                    "open": opens,
                    "high": np.maximum(opens, close) * (1 + rng.uniform(0, 0.02, n)),
                    "low": np.minimum(opens, close) * (1 - rng.uniform(0, 0.02, n)),
                    "close": close,
                    "volume": rng.integers(500, 5_000, n).astype(np.float64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def small_spec(target: TargetDefinition | None = None) -> FeatureSpec:
    """Short periods so that a short sample covers every feature's lookback many times over."""
    params = attrs.evolve(
        EVERYTHING,
        volatility_window=5,
        sma_periods=(5, 10),
        log_distance_periods=(12,),
        ranks=("return_5", "volatility_5"),
    )
    return FeatureSpec.from_parameters(params, target)


def centered_mean(bars: SymbolBars) -> np.ndarray:
    # Looks two bars ahead: the textbook mistake of smoothing with a centered window.
    return pd.Series(bars.close).rolling(5, center=True).mean().to_numpy()


CENTERED = FeatureDefinition(
    name="centered_sma_5", version=1, family="technical", inputs=("close",), lookback=2,
    compute=centered_mean,
)  # fmt: skip


@pytest.mark.parametrize(
    "target",
    [
        TargetDefinition(horizon=1),
        TargetDefinition(kind="forward_return", horizon=5),
        TargetDefinition(kind="triple_barrier", horizon=10, profit_take=1.0, stop_loss=1.5),
    ],
    ids=lambda target: target.kind.value,
)
def test_every_registered_feature_and_the_target_pass(target: TargetDefinition) -> None:
    spec = FeatureSpec.from_parameters(EVERYTHING, target)

    report = check_leakage(market(200), spec, cuts=10)

    assert report.leaking == ()
    assert report.passed
    assert [c.name for c in report.checks] == [
        *spec.feature_names,
        "forward_return",
        "target",
        "label_end",
    ]
    assert report.symbols == ("AAA", "BBB", "CCC")


def test_a_centered_moving_average_is_caught_and_named() -> None:
    spec = small_spec().with_features(CENTERED)
    bars = market(60)

    report = check_leakage(bars, spec)

    assert report.leaking == ("centered_sma_5",)
    assert not report.passed
    leak = report.check("centered_sma_5").leak
    assert leak is not None
    assert leak.timestamp <= leak.cut
    # The window centred on the cut (or the bar before it) reads the changed bars.
    assert leak.cut - leak.timestamp <= pd.Timedelta(days=2)
    assert leak.original != leak.changed_to
    assert leak.difference is not None
    assert leak.difference != 0
    assert "when the bars after" in leak.describe()


def test_reading_the_next_bar_is_caught_at_the_cut_itself() -> None:
    peek = FeatureDefinition(
        name="next_open_gap",
        version=1,
        family="price",
        inputs=("open", "close"),
        lookback=0,
        compute=lambda b: np.append(b.open[1:] / b.close[:-1] - 1, np.nan),
    )

    report = check_leakage(market(40), small_spec().with_features(peek))

    leak = report.check("next_open_gap").leak
    assert report.leaking == ("next_open_gap",)
    assert leak is not None
    assert leak.timestamp == leak.cut


def test_depending_on_how_much_history_follows_is_caught_by_dropping_it() -> None:
    # Same prices, but the value knows how many bars there are in total.
    length_aware = FeatureDefinition(
        name="bars_in_history",
        version=1,
        family="price",
        inputs=("close",),
        lookback=0,
        compute=lambda b: np.full(len(b), float(len(b))),
    )

    report = check_leakage(market(40), small_spec().with_features(length_aware))

    leak = report.check("bars_in_history").leak
    assert leak is not None
    assert leak.change is Change.TRUNCATED


def test_a_label_claiming_to_end_before_it_does_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = build_module.compute_labels

    def early(bars: SymbolBars, target: TargetDefinition) -> object:
        labels = real(bars, target)
        # Daily bars: claims each label is known one bar before its return is.
        return attrs.evolve(labels, label_end=labels.label_end - np.timedelta64(1, "D"))

    monkeypatch.setattr(build_module, "compute_labels", early)
    report = check_leakage(market(40), small_spec(TargetDefinition(horizon=2)))

    assert report.leaking == ("forward_return", "target", "label_end")


def test_cut_points_start_at_the_first_bars_and_end_before_the_last() -> None:
    times = pd.date_range("2024-01-01", periods=50, freq="D", tz="UTC")

    cuts = cut_points(pd.Series(times), 8)

    assert len(cuts) == 8
    assert cuts[:3] == tuple(times[:3])
    assert cuts[-1] == times[-2]
    assert list(cuts) == sorted(cuts)
    assert cut_points(pd.Series(times[:2]), 8) == (times[0],)


def test_perturbing_changes_every_bar_after_the_cut_and_keeps_bars_valid() -> None:
    bars = market(30)
    cut = bars["timestamp"].iloc[10]

    changed = perturb_after(bars, cut, np.random.default_rng(0))

    check_bar_frame(changed, "perturbed")
    before = bars["timestamp"] <= cut
    pd.testing.assert_frame_equal(changed[before], bars[before])
    for column in ("open", "high", "low", "close", "volume"):
        assert (changed.loc[~before, column] != bars.loc[~before, column]).all(), column


def test_the_check_of_a_feature_table_runs_the_same_code_as_the_build(fakes: ModuleType) -> None:
    spec = small_spec()
    bars = market(40)
    store = fakes.FakeBarStore(bars)

    built = build_module.build_features(store, fakes.FakeFeatureStore(), spec)
    full = build_module.feature_table(bars, spec)

    kept = full[full.groupby("symbol").cumcount() >= spec.lookback].reset_index(drop=True)
    pd.testing.assert_frame_equal(built, kept, check_dtype=False)
