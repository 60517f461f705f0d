//! TA-Lib's weighted and layered moving averages: WMA, DEMA, TEMA and MACD.
//!
//! WMA restarts after every NaN gap (an output is NaN when its window holds a NaN); the EMA-based
//! ones never forget a NaN, like `ema`. Leading NaNs are skipped as TA-Lib does.
use crate::error::KernelError;
use crate::gaps::{by_runs, lead, until_gap};

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

/// TA-Lib's EMA over NaN-free values: seeded at `period - 1` with the mean of the first `period`.
pub(crate) fn ema_clean(values: &[f64], period: usize, out: &mut [f64]) {
    if !lead(out, period - 1) {
        return;
    }
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    let mut level = values[..period].iter().sum::<f64>() / period as f64;
    out[period - 1] = level;
    for (slot, &value) in out[period..].iter_mut().zip(&values[period..]) {
        level = level * keep + value * alpha;
        *slot = level;
    }
}

/// TA-Lib's running-sum SMA over NaN-free values (same operation order as `TA_INT_SMA`).
pub(crate) fn sma_clean(values: &[f64], period: usize, out: &mut [f64]) {
    if !lead(out, period - 1) {
        return;
    }
    let divisor = period as f64;
    let mut total: f64 = values[..period - 1].iter().sum();
    for t in period - 1..values.len() {
        total += values[t];
        out[t] = total / divisor;
        total -= values[t + 1 - period];
    }
}

/// Weighted moving average (weights 1..=period, newest heaviest), TA-Lib's running sums.
pub fn wma(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    by_runs([values], [out], |[x], [out]| wma_clean(x, period, out));
    Ok(())
}

fn wma_clean(x: &[f64], period: usize, out: &mut [f64]) {
    if !lead(out, period - 1) {
        return;
    }
    let divider = (period * (period + 1) / 2) as f64;
    let (mut weighted, mut plain) = (0.0, 0.0);
    for (i, &v) in x[..period - 1].iter().enumerate() {
        plain += v;
        weighted += v * (i + 1) as f64;
    }
    let p = period as f64;
    let mut trailing = 0.0;
    for t in period - 1..x.len() {
        let v = x[t];
        plain += v;
        plain -= trailing;
        weighted += v * p;
        trailing = x[t + 1 - period];
        out[t] = weighted / divider;
        weighted -= plain;
    }
}

/// Double EMA: 2·EMA − EMA(EMA); first value at `2·(period − 1)`.
pub fn dema(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    until_gap([values], [out], |[x], [out]| {
        layered_ema(x, period, 2, out);
    });
    Ok(())
}

/// Triple EMA: 3·EMA − 3·EMA² + EMA³; first value at `3·(period − 1)`.
pub fn tema(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    until_gap([values], [out], |[x], [out]| {
        layered_ema(x, period, 3, out);
    });
    Ok(())
}

/// EMA of EMA (of EMA), each layer seeded by the mean of its first `period` inputs, in one pass.
fn layered_ema(x: &[f64], period: usize, layers: usize, out: &mut [f64]) {
    let first = layers * (period - 1);
    if !lead(out, first) {
        return;
    }
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    let p = period as f64;
    // levels[k] is layer k's EMA; sums[k] gathers its seed while it warms up.
    let mut levels = [0.0f64; 3];
    let mut sums = [0.0f64; 3];
    for (t, &value) in x.iter().enumerate() {
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
        if t >= first {
            out[t] = match layers {
                2 => 2.0 * levels[0] - levels[1],
                _ => 3.0 * levels[0] - 3.0 * levels[1] + levels[2],
            };
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
    until_gap(
        [values],
        [line_out, signal_out, hist_out],
        |[x], [line, sig, hist]| macd_clean(x, fast, slow, signal, line, sig, hist),
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
