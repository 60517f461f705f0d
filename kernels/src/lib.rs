//! QuantCLI's compiled kernels, exposed to Python as `quantcli._kernels`.
//!
//! Each kernel is a pure function over slices in its own module and knows nothing of Python;
//! `python/` borrows the numpy arrays, releases the GIL and calls them. Only
//! the `quantcli.kernels` package imports the extension.
use pyo3::prelude::*;

pub mod chunked;
pub mod cpcv;
pub mod ema;
pub mod error;
pub mod gaps;
pub mod huge_pages;
pub mod panel;
pub mod returns;
pub mod rolling;
pub mod rolling_std;
pub mod rsi;
pub mod series;
pub mod signal_backtest;
pub mod simulator;
pub mod sliding;
pub mod sma;
pub mod sma_sweep;
pub mod streaming;
pub mod ta_averages;
pub mod ta_oscillators;
pub mod ta_volatility;
pub mod ta_volume;
pub mod wma;

mod python;

#[pymodule]
fn _kernels(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Each binding module registers its own functions, so areas grow without touching this file.
    python::indicators::register(m)?;
    python::indicators_ta::register(m)?;
    python::indicators_stats::register(m)?;
    python::streams::register(m)?;
    python::signals::register(m)?;
    python::simulator::register(m)?;
    python::cpcv::register(m)?;
    Ok(())
}
