"""What a backtest returns: the equity, positions, trades and fills frames, the simulator's
costs and counts, and the report built from them (`BacktestResult.report`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from quantcli import kernels
from quantcli.application.analytics.annualization import (
    Annualization,
    infer_annualization,
)
from quantcli.application.analytics.performance import (
    PerformanceSummary,
    drawdown_series,
    exposure,
)
from quantcli.application.analytics.report_analytics import (
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
