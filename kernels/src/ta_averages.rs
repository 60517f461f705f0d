//! TA-Lib's layered moving averages: DEMA, TEMA and MACD (WMA is in `wma`), and the length and
//! period checks the TA indicators share.
//!
//! The EMA-based averages never forget a NaN, like `ema`. Leading NaNs are skipped as TA-Lib does.
use crate::error::KernelError;
use crate::gaps::lead;
use crate::series::first_non_nan;

/// Checks that every input has the length of the first and every output too.
pub fn check_lengths(
    inputs: &[(&'static str, &[f64])],
    outputs: &[&[f64]],
) -> Result<(), KernelError> {
    let len = inputs.first().map_or(0, |(_, s)| s.len());
    for (name, input) in inputs {
        if input.len() != len {
            return Err(KernelError::Invalid {
                name,
                reason: format!("has {} values, but {} has {len}", input.len(), inputs[0].0),
            });
        }
    }
    if outputs.iter().any(|o| o.len() != len) {
        return Err(KernelError::Invalid {
            name: "out",
            reason: format!("output length differs from the input length {len}"),
        });
    }
    Ok(())
}

/// Checks a period against `1..=len` (or `min..=len`).
pub fn check_period(
    name: &'static str,
    period: usize,
    min: usize,
    len: usize,
) -> Result<(), KernelError> {
    if period < min.max(1) || period > len {
        if period >= 1 && period < min {
            return Err(KernelError::Invalid {
                name,
                reason: format!("must be >= {min}, got {period}"),
            });
        }
        return Err(KernelError::BadLength {
            name,
            value: period,
            len,
        });
    }
    Ok(())
}

/// Double EMA: 2·EMA − EMA(EMA); first value at `2·(period − 1)`.
pub fn dema(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    layered_ema(values, period, 2, out);
    Ok(())
}

/// Triple EMA: 3·EMA − 3·EMA² + EMA³; first value at `3·(period − 1)`.
pub fn tema(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    layered_ema(values, period, 3, out);
    Ok(())
}

/// EMA of EMA (of EMA), each layer seeded by the mean of its first `period` inputs, in one pass
/// from the first non-NaN value (TA-Lib skips leading NaNs).
///
/// A later NaN needs no check: it turns every level NaN for good, so every output after it is
/// NaN, as an EMA that never forgets a NaN should be.
fn layered_ema(values: &[f64], period: usize, layers: usize, out: &mut [f64]) {
    let start = first_non_nan(values);
    let first = start + layers * (period - 1);
    if first >= values.len() {
        out.fill(f64::NAN);
        return;
    }
    out[..first].fill(f64::NAN);
    let x = &values[start..];
    let out = &mut out[start..];
    let first = first - start;
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    let p = period as f64;
    // Warm-up up to the last layer's seed: levels[k] is layer k's EMA; sums[k] gathers its seed.
    let mut levels = [0.0f64; 3];
    let mut sums = [0.0f64; 3];
    for (t, &value) in x[..=first].iter().enumerate() {
        let mut input = value;
        for k in 0..layers {
            let seed_at = (k + 1) * (period - 1);
            let starts = k * (period - 1);
            if t < starts {
                break;
            }
            if t < seed_at {
                sums[k] += input;
                break;
            }
            if t == seed_at {
                levels[k] = (sums[k] + input) / p;
            } else {
                levels[k] = levels[k] * keep + input * alpha;
            }
            input = levels[k];
        }
    }
    let [mut l0, mut l1, mut l2] = levels;
    let (head, tail) = out.split_at_mut(first + 1);
    let rest = tail.iter_mut().zip(&x[first + 1..]);
    if layers == 2 {
        head[first] = 2.0 * l0 - l1;
        for (slot, &value) in rest {
            l0 = l0 * keep + value * alpha;
            l1 = l1 * keep + l0 * alpha;
            *slot = 2.0 * l0 - l1;
        }
    } else {
        head[first] = 3.0 * l0 - 3.0 * l1 + l2;
        for (slot, &value) in rest {
            l0 = l0 * keep + value * alpha;
            l1 = l1 * keep + l0 * alpha;
            l2 = l2 * keep + l1 * alpha;
            *slot = 3.0 * l0 - 3.0 * l1 + l2;
        }
    }
}

/// TA-Lib's MACD: line, signal and histogram, all starting at `slow − 1 + signal − 1`.
///
/// As in TA-Lib, both EMAs are seeded at index `slow − 1`: the fast one with the mean of the
/// `fast` values ending there, not of the first `fast` values.
pub fn macd(
    values: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    line_out: &mut [f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[line_out, signal_out, hist_out])?;
    check_period("fast_period", fast, 2, values.len())?;
    check_period("slow_period", slow, 2, values.len())?;
    check_period("signal_period", signal, 1, values.len())?;
    if fast > slow {
        return Err(KernelError::Invalid {
            name: "fast_period",
            reason: format!("must not exceed slow_period {slow}, got {fast}"),
        });
    }
    // From the first non-NaN value; a later NaN turns both EMAs NaN for good, so every output
    // after it is NaN without a check.
    let start = first_non_nan(values);
    line_out[..start].fill(f64::NAN);
    signal_out[..start].fill(f64::NAN);
    hist_out[..start].fill(f64::NAN);
    macd_clean(
        &values[start..],
        fast,
        slow,
        signal,
        &mut line_out[start..],
        &mut signal_out[start..],
        &mut hist_out[start..],
    );
    Ok(())
}

fn macd_clean(
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    line: &mut [f64],
    sig: &mut [f64],
    hist: &mut [f64],
) {
    let first = slow - 1 + signal - 1;
    let more = lead(line, first);
    lead(sig, first);
    lead(hist, first);
    if !more {
        return;
    }
    let seed = slow - 1;
    let factor = |p: usize| 2.0 / (p + 1) as f64;
    let (kf, ks, kg) = (factor(fast), factor(slow), factor(signal));
    let mut fast_level = x[seed + 1 - fast..=seed].iter().sum::<f64>() / fast as f64;
    let mut slow_level = x[..=seed].iter().sum::<f64>() / slow as f64;
    let mut signal_sum = 0.0;
    let mut signal_level = 0.0;
    for t in seed..x.len() {
        if t > seed {
            fast_level = fast_level * (1.0 - kf) + x[t] * kf;
            slow_level = slow_level * (1.0 - ks) + x[t] * ks;
        }
        let value = fast_level - slow_level;
        if t < first {
            signal_sum += value;
            continue;
        }
        if t == first {
            signal_level = (signal_sum + value) / signal as f64;
        } else {
            signal_level = signal_level * (1.0 - kg) + value * kg;
        }
        line[t] = value;
        sig[t] = signal_level;
        hist[t] = value - signal_level;
    }
}
