//! Bindings for the indicator kernels (`float64` 1-D in, `float64` 1-D of the same length out).
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::error::KernelError;

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sma, m)?)?;
    m.add_function(wrap_pyfunction!(ema, m)?)?;
    m.add_function(wrap_pyfunction!(rsi, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_std, m)?)?;
    m.add_function(wrap_pyfunction!(pct_return, m)?)?;
    Ok(())
}

/// Runs `kernel(input, output)` with the GIL released, into a new numpy array.
///
/// The output is allocated by numpy rather than as a Rust `Vec`: numpy asks the kernel for huge
/// pages on large arrays, which halves the cost of first touching 10^7 outputs.
fn run<'py>(
    py: Python<'py>,
    name: &str,
    values: &PyReadonlyArray1<'py, f64>,
    kernel: impl FnOnce(&[f64], &mut [f64]) -> Result<(), KernelError> + Send,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let values = contiguous(name, values)?;
    let out = PyArray1::<f64>::zeros(py, values.len(), false);
    {
        let mut writable = out.readwrite();
        let slots = writable
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(format!("output: {e}")))?;
        py.detach(|| kernel(values, slots))?;
    }
    Ok(out)
}

/// Simple moving average; see `quantcli.kernels.sma`.
#[pyfunction]
pub fn sma<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, "values", &values, |v, out| {
        crate::sma::sma(v, period, out)
    })
}

/// TA-Lib-seeded exponential moving average; see `quantcli.kernels.ema`.
#[pyfunction]
pub fn ema<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, "values", &values, |v, out| {
        crate::ema::ema(v, period, out)
    })
}

/// Wilder's RSI as TA-Lib computes it; see `quantcli.kernels.rsi`.
#[pyfunction]
pub fn rsi<'py>(
    py: Python<'py>,
    close: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, "close", &close, |v, out| {
        crate::rsi::rsi(v, period, out)
    })
}

/// Rolling standard deviation; see `quantcli.kernels.rolling_std`.
#[pyfunction]
pub fn rolling_std<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    window: usize,
    ddof: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, "values", &values, |v, out| {
        crate::rolling_std::rolling_std(v, window, ddof, out)
    })
}

/// Simple return over `horizon` bars; see `quantcli.kernels.pct_return`.
#[pyfunction]
pub fn pct_return<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    horizon: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    run(py, "values", &values, |v, out| {
        crate::returns::pct_return(v, horizon, out)
    })
}
