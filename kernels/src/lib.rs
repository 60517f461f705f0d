//! QuantCLI's compiled kernels, exposed to Python as `quantcli._kernels`.
//!
//! Each kernel is a pure function over slices in its own module and knows nothing of Python;
//! `python/` borrows the numpy arrays, releases the GIL and calls them. Only
//! `quantcli/kernels.py` imports the extension.
use pyo3::prelude::*;

pub mod backtest;
pub mod ema;
pub mod error;
pub mod returns;
pub mod rolling_std;
pub mod rsi;
pub mod series;
pub mod sliding;
pub mod sma;

mod python;

#[pymodule]
fn _kernels(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use python::{backtest, indicators};
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(indicators::sma, m)?)?;
    m.add_function(wrap_pyfunction!(indicators::ema, m)?)?;
    m.add_function(wrap_pyfunction!(indicators::rsi, m)?)?;
    m.add_function(wrap_pyfunction!(indicators::rolling_std, m)?)?;
    m.add_function(wrap_pyfunction!(indicators::pct_return, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::simulate_target_weights, m)?)?;
    Ok(())
}
