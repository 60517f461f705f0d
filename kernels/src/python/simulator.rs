//! Binding for the portfolio backtest simulator.
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::simulator::{
    simulate_portfolio as simulate, Bars, CostModel, MarginRules, OrderList, RunOptions, Signal,
};

type Float1<'py> = Bound<'py, PyArray1<f64>>;
type Int1<'py> = Bound<'py, PyArray1<i64>>;
type Ints<'py> = PyReadonlyArray1<'py, i64>;
type Floats<'py> = PyReadonlyArray1<'py, f64>;
/// `(bar, symbol, quantity, price, commission, slippage, impact, reason, order)`.
type FillArrays<'py> = (
    Int1<'py>,
    Int1<'py>,
    Float1<'py>,
    Float1<'py>,
    Float1<'py>,
    Float1<'py>,
    Float1<'py>,
    Int1<'py>,
    Int1<'py>,
);
/// `(equity, cash, positions, fills, (commission, slippage, impact, borrow),
/// (margin_calls, orders_cut, orders_rejected))`.
type Run<'py> = (
    Float1<'py>,
    Float1<'py>,
    Bound<'py, PyArray2<f64>>,
    FillArrays<'py>,
    (f64, f64, f64, f64),
    (u64, u64, u64),
);
/// `(bar, symbol, quantity, order_type, limit_price, stop_price, time_in_force)`.
type OrderArrays<'py> = (
    Ints<'py>,
    Ints<'py>,
    Floats<'py>,
    Ints<'py>,
    Floats<'py>,
    Floats<'py>,
    Ints<'py>,
);

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate_portfolio, m)?)?;
    Ok(())
}

/// Runs the portfolio simulator with the GIL released; see `quantcli.kernels.simulate_portfolio`.
/// Exactly one of `target_weights`, `target_positions` and `orders` is given.
#[pyfunction]
#[pyo3(signature = (
    open, high, low, close, volume, volatility, month, *,
    target_weights, target_positions, orders,
    initial_cash, rebalance_band, fill_at_close,
    commission_per_share, commission_minimum, commission_maximum_fraction, commission_bps,
    tier_volumes, tier_rates, slippage_bps, spread_bps, volume_slippage, square_root_impact,
    temporary_impact, permanent_impact, participation_rate, borrow_rate, bars_per_year,
    max_leverage, initial_margin, maintenance_margin
))]
#[allow(clippy::too_many_arguments)] // mirrors the Python signature, keyword by keyword
pub fn simulate_portfolio<'py>(
    py: Python<'py>,
    open: PyReadonlyArray2<'py, f64>,
    high: PyReadonlyArray2<'py, f64>,
    low: PyReadonlyArray2<'py, f64>,
    close: PyReadonlyArray2<'py, f64>,
    volume: PyReadonlyArray2<'py, f64>,
    volatility: PyReadonlyArray2<'py, f64>,
    month: Ints<'py>,
    target_weights: Option<PyReadonlyArray2<'py, f64>>,
    target_positions: Option<PyReadonlyArray2<'py, f64>>,
    orders: Option<OrderArrays<'py>>,
    initial_cash: f64,
    rebalance_band: f64,
    fill_at_close: bool,
    commission_per_share: f64,
    commission_minimum: f64,
    commission_maximum_fraction: f64,
    commission_bps: f64,
    tier_volumes: Floats<'py>,
    tier_rates: Floats<'py>,
    slippage_bps: f64,
    spread_bps: f64,
    volume_slippage: f64,
    square_root_impact: f64,
    temporary_impact: f64,
    permanent_impact: f64,
    participation_rate: f64,
    borrow_rate: f64,
    bars_per_year: f64,
    max_leverage: f64,
    initial_margin: f64,
    maintenance_margin: f64,
) -> PyResult<Run<'py>> {
    let [n_bars, n_symbols] = [open.shape()[0], open.shape()[1]];
    let mut panels = vec![
        ("high", &high),
        ("low", &low),
        ("close", &close),
        ("volume", &volume),
        ("volatility", &volatility),
    ];
    if let Some(weights) = &target_weights {
        panels.push(("target_weights", weights));
    }
    if let Some(positions) = &target_positions {
        panels.push(("target_positions", positions));
    }
    for (name, array) in &panels {
        if array.shape() != open.shape() {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {:?}, open has shape {:?}; they must match",
                array.shape(),
                open.shape()
            )));
        }
    }
    let bars = Bars {
        n_bars,
        n_symbols,
        open: contiguous("open", &open)?,
        high: contiguous("high", &high)?,
        low: contiguous("low", &low)?,
        close: contiguous("close", &close)?,
        volume: contiguous("volume", &volume)?,
        volatility: contiguous("volatility", &volatility)?,
        month: contiguous("month", &month)?,
    };
    let signal = match (&target_weights, &target_positions, &orders) {
        (Some(w), None, None) => Signal::TargetWeights(contiguous("target_weights", w)?),
        (None, Some(p), None) => Signal::TargetPositions(contiguous("target_positions", p)?),
        (None, None, Some(o)) => Signal::Orders(OrderList {
            bar: contiguous("orders.bar", &o.0)?,
            symbol: contiguous("orders.symbol", &o.1)?,
            quantity: contiguous("orders.quantity", &o.2)?,
            order_type: contiguous("orders.order_type", &o.3)?,
            limit_price: contiguous("orders.limit_price", &o.4)?,
            stop_price: contiguous("orders.stop_price", &o.5)?,
            time_in_force: contiguous("orders.time_in_force", &o.6)?,
        }),
        _ => {
            return Err(PyValueError::new_err(
                "give exactly one of target_weights, target_positions and orders",
            ))
        }
    };
    let costs = CostModel {
        commission_per_share,
        commission_minimum,
        commission_maximum_fraction,
        commission_bps,
        tier_volumes: contiguous("tier_volumes", &tier_volumes)?.to_vec(),
        tier_rates: contiguous("tier_rates", &tier_rates)?.to_vec(),
        slippage_bps,
        spread_bps,
        volume_slippage,
        square_root_impact,
        temporary_impact,
        permanent_impact,
        participation_rate,
        borrow_rate,
        bars_per_year,
    };
    let margin = MarginRules {
        max_leverage,
        initial_margin,
        maintenance_margin,
    };
    let options = RunOptions {
        initial_cash,
        rebalance_band,
        fill_at_close,
    };
    let run = py.detach(|| simulate(&bars, &signal, &costs, &margin, &options))?;
    let positions = Array2::from_shape_vec((n_bars, n_symbols), run.positions)
        .map_err(|e| PyValueError::new_err(format!("positions: {e}")))?;
    let f = run.fills;
    let fills = (
        PyArray1::from_vec(py, f.bar),
        PyArray1::from_vec(py, f.symbol),
        PyArray1::from_vec(py, f.quantity),
        PyArray1::from_vec(py, f.price),
        PyArray1::from_vec(py, f.commission),
        PyArray1::from_vec(py, f.slippage),
        PyArray1::from_vec(py, f.impact),
        PyArray1::from_vec(py, f.reason),
        PyArray1::from_vec(py, f.order),
    );
    let c = run.costs;
    let flags = run.flags;
    Ok((
        PyArray1::from_vec(py, run.equity),
        PyArray1::from_vec(py, run.cash),
        PyArray2::from_owned_array(py, positions),
        fills,
        (c.commission, c.slippage, c.impact, c.borrow),
        (flags.margin_calls, flags.orders_cut, flags.orders_rejected),
    ))
}
