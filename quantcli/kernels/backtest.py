"""The target-weight backtest kernel."""

from __future__ import annotations

from typing import NamedTuple

import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray


class SimulationResult(NamedTuple):
    """Per-bar account history of `simulate_target_weights`.

    equity: cash plus holdings marked at each bar's close, shape (n_bars,).
    cash: cash after each bar's trades, shape (n_bars,).
    positions: whole shares held after each bar's opening trades, shape (n_bars, n_symbols).
    traded_notional: sum of |shares| x fill price traded at each bar's open, shape (n_bars,).
    commission: commission paid at each bar's open, shape (n_bars,).
    trade_count: fills over the whole run.
    """

    equity: FloatArray
    cash: FloatArray
    positions: FloatArray
    traded_notional: FloatArray
    commission: FloatArray
    trade_count: int


def simulate_target_weights(
    open: npt.ArrayLike,
    close: npt.ArrayLike,
    target_weights: npt.ArrayLike,
    *,
    initial_cash: float,
    commission_per_share: float,
    commission_minimum: float,
    commission_bps: float,
    slippage_bps: float,
    rebalance_band: float = 0.0,
) -> SimulationResult:
    """Backtest target weights over (n_bars, n_symbols) panels, trading whole shares.

    Weights set at bar t's close trade at bar t+1's open; NaN weight means hold. At each open,
    target shares = trunc(w x equity_at_open / open), filled at open x (1 ± slippage_bps / 1e4)
    and charged max(per_share x shares, minimum) + bps / 1e4 x shares x fill price. Equity marks
    holdings at the close. A NaN open or close counts as the symbol's last finite close (0 before
    its first); a NaN open also skips that symbol's trade. A resize that keeps a position's side
    and is worth less than `rebalance_band` x equity_at_open is skipped (opening, closing and
    flipping always trade). Prices must be positive or NaN, weights finite or NaN, costs and the
    band finite and >= 0.
    """
    open_prices = inputs.panel("open", open)
    close_prices = inputs.panel("close", close)
    weights = inputs.panel("target_weights", target_weights)
    for name, panel in (("close", close_prices), ("target_weights", weights)):
        if panel.shape != open_prices.shape:
            raise ValidationError(
                f"{name} has shape {panel.shape}, but open has shape {open_prices.shape}"
            )
    initial_cash = inputs.real("initial_cash", initial_cash)
    commission_per_share = inputs.real("commission_per_share", commission_per_share)
    commission_minimum = inputs.real("commission_minimum", commission_minimum)
    commission_bps = inputs.real("commission_bps", commission_bps)
    slippage_bps = inputs.real("slippage_bps", slippage_bps)
    rebalance_band = inputs.real("rebalance_band", rebalance_band)
    with inputs.kernel_errors():
        equity, cash, positions, notional, commission, trades = _kernels.simulate_target_weights(
            open_prices,
            close_prices,
            weights,
            initial_cash=initial_cash,
            commission_per_share=commission_per_share,
            commission_minimum=commission_minimum,
            commission_bps=commission_bps,
            slippage_bps=slippage_bps,
            rebalance_band=rebalance_band,
        )
    return SimulationResult(equity, cash, positions, notional, commission, trades)
