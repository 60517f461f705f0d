//! Rolling standard deviation.
use crate::error::KernelError;
use crate::series::check_series;
use crate::sliding::{map_windows, Moments};

/// Writes the standard deviation of each `window`-long window, with `ddof` delta degrees of
/// freedom, to `out`.
///
/// NaN before index `window - 1` and for windows holding a NaN; `ddof` must be below `window`.
pub fn rolling_std(
    values: &[f64],
    window: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_series(values, out, "window", window)?;
    if ddof >= window {
        return Err(KernelError::Invalid {
            name: "ddof",
            reason: format!("must be smaller than window {window}, got {ddof}"),
        });
    }
    out[..window - 1].fill(f64::NAN);
    let divisor = (window - ddof) as f64;
    map_windows(values, window, out, |m: Moments| (m.m2 / divisor).sqrt());
    Ok(())
}
