//! Simple moving average.
use crate::error::KernelError;
use crate::series::check_series;
use crate::sliding::map_window_sums;

/// Writes the mean of each `period`-long window to `out`.
///
/// NaN before index `period - 1` and for windows holding a NaN.
pub fn sma(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_series(values, out, "period", period)?;
    sma_pass(values, period, out);
    Ok(())
}

/// `sma` once `period` is checked.
pub(crate) fn sma_pass(values: &[f64], period: usize, out: &mut [f64]) {
    out[..period - 1].fill(f64::NAN);
    let reciprocal = 1.0 / period as f64;
    map_window_sums(values, period, out, |sum| sum * reciprocal);
}
