//! Bindings for the channels, VWAPs and rolling statistics (`quantcli.kernels.indicators_stats`)
//! and their panel forms.
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::arrays::{run_n, run_panel};
use super::contiguous;
use super::declare::indicators;

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_declared(m)?;
    m.add_function(wrap_pyfunction!(session_vwap, m)?)?;
    m.add_function(wrap_pyfunction!(session_vwap_panel, m)?)?;
    Ok(())
}

indicators! {
    /// Keltner channels: (upper, middle, lower).
    fn keltner / keltner_panel(
        high, low, close; period: usize, atr_period: usize, multiplier: f64
    ) -> (upper, middle, lower) = crate::ta_volatility::keltner;
    /// Donchian channels: (upper, middle, lower).
    fn donchian / donchian_panel(high, low; period: usize) -> (upper, middle, lower)
        = crate::ta_volatility::donchian;
    /// Rolling VWAP over `window` bars.
    fn rolling_vwap / rolling_vwap_panel(price, volume; window: usize) -> (out)
        = crate::ta_volume::rolling_vwap;
    /// Rolling mean.
    fn rolling_mean / rolling_mean_panel(values; window: usize) -> out
        = crate::rolling::rolling_mean;
    /// Rolling z-score.
    fn rolling_zscore / rolling_zscore_panel(values; window: usize, ddof: usize) -> (out)
        = crate::rolling::rolling_zscore;
    /// Rolling min.
    fn rolling_min / rolling_min_panel(values; window: usize) -> out
        = crate::rolling::rolling_min;
    /// Rolling max.
    fn rolling_max / rolling_max_panel(values; window: usize) -> out
        = crate::rolling::rolling_max;
    /// Rolling correlation.
    fn rolling_corr / rolling_corr_panel(x, y; window: usize) -> (out)
        = crate::rolling::rolling_corr;
    /// Rolling beta of `asset` on `benchmark`.
    fn rolling_beta / rolling_beta_panel(asset, benchmark; window: usize) -> (out)
        = crate::rolling::rolling_beta;
}

// Session VWAP takes integer session ids besides its float series, which `indicators!` does not
// declare; both forms are written out.

/// VWAP restarting at each change of `session`.
#[pyfunction]
pub fn session_vwap<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    session: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let session = contiguous("session", &session)?;
    let [out] = run_n(
        py,
        [("price", &price), ("volume", &volume)],
        |[p, v], [o]| crate::ta_volume::session_vwap(p, v, session, o),
    )?;
    Ok(out)
}

/// `session_vwap` of every row of (symbols × time) panels, rows in parallel.
///
/// `session` has the panels' shape (each symbol its own sessions) or one row (one calendar for
/// every symbol).
#[pyfunction]
pub fn session_vwap_panel<'py>(
    py: Python<'py>,
    price: PyReadonlyArray2<'py, f64>,
    volume: PyReadonlyArray2<'py, f64>,
    session: PyReadonlyArray2<'py, i64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (shape, ids) = (price.shape(), session.shape());
    let shared = ids[0] == 1;
    if ids[1] != shape[1] || !(shared || ids[0] == shape[0]) {
        return Err(PyValueError::new_err(format!(
            "session has shape {ids:?}, but price has shape {shape:?} (or pass one row of \
             {} session ids for every symbol)",
            shape[1]
        )));
    }
    let (session, cols) = (contiguous("session", &session)?, shape[1]);
    let [out] = run_panel(
        py,
        [("price", &price), ("volume", &volume)],
        |row, [p, v], [o]| {
            let start = if shared { 0 } else { row * cols };
            crate::ta_volume::session_vwap(p, v, &session[start..start + cols], o)
        },
    )?;
    Ok(out)
}
