//! Exponential moving average, TA-Lib's default flavour.
use crate::error::KernelError;
use crate::series::{avx2_dispatch, check_series, first_non_nan};

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
    let level = values[seed_index + 1 - period..=seed_index]
        .iter()
        .sum::<f64>()
        / period as f64;
    out[seed_index] = level;
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    // TA-Lib writes `(x - level) * alpha + level`; this form differs by an ulp or so but takes
    // `x * alpha` off the loop-carried chain, and `smooth` shortens the chain four-fold.
    smooth_series(
        level,
        keep,
        alpha,
        &values[seed_index + 1..],
        &mut out[seed_index + 1..],
    );
    Ok(())
}

avx2_dispatch! {
    /// `smooth`, with AVX2 where the CPU has it.
    fn smooth_series(level: f64, keep: f64, weight: f64, inputs: &[f64], out: &mut [f64]) -> f64
        = smooth
}

/// Writes `level = level·keep + x·weight` for each `x` of `inputs` to `out`; returns the last level.
///
/// The recurrence is unrolled four steps at a time: `L[t+i] = keepⁱ·L[t] + aᵢ`, where the `aᵢ`
/// only depend on the inputs. The loop-carried chain is one multiply-add per four values instead
/// of per value; the result differs from the step-by-step one by a few ulps (the recurrence is
/// contractive, so rounding never accumulates). A NaN input makes every later level NaN.
#[inline(always)]
pub(crate) fn smooth(
    mut level: f64,
    keep: f64,
    weight: f64,
    inputs: &[f64],
    out: &mut [f64],
) -> f64 {
    debug_assert_eq!(inputs.len(), out.len());
    let keep2 = keep * keep;
    let keep3 = keep2 * keep;
    let keep4 = keep2 * keep2;
    let mut groups = inputs.chunks_exact(4);
    let mut slots = out.chunks_exact_mut(4);
    for (x, o) in (&mut groups).zip(&mut slots) {
        let a1 = x[0] * weight;
        let a2 = a1 * keep + x[1] * weight;
        let a3 = a2 * keep + x[2] * weight;
        let a4 = a3 * keep + x[3] * weight;
        o[0] = level * keep + a1;
        o[1] = level * keep2 + a2;
        o[2] = level * keep3 + a3;
        level = level * keep4 + a4;
        o[3] = level;
    }
    for (&x, o) in groups.remainder().iter().zip(slots.into_remainder()) {
        level = level * keep + x * weight;
        *o = level;
    }
    level
}

/// `smooth` of two series side by side (lane 0 and lane 1 of each pair), with the same `keep`
/// and `weight`: the two lanes share every instruction (one SSE2 register holds both).
#[inline(always)]
pub(crate) fn smooth_pairs(
    mut level: [f64; 2],
    keep: f64,
    weight: f64,
    inputs: &[[f64; 2]],
    out: &mut [[f64; 2]],
) -> [f64; 2] {
    debug_assert_eq!(inputs.len(), out.len());
    let keep2 = keep * keep;
    let keep3 = keep2 * keep;
    let keep4 = keep2 * keep2;
    let lanes = |f: &dyn Fn(usize) -> f64| [f(0), f(1)];
    let mut groups = inputs.chunks_exact(4);
    let mut slots = out.chunks_exact_mut(4);
    for (x, o) in (&mut groups).zip(&mut slots) {
        let a1 = lanes(&|i| x[0][i] * weight);
        let a2 = lanes(&|i| a1[i] * keep + x[1][i] * weight);
        let a3 = lanes(&|i| a2[i] * keep + x[2][i] * weight);
        let a4 = lanes(&|i| a3[i] * keep + x[3][i] * weight);
        o[0] = lanes(&|i| level[i] * keep + a1[i]);
        o[1] = lanes(&|i| level[i] * keep2 + a2[i]);
        o[2] = lanes(&|i| level[i] * keep3 + a3[i]);
        level = lanes(&|i| level[i] * keep4 + a4[i]);
        o[3] = level;
    }
    for (x, o) in groups.remainder().iter().zip(slots.into_remainder()) {
        level = lanes(&|i| level[i] * keep + x[i] * weight);
        *o = level;
    }
    level
}
