"""Tables and series a backtest report shows: monthly returns, rolling Sharpe, cost breakdown
and its attribution to symbols."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from quantcli.application.analytics.performance import TRADING_DAYS_PER_YEAR
from quantcli.domain.errors import ValidationError

# The label of BacktestReport.cost_attribution's total row.
ALL_SYMBOLS = "all symbols"

ATTRIBUTION_COLUMNS = (
    "n_fills",
    "traded_notional",
    "commission",
    "slippage",
    "impact",
    "borrow",
    "total_costs",
    "costs_bps_of_notional",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEFAULT_ROLLING_WINDOW = 63  # about a quarter of trading days


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Years × months table of simple returns, plus a compounded "Year" column.

    A month's return is its last equity over the previous month's last equity, minus 1; the
    first month is measured from the first equity point. Months without data are NaN.
    Calendar months are taken in the index's time zone (UTC inside QuantCLI).
    """
    curve = _equity_series(equity)
    columns = [*MONTHS, "Year"]
    if curve.empty:
        return pd.DataFrame(columns=columns, dtype=np.float64)
    index = pd.DatetimeIndex(curve.index)
    month_end = curve.groupby([index.year, index.month]).last()
    previous = month_end.shift(1)
    previous.iloc[0] = curve.iloc[0]
    returns = month_end / previous - 1.0
    table = returns.unstack().reindex(columns=range(1, 13))
    table.columns = pd.Index(MONTHS)
    year_end = curve.groupby(index.year).last()
    year_start = year_end.shift(1)
    year_start.iloc[0] = curve.iloc[0]
    table["Year"] = year_end / year_start - 1.0
    table.index = pd.Index(table.index.astype(int), name="year")
    return table.astype(np.float64)


def rolling_sharpe(
    equity: pd.Series,
    window: int = DEFAULT_ROLLING_WINDOW,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> pd.Series:
    """Annualized Sharpe (mean / std ddof=1) of the last `window` returns at each bar.

    Indexed like the equity from its second point; NaN until `window` returns exist, 0.0 where
    the window's returns have no spread (as `performance.sharpe_ratio`).
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValidationError(f"window {window!r} must be an integer >= 2")
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValidationError(f"periods_per_year {periods_per_year} is not a positive number")
    curve = _equity_series(equity)
    returns = curve.pct_change().iloc[1:]
    rolling = returns.rolling(window, min_periods=window)
    mean, std = rolling.mean(), rolling.std(ddof=1)
    scale = returns.abs().rolling(window, min_periods=window).max().clip(lower=1.0)
    flat = std <= 1e-15 * scale
    sharpe = (mean / std.where(~flat)) * math.sqrt(periods_per_year)
    return sharpe.mask(flat & std.notna(), 0.0).rename("rolling_sharpe")


def cost_breakdown(
    trades: pd.DataFrame,
    *,
    slippage_bps: float | None = None,
    extra: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Commission, slippage (when its rate is known) and their share of the traded notional.

    `trades` has quantity, price (the fill, slippage included), commission and side
    (BUY/SELL). Fills are open × (1 ± bps / 10⁴), so a fill's slippage cost is
    quantity × price × bps / (10⁴ ± bps). `extra` entries (e.g. borrow fees from a simulator)
    are added as given and counted in the total.
    """
    quantity = _column(trades, "quantity").abs()
    price = _column(trades, "price")
    notional = float((quantity * price).sum())
    commission = float(_column(trades, "commission").sum())
    costs: dict[str, float] = {"commission": commission}
    if slippage_bps is not None:
        if not (math.isfinite(slippage_bps) and 0 <= slippage_bps < 10_000):
            raise ValidationError(f"slippage_bps {slippage_bps} is not in [0, 10000)")
        if trades.empty:
            costs["slippage"] = 0.0
        else:
            buys = trades["side"].astype(str).str.upper().eq("BUY").to_numpy()
            sign = np.where(buys, 1.0, -1.0)
            per_fill = (quantity * price).to_numpy() * slippage_bps / (1e4 + sign * slippage_bps)
            costs["slippage"] = float(per_fill.sum())
    for name, value in (extra or {}).items():
        costs[str(name)] = float(value)
    total = float(sum(costs.values()))
    costs["total_costs"] = total
    costs["traded_notional"] = notional
    costs["costs_bps_of_notional"] = total / notional * 1e4 if notional > 0 else 0.0
    return costs


def cost_attribution(
    fills: pd.DataFrame, borrow: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Costs per symbol (rows, sorted, indexed by "symbol") and a last ALL_SYMBOLS row summing them.

    `fills` has symbol, quantity, price, commission, slippage and impact (costs in currency, as
    the simulator reports them); `borrow` maps symbols to their borrow fees. Columns are
    ATTRIBUTION_COLUMNS: number of fills, traded notional (Σ |quantity| × price), each cost, their
    total and that total in bps of the traded notional (0 where nothing traded). A symbol with a
    borrow fee but no fill still gets a row.
    """
    costs = ("commission", "slippage", "impact")
    if fills.empty:
        table = pd.DataFrame(
            columns=["n_fills", "traded_notional", *costs], index=pd.Index([]), dtype=np.float64
        )
    else:
        if "symbol" not in fills.columns:
            raise ValidationError("fills has no 'symbol' column")
        per_fill = pd.DataFrame(
            {
                "symbol": fills["symbol"].astype(str),
                "n_fills": 1.0,
                "traded_notional": (
                    _column(fills, "quantity", "fills").abs() * _column(fills, "price", "fills")
                ),
                **{name: _column(fills, name, "fills") for name in costs},
            }
        )
        table = per_fill.groupby("symbol").sum()
    fees = {str(symbol): float(value) for symbol, value in (borrow or {}).items()}
    bad = [symbol for symbol, value in fees.items() if not math.isfinite(value)]
    if bad:
        raise ValidationError(f"borrow fee of {bad[0]} is {fees[bad[0]]}, not a finite number")
    extra = pd.Series(fees, dtype=np.float64)
    table = table.reindex(table.index.union(extra.index), fill_value=0.0)
    table["borrow"] = extra.reindex(table.index, fill_value=0.0)
    table = table.sort_index()
    table.loc[ALL_SYMBOLS] = table.sum(axis=0)
    table["total_costs"] = table[[*costs, "borrow"]].sum(axis=1)
    notional = table["traded_notional"]
    table["costs_bps_of_notional"] = np.where(
        notional > 0, table["total_costs"] / notional.where(notional > 0, 1.0) * 1e4, 0.0
    )
    table.index.name = "symbol"
    return table.loc[:, list(ATTRIBUTION_COLUMNS)].astype(np.float64)


def borrow_attribution(
    positions: pd.DataFrame, marks: pd.DataFrame, total: float
) -> dict[str, float]:
    """Split a total borrow fee over symbols in proportion to the short value each held.

    `positions` (shares after each bar) and `marks` (the price shorts were valued at, e.g. the
    close) are timestamps × symbols. The simulator charges rate / bars_per_year × the short
    value at each close, so each symbol's share of Σ short value is its share of the fee (the
    split is exact unless permanent impact moved the marks; the total always is). Symbols that
    never held a short get nothing; a fee with no short value behind it stays unattributed.
    """
    if not math.isfinite(total):
        raise ValidationError(f"total borrow fee {total} is not a finite number")
    held = positions.to_numpy(dtype=np.float64)
    prices = marks.reindex(index=positions.index, columns=positions.columns).ffill()
    short_value = np.where(held < 0, -held * prices.to_numpy(dtype=np.float64), 0.0)
    per_symbol = np.nansum(short_value, axis=0)
    whole = float(per_symbol.sum())
    if total == 0.0 or whole <= 0.0:
        return {}
    return {
        str(symbol): total * float(value) / whole
        for symbol, value in zip(positions.columns, per_symbol, strict=True)
        if value > 0
    }


def _equity_series(equity: pd.Series) -> pd.Series:
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise ValidationError(
            f"equity must be indexed by timestamps, got a {type(equity.index).__name__}"
        )
    values = pd.to_numeric(equity, errors="coerce").astype(np.float64)
    bad = np.flatnonzero(~(np.isfinite(values.to_numpy()) & (values.to_numpy() > 0)))
    if bad.size:
        raise ValidationError(f"equity[{bad[0]}] is {values.iloc[bad[0]]}, not positive")
    return values


def _column(trades: pd.DataFrame, name: str, frame: str = "trades") -> pd.Series:
    if trades.empty:
        return pd.Series([], dtype=np.float64)
    if name not in trades.columns:
        raise ValidationError(f"{frame} has no {name!r} column")
    return pd.to_numeric(trades[name], errors="raise").astype(np.float64)
