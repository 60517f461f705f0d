//! Simple moving average.
use crate::error::KernelError;
use crate::series::check_series;
use crate::sliding::{map_windows, Sum};

/// Writes the mean of each `period`-long window to `out`.
///
/// NaN before index `period - 1` and for windows holding a NaN.
pub fn sma(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_series(values, out, "period", period)?;
    out[..period - 1].fill(f64::NAN);
    // Divide rather than multiply by 1/period: it is what TA-Lib does and rounds once.
    let divisor = period as f64;
    map_windows(values, period, out, |sum: Sum| sum.0 / divisor);
    Ok(())
}
