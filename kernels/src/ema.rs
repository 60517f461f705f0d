//! Exponential moving average, TA-Lib's default flavour.
use crate::error::KernelError;
use crate::series::{check_series, first_non_nan};

/// Writes the EMA with `alpha = 2 / (period + 1)`, seeded by the SMA of the first `period`
/// values, to `out`.
///
/// Like TA-Lib, leading NaNs are skipped: the seed is the mean of the first `period` values after
/// them. Any later NaN makes that output and every one after it NaN (an EMA never forgets).
pub fn ema(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_series(values, out, "period", period)?;
    let seed_index = first_non_nan(values) + period - 1;
    if seed_index >= values.len() {
        out.fill(f64::NAN);
        return Ok(());
    }
    out[..seed_index].fill(f64::NAN);
    let mut level = values[seed_index + 1 - period..=seed_index]
        .iter()
        .sum::<f64>()
        / period as f64;
    out[seed_index] = level;
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    // TA-Lib writes `(x - level) * alpha + level`; this form differs by an ulp or so but takes
    // `x * alpha` off the loop-carried chain, which makes the loop a third faster.
    let rest = out[seed_index + 1..]
        .iter_mut()
        .zip(&values[seed_index + 1..]);
    for (slot, &value) in rest {
        level = level * keep + value * alpha;
        *slot = level;
    }
    Ok(())
}
