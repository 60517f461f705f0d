//! Wilder's relative strength index, as TA-Lib computes it.
use crate::ema::smooth_pairs;
use crate::error::KernelError;
use crate::series::avx2_dispatch;
use crate::series::{check_series, first_non_nan};

/// Changes smoothed per batch before their indices are computed together.
const BLOCK: usize = 256;

/// Writes the RSI over `period` changes to `out`; the first value is at index `period` (after any
/// leading NaNs).
///
/// The first average gain and loss are plain means of the first `period` changes, later ones are
/// Wilder-smoothed. When both averages are zero the output is 0, as in TA-Lib.
///
/// Leading NaNs are skipped like TA-Lib does. From the first later NaN or infinity onward the
/// output is NaN; TA-Lib prints 0 there, which would read as an extreme oversold signal.
pub fn rsi(close: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_series(close, out, "period", period)?;
    let start = first_non_nan(close);
    let first_output = start + period;
    if first_output >= close.len() {
        out.fill(f64::NAN);
        return Ok(());
    }
    out[..first_output].fill(f64::NAN);
    let n = period as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for pair in close[start..=first_output].windows(2) {
        let (up, down) = split_change(pair[1] - pair[0]);
        gain += up;
        loss += down;
    }
    gain /= n;
    loss /= n;
    out[first_output] = strength_index(gain, gain + loss);
    // Multiplying by (n-1)/n and 1/n instead of TA-Lib's `(avg * (n-1) + x) / n` keeps a
    // division off the loop-carried chain; all terms are non-negative, so the averages keep
    // their full relative precision either way.
    let (keep, weight) = ((n - 1.0) / n, 1.0 / n);
    let (later, earlier) = (
        &close[first_output + 1..],
        &close[first_output..close.len() - 1],
    );
    // Per block: the changes split into gains and losses, both smoothed side by side with a short
    // chain (`smooth_pairs`), then the indices in a loop the compiler vectorises.
    let mut changes = [[0.0; 2]; BLOCK];
    let mut averages = [[0.0; 2]; BLOCK];
    let mut level = [gain, loss];
    let slots = out[first_output + 1..].chunks_mut(BLOCK);
    for ((later, earlier), slots) in later.chunks(BLOCK).zip(earlier.chunks(BLOCK)).zip(slots) {
        let len = later.len();
        for (pair, (&now, &before)) in changes.iter_mut().zip(later.iter().zip(earlier)) {
            let (up, down) = split_change(now - before);
            *pair = [up, down];
        }
        level = smooth_pairs(level, keep, weight, &changes[..len], &mut averages[..len]);
        indices(slots, &averages[..len]);
    }
    Ok(())
}

/// `strength_index` of each (average gain, average loss) pair.
#[inline(always)]
fn indices_generic(slots: &mut [f64], averages: &[[f64; 2]]) {
    for (slot, &[gain, loss]) in slots.iter_mut().zip(averages) {
        *slot = strength_index(gain, gain + loss);
    }
}

avx2_dispatch! {
    /// `indices_generic`, with AVX2 where the CPU has it.
    fn indices(slots: &mut [f64], averages: &[[f64; 2]]) -> () = indices_generic
}

/// (gain, loss) of one change; a NaN or infinite change makes both NaN, poisoning the averages.
#[inline(always)]
pub(crate) fn split_change(change: f64) -> (f64, f64) {
    // Arithmetic instead of a branch: the sign of a price change is a coin flip, and a
    // mispredicted branch costs more than the two multiplications.
    let falling = f64::from(u8::from(change < 0.0));
    (change * (1.0 - falling), -change * falling)
}

/// 100 × gain / (gain + loss); 0 when nothing moved (TA-Lib), NaN once the input was non-finite.
#[inline(always)]
pub(crate) fn strength_index(gain: f64, total: f64) -> f64 {
    let index = 100.0 * (gain / total);
    if total > 0.0 && total.is_finite() {
        index
    } else if total == 0.0 {
        0.0
    } else {
        f64::NAN
    }
}
