"""SyntheticMarket: deterministic, realistic-looking bars with a weak planted signal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantcli.adapters.data import SyntheticMarket
from quantcli.adapters.data.synthetic_market import MAX_YEARS
from quantcli.adapters.data.synthetic_model import MOMENTUM, REVERSAL
from quantcli.application.marketdata.ports import BAR_COLUMNS, check_bar_frame
from quantcli.domain import DataError, ValidationError
from quantcli.domain.instrument import check_symbol


def daily_log_returns(bars: pd.DataFrame) -> pd.DataFrame:
    """Close-to-close log returns, one column per symbol."""
    closes = bars.pivot(index="timestamp", columns="symbol", values="close")
    return closes.apply(np.log).diff().iloc[1:]


def oracle_accuracy(bars: pd.DataFrame) -> float:
    """How often the sign of the planted signal, from past closes only, calls the next return."""
    log_close = np.log(bars.pivot(index="timestamp", columns="symbol", values="close").to_numpy())
    today = np.arange(20, len(log_close) - 1)
    recent = log_close[today] - log_close[today - 5]
    older = log_close[today - 5] - log_close[today - 20]
    planted = -REVERSAL * recent / np.sqrt(5) + MOMENTUM * older / np.sqrt(15)
    following = log_close[today + 1] - log_close[today]
    return float(np.mean(np.sign(planted) == np.sign(following)))


@pytest.fixture(scope="module")
def default_bars() -> pd.DataFrame:
    return SyntheticMarket().fetch_bars()


def test_name_is_synthetic_and_symbols_are_valid_tickers() -> None:
    market = SyntheticMarket(n_symbols=3)

    assert market.name == "synthetic"
    assert market.symbols == ["SYN00", "SYN01", "SYN02"]
    assert [check_symbol(symbol) for symbol in SyntheticMarket(n_symbols=150).symbols[-2:]] == [
        "SYN148",
        "SYN149",
    ]


def test_default_market_has_20_symbols_over_8_years_of_weekdays(default_bars: pd.DataFrame) -> None:
    assert list(default_bars.columns) == list(BAR_COLUMNS)
    assert sorted(default_bars["symbol"].unique()) == [f"SYN{i:02d}" for i in range(20)]
    timestamps = pd.DatetimeIndex(default_bars["timestamp"].unique())
    assert len(timestamps) == 2016
    assert timestamps[0] == pd.Timestamp("2016-01-04", tz="UTC")
    assert (timestamps.day_of_week < 5).all()
    assert (timestamps == timestamps.normalize()).all()
    assert str(default_bars["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert len(default_bars) == 20 * 2016


def test_same_seed_gives_identical_frames_and_another_seed_differs() -> None:
    first = SyntheticMarket(n_symbols=5, years=1, seed=7).fetch_bars()
    again = SyntheticMarket(n_symbols=5, years=1, seed=7).fetch_bars()
    other = SyntheticMarket(n_symbols=5, years=1, seed=8).fetch_bars()

    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert not np.allclose(first["close"], other["close"])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**63),
    n_symbols=st.integers(1, 12),
    years=st.floats(0.001, 3.0),
    signal_strength=st.floats(0.0, 5.0),
)
def test_every_generated_frame_passes_the_bar_frame_check(
    seed: int, n_symbols: int, years: float, signal_strength: float
) -> None:
    bars = SyntheticMarket(n_symbols, years, seed, signal_strength=signal_strength).fetch_bars()

    checked = check_bar_frame(bars, source="synthetic")

    pd.testing.assert_frame_equal(checked, bars)
    assert len(bars) == n_symbols * max(1, round(years * 252))


def test_open_gaps_are_small_and_wicks_reach_beyond_open_and_close(
    default_bars: pd.DataFrame,
) -> None:
    previous_close = default_bars.groupby("symbol")["close"].shift()
    gap = pd.Series(np.log(default_bars["open"] / previous_close)).dropna()
    body_top = default_bars[["open", "close"]].max(axis=1)
    body_bottom = default_bars[["open", "close"]].min(axis=1)

    assert gap.abs().median() < 0.01
    assert gap.abs().max() < 0.1
    assert (default_bars["high"] > body_top).mean() > 0.99
    assert (default_bars["low"] < body_bottom).mean() > 0.99


def test_daily_volatility_is_between_one_and_three_percent(default_bars: pd.DataFrame) -> None:
    volatility = daily_log_returns(default_bars).std()

    assert volatility.between(0.01, 0.03).all()


def test_regimes_persist_for_weeks_and_bear_regime_is_the_most_volatile() -> None:
    market = SyntheticMarket()
    regimes = market.regimes.to_numpy()
    switches = np.flatnonzero(regimes[1:] != regimes[:-1])
    mean_run = len(regimes) / (len(switches) + 1)
    returns = daily_log_returns(market.fetch_bars())
    by_regime = returns.groupby(market.regimes.iloc[1:].to_numpy()).apply(
        lambda block: block.to_numpy().std()
    )

    assert set(regimes) == {"calm_bull", "volatile_bear", "choppy"}
    assert 10 < mean_run < 120
    assert by_regime["calm_bull"] < by_regime["choppy"] < by_regime["volatile_bear"]


def test_symbols_share_a_market_factor_and_more_so_within_a_sector() -> None:
    market = SyntheticMarket(n_symbols=10, years=8, signal_strength=0.0)
    correlation = daily_log_returns(market.fetch_bars())[market.symbols].corr().to_numpy()
    sector = np.array([market.sectors[symbol] for symbol in market.symbols])
    pairs = np.triu(np.ones_like(correlation, dtype=bool), k=1)
    same_sector = sector[:, None] == sector[None, :]

    across = correlation[pairs & ~same_sector].mean()
    within = correlation[pairs & same_sector].mean()

    assert 0.1 < across < within < 0.9


def test_volume_is_higher_on_big_move_days(default_bars: pd.DataFrame) -> None:
    closes = default_bars.groupby("symbol")["close"]
    move = pd.Series(np.log(default_bars["close"] / closes.shift())).abs()
    z_move = move / move.groupby(default_bars["symbol"]).transform("std")
    relative_volume = default_bars["volume"] / default_bars.groupby("symbol")["volume"].transform(
        "median"
    )

    assert relative_volume[z_move > 2].mean() > 1.5 * relative_volume[z_move < 0.5].mean()


def test_planted_signal_calls_next_day_direction_weakly_but_really() -> None:
    bars = SyntheticMarket(n_symbols=50, years=20, seed=11, signal_strength=1.0).fetch_bars()

    assert 0.52 <= oracle_accuracy(bars) <= 0.60


def test_zero_signal_strength_leaves_nothing_to_predict() -> None:
    bars = SyntheticMarket(n_symbols=50, years=20, seed=11, signal_strength=0.0).fetch_bars()

    assert 0.47 <= oracle_accuracy(bars) <= 0.53


def test_linear_model_on_past_return_features_finds_the_signal_out_of_sample() -> None:
    bars = SyntheticMarket(n_symbols=50, years=20, seed=4).fetch_bars()
    log_close = np.log(bars.pivot(index="timestamp", columns="symbol", values="close").to_numpy())
    today = np.arange(20, len(log_close) - 1)
    features = np.stack(
        [log_close[today] - log_close[today - lag] for lag in (1, 5, 10, 20)], axis=-1
    )
    following = log_close[today + 1] - log_close[today]
    split = len(today) * 6 // 10
    design = np.concatenate([features, np.ones((*features.shape[:2], 1))], axis=-1)

    weights, *_ = np.linalg.lstsq(
        design[:split].reshape(-1, 5), following[:split].ravel(), rcond=None
    )
    predicted = design[split:].reshape(-1, 5) @ weights

    assert np.mean(np.sign(predicted) == np.sign(following[split:].ravel())) > 0.53


def test_parameters_cannot_change_after_construction() -> None:
    market = SyntheticMarket(n_symbols=2, years=0.1)

    with pytest.raises(attrs.exceptions.FrozenAttributeError):
        market.seed = 1


def test_zero_signal_strength_keeps_the_volatility_structure() -> None:
    with_signal = daily_log_returns(SyntheticMarket(seed=5, signal_strength=1.0).fetch_bars())
    without = daily_log_returns(SyntheticMarket(seed=5, signal_strength=0.0).fetch_bars())

    assert 0.9 < with_signal.to_numpy().std() / without.to_numpy().std() < 1.1


def test_fetch_filters_symbols_and_inclusive_time_range() -> None:
    market = SyntheticMarket(n_symbols=4, years=1)

    bars = market.fetch_bars(
        symbols=["SYN03", "SYN01"],
        start=datetime(2016, 2, 1, tzinfo=UTC),
        end=datetime(2016, 2, 5, tzinfo=UTC),
    )

    assert bars["symbol"].tolist() == ["SYN01"] * 5 + ["SYN03"] * 5
    assert bars["timestamp"].iloc[:5].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert bars.index.tolist() == list(range(10))


def test_filtered_bars_equal_the_matching_rows_of_the_full_frame() -> None:
    market = SyntheticMarket(n_symbols=3, years=1)
    full = market.fetch_bars()

    part = market.fetch_bars(symbols=["SYN02"], start=datetime(2016, 6, 1, tzinfo=UTC))

    expected = full[(full["symbol"] == "SYN02") & (full["timestamp"] >= "2016-06-01")]
    pd.testing.assert_frame_equal(part, expected.reset_index(drop=True))


def test_unknown_symbol_is_a_data_error_naming_it() -> None:
    with pytest.raises(
        DataError, match=r"^synthetic: unknown symbol\(s\) AAPL; it has SYN00, SYN01$"
    ):
        SyntheticMarket(n_symbols=2, years=0.1).fetch_bars(symbols=["SYN00", "AAPL"])


def test_changing_a_fetched_frame_does_not_change_the_market() -> None:
    market = SyntheticMarket(n_symbols=2, years=0.1)
    fetched = market.fetch_bars()
    fetched["close"] = 1.0

    assert market.fetch_bars()["close"].nunique() > 1


def test_start_date_on_a_weekend_rolls_to_monday() -> None:
    bars = SyntheticMarket(n_symbols=1, years=0.1, start=date(2021, 1, 2)).fetch_bars()

    assert bars["timestamp"].iloc[0] == pd.Timestamp("2021-01-04", tz="UTC")


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"n_symbols": 0}, "n_symbols"),
        ({"n_symbols": 2.5}, "n_symbols"),
        ({"years": 0}, "years"),
        ({"years": -1.0}, "years"),
        ({"years": float("nan")}, "years"),
        ({"seed": -1}, "seed"),
        ({"start": datetime(2016, 1, 4, tzinfo=UTC)}, "start"),
        ({"signal_strength": -0.1}, "signal_strength"),
        ({"signal_strength": 6.0}, "signal_strength"),
    ],
)
def test_invalid_constructor_argument_is_a_validation_error_naming_it(
    arguments: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{named} must be"):
        SyntheticMarket(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"years": 500}, "years must be a number > 0 and <= 100, got 500"),
        ({"n_symbols": 501}, "n_symbols must be an integer from 1 to 500, got 501"),
        ({"n_symbols": 0}, "n_symbols must be an integer from 1 to 500, got 0"),
        (
            {"years": 100, "start": date(2200, 1, 1)},
            "100 years of bars from 2200-01-01 end on 2296-08-04, after the last date a "
            "timestamp can hold (2262-04-11): start earlier or ask for fewer years",
        ),
    ],
)
def test_a_market_beyond_the_bounds_is_refused_before_generating(
    arguments: dict[str, object], message: str
) -> None:
    # 500 years used to end in pandas' OutOfBoundsDatetime at fetch time.
    with pytest.raises(ValidationError) as raised:
        SyntheticMarket(**arguments)  # type: ignore[arg-type]

    assert str(raised.value) == message


def test_the_longest_market_ends_within_pandas_range() -> None:
    market = SyntheticMarket(n_symbols=1, years=MAX_YEARS)

    bars = market.fetch_bars()

    assert len(bars) == round(MAX_YEARS * 252)
    assert bars["timestamp"].iloc[-1] < pd.Timestamp("2262-04-11", tz="UTC")
