"""The portfolio backtest simulator: many symbols, broker-identical order matching, costs, margin.

Conventions (the Rust module `kernels/src/simulator` implements them; the Decimal mirrors of the
per-fill formulas live in `quantcli.domain.cost_models` and `quantcli.domain.margin`):

- Panels are (n_bars, n_symbols) float64. A NaN open means the symbol has no bar: high, low,
  close and volume must then be NaN too. Prices of a bar are positive and finite.
- Cash and positions are float64 summed in a fixed order, so a run is bit-for-bit repeatable;
  they are not decimal-exact.
- A signal decided at bar t's close trades from bar t+1's open. With `fill_at_close=True` it
  trades at bar t's close instead (look-ahead; `flags.same_bar_fills` says so): a close fill is
  matched as if the bar were a single price, the close.
- Orders follow `quantcli.adapters.brokers.simulated.SimulatedBroker`: MARKET fills at the open;
  LIMIT at the open if at or better, else at the limit when the bar trades through it; STOP
  triggers at the open on a gap, else at the stop; STOP_LIMIT fills at the trigger when that
  satisfies the limit, else works as a LIMIT from the next bar; DAY and IOC end after the first
  bar with a bar for their symbol, GTC works until filled. Orders match in submission order.
- Targets (weights or shares) become one MARKET DAY order per symbol with a bar and a finite
  target; weights size trunc(w x equity_at_open / open) whole shares (toward zero), where
  equity_at_open values symbols without a bar at their last close. A same-side resize worth less
  than `rebalance_band` x equity is skipped; opening, closing and flipping always trade. While
  equity_at_open is not positive, weights size nothing and every position is held (a paper
  session's risk check refuses every order then).
- Costs: see `CostModel`. Slippage and temporary impact move MARKET and STOP fills (and
  liquidations) against the trader; LIMIT and STOP_LIMIT fills get their rule price, as at the
  broker. Permanent impact follows every fill.
- Margin: see `MarginRules`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from quantcli import _kernels
from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderType, TimeInForce
from quantcli.kernels import _inputs as inputs
from quantcli.kernels._inputs import FloatArray

IntArray: TypeAlias = npt.NDArray[np.int64]

ORDER_TYPE_CODES: dict[OrderType, int] = {
    OrderType.MARKET: 0,
    OrderType.LIMIT: 1,
    OrderType.STOP: 2,
    OrderType.STOP_LIMIT: 3,
}
TIME_IN_FORCE_CODES: dict[TimeInForce, int] = {
    TimeInForce.DAY: 0,
    TimeInForce.GTC: 1,
    TimeInForce.IOC: 2,
}
REASON_SIGNAL = 0
REASON_LIQUIDATION = 1


@attrs.frozen
class CostModel:
    """Per-fill costs; all rates >= 0. Q is the fill's shares, V the bar's volume, p = Q / V.

    commission = min(max(rate x Q, commission_minimum), commission_maximum_fraction x notional)
    + commission_bps / 1e4 x notional, notional = Q x fill price; rate is commission_per_share,
    or with `commission_tiers` ((first monthly share volume, rate), ...; the first starts at 0)
    the rate of the last tier at or below the shares already traded this month (IBKR tiered:
    a fill is priced whole by the month's volume before it; `month` resets the count).
    Slippage fraction = slippage_bps / 1e4 + spread_bps / 2e4 (half the spread) + volume_slippage
    x p. Impact fraction = square_root_impact x volatility x sqrt(p) + temporary_impact x p
    (Almgren-Chriss eta). A MARKET or STOP fill is at reference x (1 ± (slippage + impact)).
    permanent_impact (Almgren-Chriss gamma) multiplies every later price of the symbol by
    (1 ± gamma x p) after each fill: from the bar's close on for fills at the open, from the next
    bar for fills at the close; orders in the same phase see the bar as it opened. This keeps
    the impact as a cumulative factor on prices instead of an additive price path.
    participation_rate caps the shares one symbol trades per bar at floor(rate x V); the rest of
    an order keeps working as its time in force allows (a DAY order's remainder is cancelled).
    Liquidations ignore the cap. borrow_rate is annual, charged at every close on the market
    value of shorts held then, divided by bars_per_year.
    """

    commission_per_share: float = 0.0
    commission_minimum: float = 0.0
    commission_maximum_fraction: float = math.inf
    commission_bps: float = 0.0
    commission_tiers: tuple[tuple[float, float], ...] = ()
    slippage_bps: float = 0.0
    spread_bps: float = 0.0
    volume_slippage: float = 0.0
    square_root_impact: float = 0.0
    temporary_impact: float = 0.0
    permanent_impact: float = 0.0
    participation_rate: float = math.inf
    borrow_rate: float = 0.0
    bars_per_year: float = 252.0


@attrs.frozen
class MarginRules:
    """Leverage limit at order time and the maintenance-margin check at each close.

    An order that grows its symbol's absolute position is cut to the largest whole-share
    position that keeps gross exposure <= limit x equity (both at the phase's marks: the open, or
    the close for close fills), where limit = min(max_leverage, 1 / initial_margin); the rest of
    a cut order is cancelled, and an order that nothing of fits is rejected. Orders that shrink
    a position always pass. When equity < maintenance_margin x gross exposure at a close, the
    next open cancels every working order, liquidates every position (reason LIQUIDATION; a
    symbol without a bar is liquidated at its next bar) and drops the signal that would have
    traded at that open. Zero margins and infinite leverage turn the checks off.
    """

    max_leverage: float = math.inf
    initial_margin: float = 0.0
    maintenance_margin: float = 0.0


@attrs.frozen(eq=False)  # array fields have no single truth value for ==
class Orders:
    """An order list, one row per order: decided at `bar`'s close, working from the next bar.

    quantity is signed shares; order_type and time_in_force hold ORDER_TYPE_CODES and
    TIME_IN_FORCE_CODES values; limit_price and stop_price may be NaN where the type needs none.
    """

    bar: npt.ArrayLike
    symbol: npt.ArrayLike
    quantity: npt.ArrayLike
    order_type: npt.ArrayLike
    limit_price: npt.ArrayLike
    stop_price: npt.ArrayLike
    time_in_force: npt.ArrayLike


class Fills(NamedTuple):
    """Every fill in order, one array per field; quantity is signed, costs are in cash."""

    bar: IntArray
    symbol: IntArray
    quantity: FloatArray
    price: FloatArray
    commission: FloatArray
    slippage: FloatArray
    impact: FloatArray
    reason: IntArray
    order: IntArray  # row in the order list, -1 for targets and liquidations


class CostTotals(NamedTuple):
    commission: float
    slippage: float
    impact: float
    borrow: float


class SimulationFlags(NamedTuple):
    """What a report should warn about."""

    same_bar_fills: bool
    margin_calls: int
    orders_cut: int
    orders_rejected: int


class PortfolioSimulation(NamedTuple):
    """equity and cash at each close (n_bars,), positions after each bar (n_bars, n_symbols)."""

    equity: FloatArray
    cash: FloatArray
    positions: FloatArray
    fills: Fills
    costs: CostTotals
    flags: SimulationFlags


def simulate_portfolio(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    *,
    initial_cash: float,
    target_weights: npt.ArrayLike | None = None,
    target_positions: npt.ArrayLike | None = None,
    orders: Orders | None = None,
    costs: CostModel | None = None,
    margin: MarginRules | None = None,
    rebalance_band: float = 0.0,
    fill_at_close: bool = False,
    volatility: npt.ArrayLike | None = None,
    month: npt.ArrayLike | None = None,
) -> PortfolioSimulation:
    """Backtest one of target weights, target positions (shares) or an order list; see the module.

    volatility (daily, for square-root impact) is a scalar, (n_symbols,) or a panel; month is
    (n_bars,) ints for tiered commissions. Bad input raises ValidationError naming it.
    """
    costs = CostModel() if costs is None else costs
    margin = MarginRules() if margin is None else margin
    bars = {
        name: inputs.panel(name, values)
        for name, values in (
            ("open", open),
            ("high", high),
            ("low", low),
            ("close", close),
            ("volume", volume),
        )
    }
    shape = bars["open"].shape
    for name, panel in bars.items():
        _same_shape(name, panel.shape, shape)
    given = [
        name
        for name, value in (
            ("target_weights", target_weights),
            ("target_positions", target_positions),
            ("orders", orders),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ValidationError(
            "give exactly one of target_weights, target_positions and orders, "
            f"got {given or 'none'}"
        )
    weights = None if target_weights is None else inputs.panel("target_weights", target_weights)
    positions = (
        None if target_positions is None else inputs.panel("target_positions", target_positions)
    )
    for name, targets in (("target_weights", weights), ("target_positions", positions)):
        if targets is not None:
            _same_shape(name, targets.shape, shape)
    if costs.square_root_impact > 0 and volatility is None:
        raise ValidationError("volatility is required when costs.square_root_impact > 0")
    sigma = _broadcast("volatility", 0.0 if volatility is None else volatility, shape)
    months = np.zeros(shape[0], np.int64) if month is None else _ints("month", month)
    tier_volumes, tier_rates = _tiers(costs.commission_tiers)
    with inputs.kernel_errors():
        equity, cash, held, fills, totals, flags = _kernels.simulate_portfolio(
            bars["open"],
            bars["high"],
            bars["low"],
            bars["close"],
            bars["volume"],
            sigma,
            months,
            target_weights=weights,
            target_positions=positions,
            orders=None if orders is None else _order_arrays(orders),
            initial_cash=inputs.real("initial_cash", initial_cash),
            rebalance_band=inputs.real("rebalance_band", rebalance_band),
            fill_at_close=bool(fill_at_close),
            commission_per_share=_rate("commission_per_share", costs.commission_per_share),
            commission_minimum=_rate("commission_minimum", costs.commission_minimum),
            commission_maximum_fraction=_rate(
                "commission_maximum_fraction", costs.commission_maximum_fraction
            ),
            commission_bps=_rate("commission_bps", costs.commission_bps),
            tier_volumes=tier_volumes,
            tier_rates=tier_rates,
            slippage_bps=_rate("slippage_bps", costs.slippage_bps),
            spread_bps=_rate("spread_bps", costs.spread_bps),
            volume_slippage=_rate("volume_slippage", costs.volume_slippage),
            square_root_impact=_rate("square_root_impact", costs.square_root_impact),
            temporary_impact=_rate("temporary_impact", costs.temporary_impact),
            permanent_impact=_rate("permanent_impact", costs.permanent_impact),
            participation_rate=_rate("participation_rate", costs.participation_rate),
            borrow_rate=_rate("borrow_rate", costs.borrow_rate),
            bars_per_year=_rate("bars_per_year", costs.bars_per_year),
            max_leverage=_rate("max_leverage", margin.max_leverage),
            initial_margin=_rate("initial_margin", margin.initial_margin),
            maintenance_margin=_rate("maintenance_margin", margin.maintenance_margin),
        )
    return PortfolioSimulation(
        equity=equity,
        cash=cash,
        positions=held,
        fills=Fills(*fills),
        costs=CostTotals(*totals),
        flags=SimulationFlags(bool(fill_at_close), *flags),
    )


def _same_shape(name: str, got: tuple[int, ...], want: tuple[int, ...]) -> None:
    if got != want:
        raise ValidationError(f"{name} has shape {got}, but open has shape {want}")


def _rate(name: str, value: float) -> float:
    return inputs.real(name, value)


def _ints(name: str, values: npt.ArrayLike) -> IntArray:
    array = np.asarray(values)
    if array.ndim == 1 and array.size == 0:
        return np.zeros(0, np.int64)
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise ValidationError(
            f"{name} must be a 1-D array of ints, got {array.dtype} {array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def _broadcast(name: str, values: npt.ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    array = inputs.float_array(name, values, ndim=np.ndim(values))
    try:
        return np.ascontiguousarray(np.broadcast_to(array, shape), dtype=np.float64)
    except ValueError as error:
        raise ValidationError(f"{name} of shape {array.shape} does not fit {shape}") from error


def _tiers(tiers: Sequence[tuple[float, float]]) -> tuple[FloatArray, FloatArray]:
    rows = [
        (inputs.real("commission_tiers", v), inputs.real("commission_tiers", r)) for v, r in tiers
    ]
    starts = np.array([v for v, _ in rows], dtype=np.float64)
    rates = np.array([r for _, r in rows], dtype=np.float64)
    return starts, rates


def _order_arrays(
    orders: Orders,
) -> tuple[IntArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray, IntArray]:
    return (
        _ints("orders.bar", orders.bar),
        _ints("orders.symbol", orders.symbol),
        inputs.series("orders.quantity", orders.quantity),
        _ints("orders.order_type", orders.order_type),
        inputs.series("orders.limit_price", orders.limit_price),
        inputs.series("orders.stop_price", orders.stop_price),
        _ints("orders.time_in_force", orders.time_in_force),
    )
