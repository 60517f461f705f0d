//! Binding for the target-weight backtest kernel.
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::backtest::{simulate_target_weights as simulate, Costs, Panel};

type Float1<'py> = Bound<'py, PyArray1<f64>>;
/// `(equity, cash, positions, traded_notional, commission, trade_count)`.
type Histories<'py> = (
    Float1<'py>,
    Float1<'py>,
    Bound<'py, PyArray2<f64>>,
    Float1<'py>,
    Float1<'py>,
    u64,
);

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate_target_weights, m)?)?;
    Ok(())
}

/// Runs the target-weight backtest with the GIL released; see
/// `quantcli.kernels.simulate_target_weights`.
#[pyfunction]
#[pyo3(signature = (
    open, close, target_weights, *,
    initial_cash, commission_per_share, commission_minimum, commission_bps, slippage_bps,
    rebalance_band = 0.0
))]
#[allow(clippy::too_many_arguments)] // mirrors the Python signature, keyword by keyword
pub fn simulate_target_weights<'py>(
    py: Python<'py>,
    open: PyReadonlyArray2<'py, f64>,
    close: PyReadonlyArray2<'py, f64>,
    target_weights: PyReadonlyArray2<'py, f64>,
    initial_cash: f64,
    commission_per_share: f64,
    commission_minimum: f64,
    commission_bps: f64,
    slippage_bps: f64,
    rebalance_band: f64,
) -> PyResult<Histories<'py>> {
    let [n_bars, n_symbols] = [open.shape()[0], open.shape()[1]];
    for (name, array) in [("close", &close), ("target_weights", &target_weights)] {
        if array.shape() != open.shape() {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {:?}, open has shape {:?}; they must match",
                array.shape(),
                open.shape()
            )));
        }
    }
    let panel = Panel {
        n_bars,
        n_symbols,
        open: contiguous("open", &open)?,
        close: contiguous("close", &close)?,
        target_weights: contiguous("target_weights", &target_weights)?,
    };
    let costs = Costs {
        commission_per_share,
        commission_minimum,
        commission_bps,
        slippage_bps,
        rebalance_band,
    };
    let sim = py.detach(|| simulate(&panel, initial_cash, &costs))?;
    let positions = Array2::from_shape_vec((n_bars, n_symbols), sim.positions)
        .map_err(|e| PyValueError::new_err(format!("positions: {e}")))?;
    Ok((
        PyArray1::from_vec(py, sim.equity),
        PyArray1::from_vec(py, sim.cash),
        PyArray2::from_owned_array(py, positions),
        PyArray1::from_vec(py, sim.traded_notional),
        PyArray1::from_vec(py, sim.commission),
        sim.trade_count,
    ))
}
