//! TA-Lib's weighted and layered moving averages: WMA, DEMA, TEMA and MACD.
//!
//! WMA restarts after every NaN gap (an output is NaN when its window holds a NaN); the EMA-based
//! ones never forget a NaN, like `ema`. Leading NaNs are skipped as TA-Lib does.
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

/// Weighted moving average (weights 1..=period, newest heaviest), TA-Lib's running sums.
///
/// TA-Lib (the C library 0.8 in the `talib` wheels we test against) recomputes its running sums
/// from scratch every `8 · period` outputs, which bounds their drift; `wma_run` keeps that
/// schedule and TA-Lib's order of operations, so each clean run gives TA-Lib's bits on that run.
pub fn wma(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    if period == 1 {
        // Weights {1} over a divider of 1: each value itself, NaN included (TA-Lib copies too).
        out.copy_from_slice(values);
        return Ok(());
    }
    let mut at = 0;
    while at < values.len() {
        let start = at + first_non_nan(&values[at..]);
        out[at..start].fill(f64::NAN);
        if start == values.len() {
            break;
        }
        at = start + wma_run(&values[start..], period, &mut out[start..]);
    }
    Ok(())
}

/// Outputs between two restarts of TA-Lib's running sums, in periods.
const RESTART_PERIODS: usize = 8;
/// Segments computed side by side: independent chains of additions that the CPU overlaps.
const LANES: usize = 4;
/// Values per lane between divisions: the raw sums wait in L1 for one vector pass.
const STEPS: usize = 256;

/// WMA over the clean run at the start of `x` (`x[0]` is not NaN): writes `out[..end]` and
/// returns `end`, the index of the first NaN in `x` (or its length). `out[end..]` may hold
/// scratch values, for the caller to overwrite.
///
/// Output `j` (at `out[j + period − 1]`, over `x[j..j + period]`) belongs to a segment between
/// two of TA-Lib's restarts: segments start at `j = 0` and at every `j ≡ −1 (mod 8 · period)`.
/// Each segment starts from sums over its first window, so segments are independent: `LANES`
/// neighbouring ones run side by side. A NaN input shows as a NaN output of its group, assumed
/// clean until then (a NaN propagates through the sums); only then are the inputs searched.
fn wma_run(x: &[f64], period: usize, out: &mut [f64]) -> usize {
    if x.len() < period {
        let end = first_nan(x).unwrap_or(x.len());
        out[..end].fill(f64::NAN);
        return end;
    }
    out[..period - 1].fill(f64::NAN);
    let y = &mut out[period - 1..];
    let outputs = y.len();
    let segment = RESTART_PERIODS * period;
    let mut raw = [[0.0f64; STEPS]; LANES];
    let mut next = 0;
    while next < outputs {
        let left = outputs - next;
        let (stride, lanes) = match next {
            0 => (segment - 1, 1),
            _ if left >= LANES * segment => (segment, LANES),
            _ => (segment, 1),
        };
        let count = left.min(stride);
        let done = next + (lanes - 1) * stride + count;
        let saw_nan = if lanes == LANES {
            segments::<LANES>(x, period, next, stride, count, y, &mut raw)
        } else {
            segments::<1>(x, period, next, stride, count, y, &mut raw)
        };
        // A NaN output without a NaN input comes from infinities, as it does in TA-Lib.
        if saw_nan {
            if let Some(at) = first_nan(&x[next..done + period - 1]) {
                return next + at;
            }
        }
        next = done;
    }
    x.len()
}

fn first_nan(x: &[f64]) -> Option<usize> {
    x.iter().position(|v| v.is_nan())
}

/// `L` segments of TA-Lib's WMA side by side, starting at outputs `first + l · stride`, `count`
/// outputs each (`count <= stride`), into `y` (`y[j]` is output `j`). Says whether any output
/// is NaN.
#[inline(always)]
fn segments<const L: usize>(
    x: &[f64],
    period: usize,
    first: usize,
    stride: usize,
    count: usize,
    y: &mut [f64],
    raw: &mut [[f64; STEPS]; LANES],
) -> bool {
    let divider = period as f64 * (period + 1) as f64 * 0.5;
    let weight = period as f64;
    let starts: [usize; L] = std::array::from_fn(|l| first + l * stride);
    let mut lanes = y[first..].chunks_mut(stride);
    let mut outs: [&mut [f64]; L] =
        std::array::from_fn(|_| &mut lanes.next().expect("L lanes")[..count]);
    // The first output of each segment, from the sums over its window (TA-Lib's order).
    let mut sub = [0.0f64; L];
    let mut sum = [0.0f64; L];
    for i in 0..period {
        for l in 0..L {
            let v = x[starts[l] + i];
            sub[l] += v;
            sum[l] += v * (i + 1) as f64;
        }
    }
    let mut trailing = [0.0f64; L];
    let mut nan = false;
    for l in 0..L {
        outs[l][0] = sum[l] / divider;
        nan |= sum[l].is_nan();
        sum[l] -= sub[l];
        trailing[l] = x[starts[l]];
    }
    // Then TA-Lib's recurrence, a block of raw sums at a time gathered in `raw` (in L1) and
    // divided on their way out: one vector pass, and sequential stores into `y`.
    let mut step = 1;
    while step < count {
        let block = STEPS.min(count - step);
        let news: [&[f64]; L] =
            std::array::from_fn(|l| &x[starts[l] + step + period - 1..][..block]);
        let olds: [&[f64]; L] = std::array::from_fn(|l| &x[starts[l] + step..][..block]);
        for i in 0..block {
            for l in 0..L {
                let v = news[l][i];
                sub[l] += v;
                sub[l] -= trailing[l];
                sum[l] += v * weight;
                trailing[l] = olds[l][i];
                raw[l][i] = sum[l];
                sum[l] -= sub[l];
            }
        }
        for (out, sums) in outs.iter_mut().zip(raw.iter()) {
            for (slot, &value) in out[step..][..block].iter_mut().zip(&sums[..block]) {
                *slot = value / divider;
                nan |= value.is_nan();
            }
        }
        step += block;
    }
    nan
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
