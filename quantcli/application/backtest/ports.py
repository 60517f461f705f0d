"""Backtest ports: the report writer and the report records it writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
import pandas as pd

# The `reason` of a fill in BacktestReport.fills: what made it trade.
FILL_REASON_SIGNAL = "signal"  # the strategy's target, traded at the next bar's open
FILL_REASON_LIQUIDATION = "liquidation"  # forced by a margin call
FILL_REASON_SAME_BAR_CLOSE = "same_bar_close"  # traded at the close that decided it: look-ahead


@attrs.frozen
class Tearsheet:
    """The tearsheet sections of a backtest report (see `report_tearsheet`)."""

    returns: pd.Series  # simple return of each bar from the second, indexed by UTC timestamp
    drawdowns: pd.DataFrame  # the worst drawdowns: start, trough, recovery, depth, length_bars
    benchmark: pd.Series | None = None  # benchmark equity on the strategy's bars
    benchmark_name: str = ""  # what the benchmark is, e.g. "buy-and-hold of SPY"
    rolling_window: int = 0  # bars in each rolling statistic's window
    rolling_volatility: pd.Series | None = None  # annualised, fractions
    rolling_beta: pd.Series | None = None  # against the benchmark
    exposure: pd.DataFrame | None = None  # long, short (< 0), gross, net: fractions of equity
    pnl_by_symbol: pd.Series | None = None  # currency, largest first
    # round_trips, average_holding_bars, average/largest win/loss (currency), longest streaks.
    trade_statistics: Mapping[str, float] = attrs.field(factory=dict)


@attrs.frozen
class BacktestReport:
    """Everything a report shows about one backtest."""

    title: str
    equity: pd.Series  # indexed by UTC timestamp
    drawdown: pd.Series  # fraction below the running peak, <= 0
    metrics: Mapping[str, float]
    trades: pd.DataFrame  # timestamp, symbol, quantity, price, commission
    configuration: Mapping[str, Any]
    # Optional sections; a writer leaves out a section that is None or empty.
    monthly_returns: pd.DataFrame | None = None  # years × Jan..Dec + "Year", fractions
    rolling_sharpe: pd.Series | None = None  # annualized, indexed by UTC timestamp
    cost_breakdown: Mapping[str, float] = attrs.field(factory=dict)  # cost name -> currency
    # MonteCarloResult.as_dict(distributions=True): settings, "metrics": {metric: {point_estimate,
    # lower, median, upper, ...}} and optionally "distributions": {metric: one value per path}.
    monte_carlo: Mapping[str, Any] = attrs.field(factory=dict)  # bootstrap of period returns
    # The same for the bootstrap of round-trip P&Ls, or {"method": "trades", "n_periods": n,
    # "skipped": why} when there are too few round trips for it to mean anything.
    trade_monte_carlo: Mapping[str, Any] = attrs.field(factory=dict)
    lookahead_warning: str | None = None  # set when results may have seen the future
    # Every fill: timestamp, symbol, side, quantity, price, commission, slippage, impact, reason
    # (a FILL_REASON_* value). When given, a writer shows it in place of `trades`.
    fills: pd.DataFrame | None = None
    # One row per symbol (index) and a last ALL_SYMBOLS row: n_fills, traded_notional,
    # commission, slippage, impact, borrow, total_costs, costs_bps_of_notional.
    cost_attribution: pd.DataFrame | None = None
    tearsheet: Tearsheet | None = None
    model_version: str | None = None  # the model that made the signals, when one did
    currency: str = "USD"  # of the equity, P&L and costs


@attrs.frozen
class WalkForwardRun:
    """One walk-forward run (one symbol, say): its stitched out-of-sample curve and windows."""

    name: str
    equity: pd.Series  # out-of-sample equity after each test bar, indexed by UTC timestamp
    drawdown: pd.Series  # fraction below the running peak (the initial equity counts), <= 0
    # One row per window: window, train_start, train_end, test_start, test_end, the chosen
    # parameters (one column each), in_sample_sharpe, oos_sharpe, oos_return,
    # oos_max_drawdown, efficiency_ratio.
    windows: pd.DataFrame
    metrics: Mapping[str, float]  # of the stitched curve, plus the Sharpe efficiency ratio


@attrs.frozen
class WalkForwardReport:
    """Everything a report shows about a walk-forward analysis."""

    title: str
    runs: Sequence[WalkForwardRun]
    configuration: Mapping[str, Any]
    lookahead_warning: str | None = None  # set when results may have seen the future


class ReportWriter(Protocol):
    def write(self, report: BacktestReport, path: Path) -> Path:
        """Write the report (creating parent folders) and return its path."""
        ...

    def write_walk_forward(self, report: WalkForwardReport, path: Path) -> Path:
        """Write the walk-forward report (creating parent folders) and return its path."""
        ...
