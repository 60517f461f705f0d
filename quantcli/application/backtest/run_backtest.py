"""Use cases: backtest target weights (from a model or a rule) with costs on next-open fills.

The portfolio simulator (`kernels.simulate_portfolio`) does the accounting; the commission
schedule and slippage model give its per-share, minimum, bps and slippage rates, and an optional
`kernels.CostModel` / `kernels.MarginRules` switch on the other cost models and margin rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.analytics.annualization import (
    Annualization,
    elapsed_years,
    infer_annualization,
)
from quantcli.application.analytics.performance import (
    PerformanceSummary,
    drawdown_series,
    exposure,
    summarize,
)
from quantcli.application.analytics.report_analytics import (
    borrow_attribution,
    cost_attribution,
    cost_breakdown,
    monthly_returns,
    rolling_sharpe,
)
from quantcli.application.analytics.report_monte_carlo import (
    returns_monte_carlo,
    trades_monte_carlo,
)
from quantcli.application.backtest.ports import (
    FILL_REASON_LIQUIDATION,
    FILL_REASON_SAME_BAR_CLOSE,
    FILL_REASON_SIGNAL,
    BacktestReport,
)
from quantcli.application.backtest.report_tearsheet import TearsheetInputs, build_tearsheet
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

TRADE_COLUMNS = ("timestamp", "symbol", "side", "quantity", "price", "commission")
FILL_COLUMNS = (*TRADE_COLUMNS, "slippage", "impact", "reason")
ROUND_TRIP_COLUMNS = (
    "symbol",
    "entry_timestamp",
    "entry_price",
    "exit_timestamp",
    "exit_price",
    "quantity",
    "pnl",
)
FILL_REASONS = {
    kernels.simulator.REASON_SIGNAL: FILL_REASON_SIGNAL,
    kernels.simulator.REASON_LIQUIDATION: FILL_REASON_LIQUIDATION,
}
# Daily volatility for square-root impact: std of the last bars' close-to-close returns.
VOLATILITY_WINDOW = 20
# CostModel fields that `commission` and `slippage` set; a CostModel passed alongside must
# leave them at zero, so that one rate never silently overrides another.
_SCHEDULE_FIELDS = ("commission_per_share", "commission_minimum", "commission_bps", "slippage_bps")


@attrs.frozen
class SimulationCounts:
    """What the margin rules did: margin calls (each liquidates the book), orders cut, rejected."""

    margin_calls: int = 0
    orders_cut: int = 0
    orders_rejected: int = 0

    def as_dict(self) -> dict[str, float]:
        return {name: float(value) for name, value in attrs.asdict(self).items()}


@attrs.frozen
class BacktestResult:
    equity: pd.Series
    positions: pd.DataFrame  # timestamps × symbols, shares held after each bar's open
    trades: pd.DataFrame  # TRADE_COLUMNS, one row per fill
    summary: PerformanceSummary
    # From the simulator; None or empty when the result was built otherwise.
    fills: pd.DataFrame | None = None  # FILL_COLUMNS: trades plus slippage, impact and reason
    round_trips: pd.DataFrame | None = None  # ROUND_TRIP_COLUMNS, first in first out
    costs: Mapping[str, float] | None = None  # commission, slippage, impact, borrow totals
    counts: SimulationCounts = SimulationCounts()
    borrow_by_symbol: Mapping[str, float] | None = None  # the borrow total split by symbol
    initial_equity: float | None = None  # the starting cash; None: the first equity point
    # What the summary was annualized with; None: inferred from the equity's index when needed.
    annualization: Annualization | None = None

    @property
    def annualized_with(self) -> Annualization:
        """The summary's annualization, else the one inferred from the equity's timestamps."""
        if self.annualization is not None:
            return self.annualization
        index = self.equity.index
        return infer_annualization(index if isinstance(index, pd.DatetimeIndex) else [])

    closes: pd.DataFrame | None = None  # timestamps × symbols: the closes positions are marked at

    def report(
        self,
        title: str,
        configuration: Mapping[str, Any],
        *,
        rolling_window: int | None = None,
        monte_carlo_paths: int = 1000,
        monte_carlo_seed: int = 0,
        slippage_bps: float | None = None,
        extra_costs: Mapping[str, float] | None = None,
        lookahead_warning: str | None = None,
        benchmark_closes: pd.Series | None = None,
        currency: str = "USD",
        model_version: str | None = None,
    ) -> BacktestReport:
        """The report: metrics, charts' data, monthly returns, costs, Monte Carlo and fills.

        Annualized figures (metrics, rolling Sharpe, the returns bootstrap's Sharpe) use
        `annualized_with`; metrics carry it as "periods_per_year". The rolling Sharpe window is
        `rolling_window` bars, None a quarter of a year of bars (63 for daily equities).
        Two seeded Monte Carlo bootstraps (`monte_carlo_paths` = 0 leaves both out): stationary
        on the daily returns, and on the round trips' P&Ls when the result has round trips (with
        too few, the section says so; see `report_monte_carlo`). Costs come from the simulator's
        totals when the result has them; otherwise slippage cost needs its rate:
        `slippage_bps`, else a numeric ``configuration["slippage_bps"]``, else it is left out.
        With fills, the report has them and their costs per symbol; fills at the close of the
        bar that decided them set a look-ahead warning unless `lookahead_warning` is given.
        The tearsheet (`report_tearsheet`) compares the equity with `benchmark_closes` (one
        symbol's closes, named by the symbol) or, without them, an equal-weight buy-and-hold of
        the backtest's closes; alpha, beta and the benchmark's total return join the metrics.
        """
        equity = self.equity.to_numpy(dtype=np.float64)
        periods = self.annualized_with.periods_per_year
        window = rolling_window if rolling_window is not None else max(2, round(periods / 4))
        metrics: dict[str, float] = dict(self.summary.as_dict())
        metrics["periods_per_year"] = periods
        if self.costs is not None:
            metrics.update(self.counts.as_dict())
        if self.summary.exposure is None and not self.positions.empty:
            metrics["exposure"] = exposure(self.positions.to_numpy(dtype=np.float64))
        timestamped = isinstance(self.equity.index, pd.DatetimeIndex)
        monte_carlo: dict[str, Any] = {}
        trade_monte_carlo: dict[str, Any] = {}
        if monte_carlo_paths > 0:
            monte_carlo = returns_monte_carlo(
                equity, n_paths=monte_carlo_paths, seed=monte_carlo_seed, periods_per_year=periods
            )
            if self.round_trips is not None and len(equity):
                trade_monte_carlo = trades_monte_carlo(
                    self.round_trips["pnl"].to_numpy(dtype=np.float64),
                    initial_equity=(
                        self.initial_equity if self.initial_equity is not None else equity[0]
                    ),
                    n_paths=monte_carlo_paths,
                    seed=monte_carlo_seed,
                )
        tearsheet = None
        if timestamped and len(equity):
            tearsheet, versus_benchmark = build_tearsheet(
                TearsheetInputs(
                    equity=self.equity,
                    initial_equity=(
                        self.initial_equity if self.initial_equity is not None else equity[0]
                    ),
                    positions=None if self.positions.empty else self.positions,
                    closes=self.closes,
                    fills=self.fills,
                    round_trips=self.round_trips,
                    borrow_by_symbol=self.borrow_by_symbol,
                    benchmark_closes=benchmark_closes,
                ),
                rolling_window=window,
                periods_per_year=periods,
            )
            metrics.update(versus_benchmark)
        return BacktestReport(
            title=title,
            equity=self.equity,
            drawdown=pd.Series(drawdown_series(equity), index=self.equity.index, name="drawdown"),
            metrics=metrics,
            trades=self.trades,
            configuration=configuration,
            monthly_returns=monthly_returns(self.equity) if timestamped else None,
            rolling_sharpe=(
                rolling_sharpe(self.equity, window, periods_per_year=periods)
                if timestamped and len(equity) > window
                else None
            ),
            cost_breakdown=self._cost_breakdown(slippage_bps, configuration, extra_costs),
            monte_carlo=monte_carlo,
            trade_monte_carlo=trade_monte_carlo,
            lookahead_warning=lookahead_warning or self._same_bar_warning(),
            fills=self.fills,
            cost_attribution=(
                cost_attribution(self.fills, self.borrow_by_symbol)
                if self.fills is not None
                else None
            ),
            tearsheet=tearsheet,
            model_version=model_version,
            currency=currency,
        )

    def _same_bar_warning(self) -> str | None:
        if self.fills is None:
            return None
        same_bar = int((self.fills["reason"] == FILL_REASON_SAME_BAR_CLOSE).sum())
        if not same_bar:
            return None
        return (
            f"{same_bar:,} fill{'' if same_bar == 1 else 's'} traded at the close of the bar "
            "whose close decided them (same-bar close)."
        )

    def _cost_breakdown(
        self,
        slippage_bps: float | None,
        configuration: Mapping[str, Any],
        extra_costs: Mapping[str, float] | None,
    ) -> dict[str, float]:
        if self.costs is None:
            rate = _slippage_bps(slippage_bps, configuration)
            return cost_breakdown(self.trades, slippage_bps=rate, extra=extra_costs)
        # The simulator's totals include spread and volume slippage, which no single rate gives.
        simulated = {name: value for name, value in self.costs.items() if name != "commission"}
        return cost_breakdown(self.trades, extra={**simulated, **(extra_costs or {})})


def _slippage_bps(given: float | None, configuration: Mapping[str, Any]) -> float | None:
    if given is not None:
        return float(given)
    try:
        rate = float(configuration["slippage_bps"])
    except (KeyError, TypeError, ValueError):
        return None
    return rate if 0.0 <= rate < 10_000.0 else None


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
