"""backtest_weights, run_strategy_backtest and check_weights against the kernel called directly."""

from __future__ import annotations

import warnings
from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.backtest.backtest_result import BacktestResult
from quantcli.application.backtest.run_backtest import (
    LeverageLimit,
    backtest_weights,
    check_weights,
    run_strategy_backtest,
)
from quantcli.application.strategy.rule_strategies import SmaCrossStrategy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError, ValidationError

nan = np.nan
COMMISSION = CommissionSchedule(per_share=Decimal("0.01"), minimum=Decimal("1.00"), bps=Decimal(2))
SLIPPAGE = SlippageModel(bps=Decimal(5))
CASH = Decimal(100_000)
COUNT = 30


def prices(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, COUNT)))
    return close * np.exp(rng.normal(0.0, 0.005, COUNT)), close


PRICES = {"AAA": prices(1), "BBB": prices(2), "CCC": prices(3)}


def bar_frame(fakes: ModuleType, symbols: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> pd.DataFrame:
    days = fakes.utc_days(COUNT)
    return pd.concat(
        [fakes.bar_frame(symbol, days, *PRICES[symbol]) for symbol in symbols], ignore_index=True
    )


def target_weights(fakes: ModuleType) -> pd.DataFrame:
    """BBB before AAA (not sorted), decided on every other bar; NaN means hold."""
    days = fakes.utc_days(COUNT)
    rng = np.random.default_rng(9)
    values = rng.uniform(-0.4, 0.4, (COUNT, 2))
    values[rng.uniform(size=values.shape) < 0.3] = nan
    return pd.DataFrame(values[::2], index=days[::2], columns=["BBB", "AAA"])


def direct(weights_panel: np.ndarray, symbols: list[str]) -> kernels.PortfolioSimulation:
    open_ = np.column_stack([PRICES[symbol][0] for symbol in symbols])
    close = np.column_stack([PRICES[symbol][1] for symbol in symbols])
    return kernels.simulate_portfolio(
        open_,
        np.maximum(open_, close),
        np.minimum(open_, close),
        close,
        np.full(open_.shape, 1e6),
        target_weights=weights_panel,
        initial_cash=100_000.0,
        costs=kernels.CostModel(
            commission_per_share=0.01, commission_minimum=1.0, commission_bps=2.0, slippage_bps=5.0
        ),
        rebalance_band=0.01,
    )


def backtest(bars: pd.DataFrame, weights: pd.DataFrame) -> BacktestResult:
    return backtest_weights(
        bars,
        weights,
        commission=COMMISSION,
        slippage=SLIPPAGE,
        initial_cash=CASH,
        rebalance_band=0.01,
    )


# --- backtest_weights --------------------------------------------------------------------------


def test_backtest_equals_the_kernel_on_the_pivoted_panels(fakes: ModuleType) -> None:
    weights = target_weights(fakes)
    # Rows the weights skip are "hold" (NaN) for the kernel.
    panel = np.full((COUNT, 2), nan)
    panel[::2] = weights.to_numpy()

    result = backtest(bar_frame(fakes), weights)
    expected = direct(panel, ["BBB", "AAA"])

    assert len(expected.fills.bar) > 4
    np.testing.assert_array_equal(result.equity.to_numpy(), expected.equity)
    np.testing.assert_array_equal(result.positions.to_numpy(), expected.positions)
    assert result.equity.index.equals(fakes.utc_days(COUNT))
    assert list(result.positions.columns) == ["BBB", "AAA"]
    assert result.summary.trade_count == len(expected.fills.bar)
    assert result.summary.total_return == pytest.approx(
        expected.equity[-1] / expected.equity[0] - 1.0, rel=1e-12
    )


def test_trades_list_every_position_change_at_the_slipped_open(fakes: ModuleType) -> None:
    result = backtest(bar_frame(fakes), target_weights(fakes))

    trades = result.trades
    assert len(trades) == result.summary.trade_count
    for symbol in ("AAA", "BBB"):
        mine = trades[trades["symbol"] == symbol]
        signed = np.where(mine["side"] == "BUY", 1.0, -1.0) * mine["quantity"].to_numpy()
        assert signed.sum() == result.positions[symbol].iloc[-1]
        bar = result.equity.index.get_indexer(mine["timestamp"])
        opens = PRICES[symbol][0][bar]
        np.testing.assert_allclose(
            mine["price"].to_numpy(), opens * (1 + np.sign(signed) * 5e-4), rtol=1e-12
        )
        # max(0.01 × shares, 1.00) + 2 bps of notional
        fees = np.maximum(0.01 * mine["quantity"], 1.0) + 2e-4 * mine["quantity"] * mine["price"]
        np.testing.assert_allclose(mine["commission"].to_numpy(), fees.to_numpy(), rtol=1e-9)


def test_symbols_without_weights_are_left_out(fakes: ModuleType) -> None:
    weights = target_weights(fakes)

    with_extra = backtest(bar_frame(fakes), weights)
    without = backtest(bar_frame(fakes, ("AAA", "BBB")), weights)

    pd.testing.assert_series_equal(with_extra.equity, without.equity)
    assert "CCC" not in with_extra.positions.columns


def test_weights_at_a_timestamp_without_a_bar_are_a_data_error_naming_it(
    fakes: ModuleType,
) -> None:
    bars = bar_frame(fakes)
    stray = pd.Timestamp("2030-06-01", tz="UTC")
    weights = pd.DataFrame({"AAA": [0.1, 0.2]}, index=[fakes.utc_days(1)[0], stray])

    with pytest.raises(DataError, match="target weights at 2030-06-01T00:00:00\\+00:00 have no"):
        backtest(bars, weights)


# --- run_strategy_backtest ---------------------------------------------------------------------


class RecordingStrategy:
    """Returns fixed weights on the bars it is given and remembers those bars."""

    def __init__(self, weights: pd.DataFrame) -> None:
        self.weights = weights
        self.seen: list[pd.DataFrame] = []

    def __call__(self, bars: pd.DataFrame) -> pd.DataFrame:
        self.seen.append(bars.copy())
        return self.weights


def run(store: object, strategy: object, **overrides: object) -> BacktestResult:
    arguments: dict[str, object] = {
        "commission": COMMISSION,
        "slippage": SLIPPAGE,
        "initial_cash": CASH,
        "rebalance_band": 0.01,
    }
    arguments.update(overrides)
    return run_strategy_backtest(store, strategy, **arguments)  # type: ignore[arg-type]


def test_strategy_gets_the_stored_bars_and_its_weights_are_backtested(fakes: ModuleType) -> None:
    bars = bar_frame(fakes)
    store = fakes.FakeBarStore(bars)
    weights = target_weights(fakes)
    strategy = RecordingStrategy(weights)

    result = run(store, strategy)

    assert len(strategy.seen) == 1
    pd.testing.assert_frame_equal(strategy.seen[0], store.frame)
    pd.testing.assert_series_equal(result.equity, backtest(store.frame, weights).equity)


def test_symbols_filter_what_the_strategy_sees(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore(bar_frame(fakes))
    days = fakes.utc_days(COUNT)
    strategy = RecordingStrategy(pd.DataFrame({"BBB": 0.5}, index=days[:1]))

    result = run(store, strategy, symbols=["BBB"])

    assert set(strategy.seen[0]["symbol"]) == {"BBB"}
    assert store.read_calls == [(("BBB",), None, None)]
    expected = direct(np.vstack([[0.5], np.full((COUNT - 1, 1), nan)]), ["BBB"])
    np.testing.assert_array_equal(result.equity.to_numpy(), expected.equity)


def test_weights_on_a_symbol_outside_the_filter_are_a_data_error(fakes: ModuleType) -> None:
    store = fakes.FakeBarStore(bar_frame(fakes))
    strategy = RecordingStrategy(target_weights(fakes))  # AAA and BBB

    with pytest.raises(DataError, match=r"unknown symbol\(s\) AAA$"):
        run(store, strategy, symbols=["BBB"])


def test_sma_cross_strategy_runs_end_to_end_with_a_late_listed_symbol(fakes: ModuleType) -> None:
    days = fakes.utc_days(COUNT)
    late = fakes.bar_frame("LATE", days[10:], PRICES["CCC"][0][10:], PRICES["CCC"][1][10:])
    bars = pd.concat([bar_frame(fakes, ("AAA",)), late], ignore_index=True)
    strategy = SmaCrossStrategy(fast=2, slow=5, weight_per_symbol=0.3)

    store = fakes.FakeBarStore(bars)

    result = run(store, strategy)

    expected = backtest(store.frame, strategy(store.frame))
    pd.testing.assert_series_equal(result.equity, expected.equity)
    assert (result.positions["LATE"].iloc[:15] == 0).all()  # no trade before listing + warm-up
    assert (result.positions["LATE"] != 0).any()
    assert (result.positions["AAA"] != 0).any()


def test_a_symbol_without_bars_is_named_with_what_is_stored(fakes: ModuleType) -> None:
    # It used to say "bar store is empty" although the store held AAA, BBB and CCC.
    strategy = RecordingStrategy(target_weights(fakes))

    with pytest.raises(DataError, match=r"^no bars for NOPE \(stored: AAA, BBB, CCC\)$"):
        run(fakes.FakeBarStore(bar_frame(fakes)), strategy, symbols=["NOPE"])
    assert strategy.seen == []


def test_an_empty_store_is_a_data_error_before_the_strategy_runs(fakes: ModuleType) -> None:
    strategy = RecordingStrategy(target_weights(fakes))

    with pytest.raises(DataError, match="bar store is empty"):
        run(fakes.FakeBarStore(), strategy)
    assert strategy.seen == []


# --- check_weights -----------------------------------------------------------------------------


def test_valid_weights_with_nan_are_returned_unchanged(fakes: ModuleType) -> None:
    weights = target_weights(fakes)

    assert check_weights(weights, {"AAA", "BBB", "CCC"}) is weights


@pytest.mark.parametrize(
    ("returned", "name"),
    [([0.1, 0.2], "list"), (pd.Series([0.1]), "Series"), (np.zeros((2, 2)), "ndarray")],
)
def test_a_strategy_returning_no_dataframe_is_a_data_error_naming_the_type(
    returned: object, name: str
) -> None:
    with pytest.raises(DataError, match=f"strategy returned {name}, not a DataFrame of weights"):
        check_weights(returned, {"AAA"})


def test_unknown_symbols_are_a_data_error_listing_them_sorted(fakes: ModuleType) -> None:
    weights = pd.DataFrame(0.1, index=fakes.utc_days(2), columns=["ZZZ", "AAA", "MMM"])

    with pytest.raises(DataError, match=r"unknown symbol\(s\) MMM, ZZZ$"):
        check_weights(weights, {"AAA"})


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_an_infinite_weight_is_a_data_error_naming_symbol_and_time(
    fakes: ModuleType, value: float
) -> None:
    weights = pd.DataFrame({"AAA": [0.1, 0.2, nan], "BBB": [0.1, value, nan]}, fakes.utc_days(3))

    with pytest.raises(DataError) as raised:
        check_weights(weights, {"AAA", "BBB"}, source="strategy my:w")

    assert str(raised.value) == (
        f"strategy my:w weights for BBB at {fakes.utc_days(3)[1].isoformat()} are {value}, "
        "not a finite number"
    )


def test_weights_within_the_leverage_limit_pass_and_nan_counts_as_zero(
    fakes: ModuleType,
) -> None:
    weights = pd.DataFrame({"AAA": [0.75, -0.75, nan], "BBB": [-0.75, nan, 1.5]}, fakes.utc_days(3))

    assert check_weights(weights, {"AAA", "BBB"}, leverage_limit=LeverageLimit(1.5)) is weights


def test_weights_above_the_leverage_limit_are_refused_naming_the_first_bar() -> None:
    days = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    weights = pd.DataFrame({"AAA": [0.5, 50.0, 50.0, 0.5], "BBB": [0.5, -1.0, 0.0, 0.5]}, days)
    limit = LeverageLimit(1.5, "risk.limits.max_gross_exposure")

    with pytest.raises(ValidationError) as raised:
        check_weights(weights, {"AAA", "BBB"}, source="strategy my:big", leverage_limit=limit)

    assert str(raised.value) == (
        "strategy my:big weights at 2024-01-02T00:00:00+00:00 ask for gross exposure 51.00x "
        "equity, above risk.limits.max_gross_exposure 1.50x (2 bar(s) above it): scale the "
        "weights down or raise the limit"
    )


def test_weights_of_50_per_symbol_are_refused_before_any_overflow(fakes: ModuleType) -> None:
    # They used to run: a numpy overflow warning, then "equity[386] is inf, not a finite number".
    store = fakes.FakeBarStore(bar_frame(fakes))
    days = fakes.utc_days(COUNT)
    strategy = RecordingStrategy(pd.DataFrame(50.0, index=days, columns=["AAA", "BBB", "CCC"]))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValidationError, match=r"gross exposure 150\.00x equity, above "):
            run(store, strategy, leverage_limit=LeverageLimit(1.5))


@pytest.mark.parametrize("gross", [0.0, -1.0, nan, np.inf])
def test_a_leverage_limit_must_be_positive_and_finite(gross: float) -> None:
    with pytest.raises(ValidationError, match="is not positive"):
        LeverageLimit(gross)


@pytest.mark.parametrize(
    "index", [pd.RangeIndex(2), pd.Index(["2024-01-01", "2024-01-02"])], ids=["range", "strings"]
)
def test_weights_not_indexed_by_timestamp_are_a_data_error(index: pd.Index) -> None:
    weights = pd.DataFrame({"AAA": [0.1, 0.2]}, index=index)

    with pytest.raises(DataError, match="strategy weights must be indexed by bar timestamp"):
        check_weights(weights, {"AAA"})
