"""Cross-sectional ranks: per timestamp across symbols, in [0, 1], ties averaged."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli.application.features import (
    CrossSection,
    FeatureFamily,
    FeatureParameters,
    build_registry,
    rank_across_symbols,
)
from quantcli.application.features.build_features import feature_table
from quantcli.application.features.feature_spec import FeatureSpec


def test_rank_by_hand_with_ties_missing_values_and_a_lone_symbol() -> None:
    t1, t2, t3 = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    table = pd.DataFrame(
        {
            "symbol": ["A", "B", "C", "D", "A", "B", "C", "A", "B"],
            "timestamp": [t1, t1, t1, t1, t2, t2, t2, t3, t3],
            "x": [0.3, -0.1, 0.3, 0.9, 5.0, np.nan, 1.0, 2.0, np.nan],
        }
    )

    ranked = rank_across_symbols(table.copy(), ["x"])["x"].tolist()

    # t1: -0.1 < 0.3 = 0.3 < 0.9 → ranks 1, 2.5, 2.5, 4 → (r - 1) / 3.
    assert ranked[:4] == pytest.approx([0.5, 0.0, 0.5, 1.0])
    # t2: two values (B missing): 1.0 → 0, 5.0 → 1.
    assert ranked[4] == 1.0
    assert np.isnan(ranked[5])
    assert ranked[6] == 0.0
    # t3: only A has a value.
    assert ranked[7] == 0.5
    assert np.isnan(ranked[8])


def test_rank_features_are_cross_sectional_ranks_of_their_source() -> None:
    registry = build_registry(FeatureParameters(ranks=("return_20", "volatility_20")))
    rank = registry.get("rank_return_20")
    source = registry.get("return_20")

    assert rank.family is FeatureFamily.CROSS_SECTIONAL
    assert rank.cross_section is CrossSection.RANK
    assert rank.lookback == source.lookback
    assert rank.inputs == source.inputs
    assert rank.describe()["params"] == {"of": source.describe()}


def test_rank_of_the_20_bar_return_against_pandas(make_bars: object) -> None:
    frames = [make_bars(60, seed=s, symbol=name) for s, name in ((1, "A"), (2, "B"), (3, "C"))]  # type: ignore[operator]
    bars = pd.concat(frames, ignore_index=True)
    params = FeatureParameters(ranks=("return_20",), families=("price", "cross_sectional"))
    spec = FeatureSpec.from_parameters(params)

    table = feature_table(bars, spec)

    returns = bars.assign(r=bars.groupby("symbol")["close"].pct_change(20))
    expected = (returns.groupby("timestamp")["r"].rank() - 1) / 2
    expected.index = pd.MultiIndex.from_frame(returns[["symbol", "timestamp"]])
    got = table.set_index(["symbol", "timestamp"])["rank_return_20"]
    np.testing.assert_allclose(got.loc[expected.index], expected, equal_nan=True)
    assert got.min() == 0.0
    assert got.max() == 1.0


def test_a_rank_can_use_a_feature_left_out_of_the_table(fakes: ModuleType) -> None:
    params = FeatureParameters(ranks=("return_5",), exclude=("return_5",))
    names = build_registry(params).names
    assert "rank_return_5" in names
    assert "return_5" not in names
