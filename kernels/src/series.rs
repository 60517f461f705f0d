//! The contract shared by the indicator kernels: one input series, one output of the same length.
use crate::error::KernelError;

/// Checks that `out` matches `values` and that a period, window or horizon lies in `1..=len`.
pub fn check_series(
    values: &[f64],
    out: &[f64],
    length_name: &'static str,
    length: usize,
) -> Result<(), KernelError> {
    if out.len() != values.len() {
        return Err(KernelError::Invalid {
            name: "out",
            reason: format!("has {} slots for {} values", out.len(), values.len()),
        });
    }
    if length == 0 || length > values.len() {
        let len = values.len();
        return Err(KernelError::BadLength {
            name: length_name,
            value: length,
            len,
        });
    }
    Ok(())
}

/// Index of the first non-NaN value (or `values.len()`): TA-Lib starts its series there.
pub fn first_non_nan(values: &[f64]) -> usize {
    values
        .iter()
        .position(|v| !v.is_nan())
        .unwrap_or(values.len())
}
