//! Bindings for the indicator kernels (`float64` 1-D in, `float64` 1-D of the same length out).
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::contiguous;
use crate::error::KernelError;

type Kernel = fn(&[f64], usize) -> Result<Vec<f64>, KernelError>;

/// Runs `kernel` on `values` with the GIL released.
fn run<'py>(
    py: Python<'py>,
    values: &PyReadonlyArray1<'py, f64>,
    length: usize,
    kernel: Kernel,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let values = contiguous("values", values)?;
    let out = py.detach(|| kernel(values, length))?;
    Ok(PyArray1::from_vec(py, out))
}

/// Simple moving average; see `quantcli.kernels.sma`.
#[pyfunction]
pub fn sma<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, &values, period, crate::sma::sma)
}

/// TA-Lib-seeded exponential moving average; see `quantcli.kernels.ema`.
#[pyfunction]
pub fn ema<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, &values, period, crate::ema::ema)
}

/// Wilder's RSI as TA-Lib computes it; see `quantcli.kernels.rsi`.
#[pyfunction]
pub fn rsi<'py>(
    py: Python<'py>,
    close: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let close = contiguous("close", &close)?;
    let out = py.detach(|| crate::rsi::rsi(close, period))?;
    Ok(PyArray1::from_vec(py, out))
}

/// Rolling standard deviation; see `quantcli.kernels.rolling_std`.
#[pyfunction]
pub fn rolling_std<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    window: usize,
    ddof: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let values = contiguous("values", &values)?;
    let out = py.detach(|| crate::rolling_std::rolling_std(values, window, ddof))?;
    Ok(PyArray1::from_vec(py, out))
}

/// Simple return over `horizon` bars; see `quantcli.kernels.pct_return`.
#[pyfunction]
pub fn pct_return<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    horizon: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, &values, horizon, crate::returns::pct_return)
}
