"""The two Monte Carlo sections of a backtest report: a bootstrap of the period returns and one
of the round-trip P&Ls, each summarized at the 5th, 50th and 95th percentiles with the value of
every path kept for the histograms."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from quantcli.application.analytics.monte_carlo import bootstrap_returns, bootstrap_trades
from quantcli.application.analytics.performance import TRADING_DAYS_PER_YEAR, simple_returns
from quantcli.domain.errors import ValidationError

# lower / upper of each metric are its 5th and 95th percentiles, median the 50th.
REPORT_CONFIDENCE_LEVEL = 0.90
# Below this many round trips a trade bootstrap redraws a handful of numbers: noise, not a
# distribution, so the report says so instead of showing one.
MIN_ROUND_TRIPS = 10


def returns_monte_carlo(
    equity: npt.ArrayLike,
    *,
    n_paths: int,
    seed: int,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> dict[str, Any]:
    """Stationary bootstrap of the equity curve's simple returns, Sharpe annualized with
    `periods_per_year`; {} under 3 equity points."""
    curve = np.asarray(equity, dtype=np.float64)
    if curve.size < 3:
        return {}
    return bootstrap_returns(
        simple_returns(curve),
        n_paths=n_paths,
        method="stationary",
        confidence_level=REPORT_CONFIDENCE_LEVEL,
        periods_per_year=periods_per_year,
        seed=seed,
    ).as_dict(distributions=True)


def trades_monte_carlo(
    trade_pnl: npt.ArrayLike,
    *,
    initial_equity: float,
    n_paths: int,
    seed: int,
    min_round_trips: int = MIN_ROUND_TRIPS,
) -> dict[str, Any]:
    """Bootstrap of the round-trip P&Ls (see `bootstrap_trades`), or, with fewer than
    `min_round_trips` of them, {"method": "trades", "n_periods": n, "skipped": why}."""
    pnl = np.asarray(trade_pnl, dtype=np.float64)
    if min_round_trips < 2:
        raise ValidationError(f"min_round_trips {min_round_trips} must be at least 2")
    if pnl.size < min_round_trips:
        return {
            "method": "trades",
            "n_periods": int(pnl.size),
            "skipped": (
                f"only {pnl.size} round trip{'' if pnl.size == 1 else 's'}; a trade bootstrap "
                f"needs at least {min_round_trips} to say more than noise"
            ),
        }
    return bootstrap_trades(
        pnl,
        initial_equity=initial_equity,
        n_paths=n_paths,
        confidence_level=REPORT_CONFIDENCE_LEVEL,
        seed=seed,
    ).as_dict(distributions=True)
