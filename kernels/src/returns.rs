//! Simple returns over a horizon.
use crate::error::KernelError;
use crate::series::check_series;

/// Writes `values[t] / values[t - horizon] - 1` to `out`; NaN for the first `horizon` values.
///
/// NaN on either side gives NaN; a zero base gives ±inf or NaN exactly as IEEE division does.
pub fn pct_return(values: &[f64], horizon: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_series(values, out, "horizon", horizon)?;
    let (lead, rest) = out.split_at_mut(horizon);
    lead.fill(f64::NAN);
    for ((slot, &now), &base) in rest.iter_mut().zip(&values[horizon..]).zip(values) {
        *slot = now / base - 1.0;
    }
    Ok(())
}
