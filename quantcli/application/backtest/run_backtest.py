"""Use cases: backtest target weights (from a model or a rule) with costs on next-open fills.

The portfolio simulator (`kernels.simulate_portfolio`) does the accounting; the commission
schedule and slippage model give its per-share, minimum, bps and slippage rates, and an optional
`kernels.CostModel` / `kernels.MarginRules` switch on the other cost models and margin rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.analytics.annualization import (
    elapsed_years,
    infer_annualization,
)
from quantcli.application.analytics.performance import (
    summarize,
)
from quantcli.application.analytics.report_analytics import (
    borrow_attribution,
)
from quantcli.application.backtest.backtest_result import (
    FILL_COLUMNS,
    FILL_REASONS,
    ROUND_TRIP_COLUMNS,
    TRADE_COLUMNS,
    BacktestResult,
    SimulationCounts,
)
from quantcli.application.backtest.ports import (
    FILL_REASON_SAME_BAR_CLOSE,
)
from quantcli.application.marketdata.ports import BarStore
from quantcli.application.marketdata.stored_symbols import stored_symbols
from quantcli.application.strategy.order_sizing import SizingPolicy
from quantcli.application.strategy.rule_strategies import WeightsStrategy
from quantcli.application.strategy.strategy_weights import LeverageLimit, check_weights
from quantcli.application.strategy.weight_sizing import sized_weights
from quantcli.application.validation.threshold_strategy import ThresholdStrategy
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.trading_types import OrderSide

# Daily volatility for square-root impact: std of the last bars' close-to-close returns.
VOLATILITY_WINDOW = 20
# CostModel fields that `commission` and `slippage` set; a CostModel passed alongside must
# leave them at zero, so that one rate never silently overrides another.
_SCHEDULE_FIELDS = ("commission_per_share", "commission_minimum", "commission_bps", "slippage_bps")


def _panel(bars: pd.DataFrame, column: str, symbols: list[str]) -> pd.DataFrame:
    return bars.pivot(index="timestamp", columns="symbol", values=column).reindex(columns=symbols)


def _fill_frames(
    fills: kernels.Fills,
    index: pd.DatetimeIndex,
    symbols: list[str],
    *,
    same_bar_close: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulator's fills as (fills, round trips) frames labelled by timestamp and symbol.

    With `same_bar_close` (the simulator filled signals at the deciding bar's close) signal
    fills are labelled FILL_REASON_SAME_BAR_CLOSE; liquidations still happen at an open.
    """
    quantity = fills.quantity
    reasons = dict(FILL_REASONS)
    if same_bar_close:
        reasons[kernels.simulator.REASON_SIGNAL] = FILL_REASON_SAME_BAR_CLOSE
    frame = pd.DataFrame(
        {
            "timestamp": index[fills.bar],
            "symbol": [symbols[column] for column in fills.symbol.tolist()],
            "side": np.where(quantity > 0, OrderSide.BUY.value, OrderSide.SELL.value),
            "quantity": np.abs(quantity),
            "price": fills.price,
            "commission": fills.commission,
            "slippage": fills.slippage,
            "impact": fills.impact,
            "reason": [reasons.get(code, str(code)) for code in fills.reason.tolist()],
        },
        columns=list(FILL_COLUMNS),
    )
    trips = pd.DataFrame(
        [
            {
                "symbol": symbols[trip.symbol],
                "entry_timestamp": index[trip.entry_bar],
                "entry_price": trip.entry_price,
                "exit_timestamp": index[trip.exit_bar],
                "exit_price": trip.exit_price,
                "quantity": trip.quantity,
                "pnl": trip.pnl,
            }
            for trip in kernels.round_trips(fills)
        ],
        columns=list(ROUND_TRIP_COLUMNS),
    )
    return frame, trips


def _cost_model(
    commission: CommissionSchedule, slippage: SlippageModel, costs: kernels.CostModel | None
) -> kernels.CostModel:
    others = kernels.CostModel() if costs is None else costs
    clashing = [name for name in _SCHEDULE_FIELDS if getattr(others, name) != 0]
    if clashing:
        raise ValidationError(
            f"costs.{clashing[0]} is {getattr(others, clashing[0])}: the commission schedule "
            "and slippage model set it; leave it at 0 in the cost model"
        )
    return attrs.evolve(
        others,
        commission_per_share=float(commission.per_share),
        commission_minimum=float(commission.minimum),
        commission_bps=float(commission.bps),
        slippage_bps=float(slippage.bps),
    )


def _volatility(close_prices: pd.DataFrame, window: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Daily volatility known at each bar's open: from returns up to the previous close.

    0 until a symbol has two returns (no impact during the warm-up) and where it has no bar.
    """
    returns = close_prices.ffill().pct_change(fill_method=None)
    sigma = returns.rolling(window, min_periods=2).std(ddof=1).shift(1)
    return sigma.fillna(0.0).to_numpy(dtype=np.float64)


def backtest_weights(
    bars: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
    fill_at_close: bool = False,
) -> BacktestResult:
    """Trade target weights (timestamps × symbols, NaN = hold) over the bars they cover.

    Weights decided at a bar's close trade at the next bar's open (no same-bar look-ahead);
    `fill_at_close` trades them at that same close instead (look-ahead: such fills are
    labelled FILL_REASON_SAME_BAR_CLOSE and the report warns about them).
    `commission` and `slippage` give the cost model's commission and slippage rates; `costs`
    adds the other models (its commission/slippage rates must stay 0) and `margin` the margin
    rules. Square-root impact uses the std of the last VOLATILITY_WINDOW daily returns; tiered
    commissions count shares per calendar month (UTC).
    Annualization is inferred from the bars' timestamps (`infer_annualization`): it annualizes
    the summary and replaces `costs.bars_per_year`, so an annual borrow rate is charged per
    bar at rate / bars per year; CAGR compounds over the elapsed time of the bars.
    """
    symbols = [str(symbol) for symbol in weights.columns]
    panels = {
        column: _panel(bars, column, symbols)
        for column in ("open", "high", "low", "close", "volume")
    }
    open_prices = panels["open"]
    unknown = weights.index.difference(open_prices.index)
    if len(unknown):
        raise DataError(f"target weights at {unknown[0].isoformat()} have no stored bar")
    aligned = weights.reindex(index=open_prices.index).to_numpy(dtype=np.float64)
    index = pd.DatetimeIndex(open_prices.index)
    annualization = infer_annualization(index)
    cost_model = attrs.evolve(
        _cost_model(commission, slippage, costs), bars_per_year=annualization.periods_per_year
    )
    volatility = (
        _volatility(panels["close"], VOLATILITY_WINDOW)
        if cost_model.square_root_impact > 0
        else None
    )
    simulation = kernels.simulate_portfolio(
        *(panel.to_numpy(dtype=np.float64) for panel in panels.values()),
        initial_cash=float(initial_cash),
        target_weights=aligned,
        costs=cost_model,
        margin=margin,
        rebalance_band=rebalance_band,
        volatility=volatility,
        month=(index.year * 12 + index.month).to_numpy(dtype=np.int64),
        fill_at_close=fill_at_close,
    )
    fills = simulation.fills
    traded_notional = np.zeros(len(index))
    np.add.at(traded_notional, fills.bar, np.abs(fills.quantity) * fills.price)
    fill_frame, trips = _fill_frames(
        fills, index, symbols, same_bar_close=simulation.flags.same_bar_fills
    )
    positions = pd.DataFrame(simulation.positions, index=open_prices.index, columns=symbols)
    summary = summarize(
        simulation.equity,
        traded_notional,
        len(fills.bar),
        annualization.periods_per_year,
        trade_pnl=trips["pnl"].to_numpy(dtype=np.float64),
        positions=simulation.positions,
        years=elapsed_years(index),
    )
    flags = simulation.flags
    return BacktestResult(
        equity=pd.Series(simulation.equity, index=open_prices.index, name="equity"),
        positions=positions,
        trades=fill_frame.loc[:, list(TRADE_COLUMNS)],
        summary=summary,
        fills=fill_frame,
        round_trips=trips,
        costs=simulation.costs._asdict(),
        counts=SimulationCounts(flags.margin_calls, flags.orders_cut, flags.orders_rejected),
        # Shorts are valued at the closes, as the simulator charges them.
        borrow_by_symbol=borrow_attribution(positions, panels["close"], simulation.costs.borrow),
        initial_equity=float(initial_cash),
        annualization=annualization,
        closes=panels["close"],
    )


def run_backtest(
    bar_store: BarStore,
    predictions: pd.DataFrame,
    *,
    strategy: ThresholdStrategy,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
    sizing: SizingPolicy | None = None,
) -> BacktestResult:
    """Trade the threshold strategy's weights from the first to the last predicted bar.

    With `sizing`, each bar's weights are sized as a paper or live session's SignalSizer
    sizes that bar's signals (`weight_sizing.sized_weights`, volatility from the closes of
    the bars traded here, annualized with `sizing.bars_per_year` as sessions do); None
    trades the strategy's weights as they are. The no-trade band is `rebalance_band`, as
    without sizing.
    """
    if predictions.empty:
        raise DataError("no out-of-sample predictions: train a model first")
    symbols = sorted(predictions["symbol"].unique().tolist())
    start, end = predictions["timestamp"].min(), predictions["timestamp"].max()
    bars = bar_store.read_bars(symbols, start.to_pydatetime(), end.to_pydatetime())
    if bars.empty:
        raise DataError(f"no stored bars between {start.isoformat()} and {end.isoformat()}")
    closes = _panel(bars, "close", symbols)
    probabilities = (
        predictions.pivot(index="timestamp", columns="symbol", values="probability_up")
        .reindex(index=closes.index, columns=symbols)
        .to_numpy(dtype=np.float64)
    )
    target = strategy.target_weights(probabilities)
    if sizing is not None:
        target = sized_weights(target, probabilities, closes.to_numpy(dtype=np.float64), sizing)
    weights = pd.DataFrame(target, index=closes.index, columns=symbols)
    return backtest_weights(
        bars,
        weights,
        commission=commission,
        slippage=slippage,
        initial_cash=initial_cash,
        rebalance_band=rebalance_band,
        costs=costs,
        margin=margin,
    )


def run_strategy_backtest(
    bar_store: BarStore,
    strategy: WeightsStrategy,
    *,
    commission: CommissionSchedule,
    slippage: SlippageModel,
    initial_cash: Decimal,
    rebalance_band: float = 0.0,
    symbols: Sequence[str] | None = None,
    costs: kernels.CostModel | None = None,
    margin: kernels.MarginRules | None = None,
    leverage_limit: LeverageLimit | None = None,
    name: str | None = None,
) -> BacktestResult:
    """Backtest a rule or user strategy (bars → target weights) over the stored bars.

    The weights are checked before anything is simulated (`check_weights`; `name` names the
    strategy in its messages): a bar asking for more gross exposure than `leverage_limit` is
    refused, not scaled down, so the result is always the strategy's own.
    """
    bars = bar_store.read_bars(stored_symbols(bar_store, symbols))
    weights = check_weights(
        strategy(bars),
        set(bars["symbol"].unique()),
        source=_strategy_source(name),
        leverage_limit=leverage_limit,
    )
    return backtest_weights(
        bars,
        weights,
        commission=commission,
        slippage=slippage,
        initial_cash=initial_cash,
        rebalance_band=rebalance_band,
        costs=costs,
        margin=margin,
    )


def _strategy_source(name: str | None) -> str:
    return "strategy" if name is None else f"strategy {name}"
