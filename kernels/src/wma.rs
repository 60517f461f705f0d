//! TA-Lib's weighted moving average (weights 1..=period, newest heaviest), with TA-Lib's bits.
//!
//! TA-Lib (the C library 0.8 in the `talib` wheels we test against) carries a running sum and a
//! running weighted sum, and recomputes both from scratch every `8 · period` outputs, which
//! bounds their drift. This kernel keeps that schedule and TA-Lib's order of operations, so it
//! gives TA-Lib's bits; an output is NaN when its window holds a NaN, and the schedule restarts
//! with each clean run (TA-Lib itself only skips leading NaNs).
//!
//! Speed: the segments between two restarts are independent, so `LANES` neighbouring ones run
//! side by side (TA-Lib's single chain waits on two dependent additions per value). The raw sums
//! of a block wait in L1 and are divided on their way out; with FMA the division is a multiply
//! by the rounded reciprocal plus one exact correction (`divide`), the same bits as dividing.
use crate::error::KernelError;
use crate::series::first_non_nan;
use crate::ta_averages::{check_lengths, check_period};

/// Outputs between two restarts of TA-Lib's running sums, in periods.
const RESTART_PERIODS: usize = 8;
/// Segments computed side by side: independent chains of additions that the CPU overlaps.
const LANES: usize = 4;
/// Values per lane between divisions.
const STEPS: usize = 256;

/// Writes TA-Lib's WMA of `values` to `out`.
pub fn wma(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    if period == 1 {
        // Weights {1} over a divider of 1: each value itself, NaN included (TA-Lib copies too).
        out.copy_from_slice(values);
        return Ok(());
    }
    runs(values, period, out);
    Ok(())
}

/// Each clean run of `values` from its own start; NaN elsewhere.
fn runs(values: &[f64], period: usize, out: &mut [f64]) {
    let divider = Divider::new(period);
    let mut at = 0;
    while at < values.len() {
        let start = at + first_non_nan(&values[at..]);
        out[at..start].fill(f64::NAN);
        if start == values.len() {
            break;
        }
        at = start + clean_run(&values[start..], period, divider, &mut out[start..]);
    }
}

/// WMA over the clean run at the start of `x` (`x[0]` is not NaN): writes `out[..end]` and
/// returns `end`, the index of the first NaN in `x` (or its length). `out[end..]` may hold
/// scratch values, for the caller to overwrite.
///
/// Output `j` (at `out[j + period − 1]`, over `x[j..j + period]`) belongs to a segment between
/// two of TA-Lib's restarts: segments start at `j = 0` and at every `j ≡ −1 (mod 8 · period)`.
/// Each segment starts from sums over its first window, so `LANES` neighbouring segments run
/// side by side. A NaN input shows as a NaN output of its group, computed as if clean (a NaN
/// propagates through the sums); only then are that group's inputs searched.
fn clean_run(x: &[f64], period: usize, divider: Divider, out: &mut [f64]) -> usize {
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
        let group = Group {
            first: next,
            stride,
            count,
        };
        let saw_nan = if lanes == LANES {
            segments::<LANES>(x, period, divider, group, y, &mut raw)
        } else {
            segments::<1>(x, period, divider, group, y, &mut raw)
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

/// Segments starting at outputs `first + l · stride`, `count` outputs each (`count <= stride`).
#[derive(Clone, Copy)]
struct Group {
    first: usize,
    stride: usize,
    count: usize,
}

/// `L` segments of TA-Lib's WMA side by side into `y` (`y[j]` is output `j`, over
/// `x[j..j + period]`). Says whether any output is NaN.
#[inline(always)]
fn segments<const L: usize>(
    x: &[f64],
    period: usize,
    divider: Divider,
    group: Group,
    y: &mut [f64],
    raw: &mut [[f64; STEPS]; LANES],
) -> bool {
    let Group {
        first,
        stride,
        count,
    } = group;
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
        outs[l][0] = sum[l] / divider.value;
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
            nan |= divide(&mut out[step..][..block], &sums[..block], divider);
        }
        step += block;
    }
    nan
}

/// TA-Lib's divider `period · (period + 1) / 2` and what `divide` needs of it.
#[derive(Clone, Copy)]
struct Divider {
    value: f64,
    /// The rounded reciprocal.
    reciprocal: f64,
    /// Whether `divide` takes quotients by FMA: the CPU has it and the divider is small enough.
    by_fma: bool,
}

impl Divider {
    fn new(period: usize) -> Self {
        let value = period as f64 * (period + 1) as f64 * 0.5;
        #[cfg(target_arch = "x86_64")]
        let fma = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        let fma = false;
        Divider {
            value,
            reciprocal: 1.0 / value,
            by_fma: fma && value <= (1u64 << 40) as f64,
        }
    }
}

/// `out[i] = sums[i] / divider`, the same bits; says whether any is NaN.
#[inline(always)]
fn divide(out: &mut [f64], sums: &[f64], divider: Divider) -> bool {
    #[cfg(target_arch = "x86_64")]
    if divider.by_fma {
        // SAFETY: `by_fma` is only set when the CPU has AVX2 and FMA.
        if unsafe { divide_by_fma(out, sums, divider) } {
            return false;
        }
    }
    let mut nan = false;
    for (slot, &s) in out.iter_mut().zip(sums) {
        *slot = s / divider.value;
        nan |= s.is_nan();
    }
    nan
}

/// Sums whose quotient `divide_by_fma` takes: their correction term is exact (no underflow)
/// and nothing overflows. Others (zero, tiny, huge, infinite, NaN) are divided.
const FMA_SUMS: std::ops::RangeInclusive<f64> = 1e-270..=1e300;

/// `divide` by a multiply and an exact correction: writes `out` and says true when every sum
/// lies in `FMA_SUMS` (else the caller divides them all).
///
/// `q = s · r` (`r` the rounded reciprocal of `d`) is within 2^-52 of `s / d` relative, so
/// `e = s − d · q` is exact (at most 42 bits for `d <= 2^40`, and no underflow for
/// `|s| >= 1e-270`), and `q + e · r` is within 2^-105 relative of `s / d`. An exact quotient
/// `s / d` is never within 2^-93 relative of a midpoint between two doubles when `d <= 2^40` is
/// an integer with an odd factor above 1, as every `period · (period + 1) / 2` with
/// `period >= 2` is (a midpoint times `d` would need 54 significant bits); so rounding
/// `q + e · r` gives the rounded quotient (Markstein's correction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn divide_by_fma(out: &mut [f64], sums: &[f64], divider: Divider) -> bool {
    let (low, span) = (*FMA_SUMS.start(), FMA_SUMS.end() - FMA_SUMS.start());
    let mut outside = 0u64;
    for (slot, &s) in out.iter_mut().zip(sums) {
        let q = s * divider.reciprocal;
        let e = (-q).mul_add(divider.value, s);
        *slot = e.mul_add(divider.reciprocal, q);
        // False below `low`, above `low + span` and for NaN.
        let inside = s.abs() - low <= span;
        outside |= u64::from(!inside);
    }
    outside == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wma_of(values: &[f64], period: usize) -> Vec<f64> {
        let mut out = vec![0.0; values.len()];
        wma(values, period, &mut out).expect("valid input");
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_fma_division_gives_the_quotients_bits() {
        // Sums of every size in range and both signs, over the dividers of periods up to 2000
        // and a few huge ones.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let periods = (2..2000).chain([65_535, 1_000_000, 1_482_909]);
        for period in periods {
            let divider = Divider::new(period);
            if !divider.by_fma {
                return; // no FMA on this CPU
            }
            let sums: Vec<f64> = (0..64)
                .map(|_| {
                    let bits = next();
                    let exponent = (bits >> 53) % 1_800;
                    let mantissa = 1.0 + (bits & ((1 << 52) - 1)) as f64 / (1u64 << 52) as f64;
                    let sign = if bits & (1 << 52) == 0 { 1.0 } else { -1.0 };
                    sign * mantissa * 2f64.powi(exponent as i32 - 895)
                })
                .filter(|s| FMA_SUMS.contains(&s.abs()))
                .collect();
            let mut out = vec![0.0; sums.len()];
            // SAFETY: `by_fma` says the CPU has AVX2 and FMA.
            assert!(unsafe { divide_by_fma(&mut out, &sums, divider) });
            for (q, s) in out.iter().zip(&sums) {
                assert_eq!(
                    q.to_bits(),
                    (s / divider.value).to_bits(),
                    "{s} / {}",
                    divider.value
                );
            }
        }
    }

    #[test]
    fn every_lane_layout_gives_the_same_outputs_as_one_chain() {
        // Long enough for groups of LANES segments, a first segment and a tail, with a gap.
        let mut values: Vec<f64> = (0..5_000)
            .map(|i| ((i * 7919) % 113) as f64 * 0.37 - 20.0)
            .collect();
        values[3_001] = f64::NAN;
        for period in [2, 3, 7, 30] {
            let got = wma_of(&values, period);
            let divider = Divider::new(period).value;
            for run in [0..3_001, 3_002..values.len()] {
                let x = &values[run.clone()];
                let segment = RESTART_PERIODS * period;
                let (mut sub, mut sum, mut trailing) = (0.0, 0.0, 0.0);
                for j in 0..=x.len() - period {
                    if j == 0 || (j + 1) % segment == 0 {
                        (sub, sum) = (0.0, 0.0);
                        for (i, v) in x[j..j + period].iter().enumerate() {
                            sub += v;
                            sum += v * (i + 1) as f64;
                        }
                    } else {
                        let v = x[j + period - 1];
                        sub += v;
                        sub -= trailing;
                        sum += v * period as f64;
                    }
                    trailing = x[j];
                    let at = run.start + j + period - 1;
                    assert_eq!(
                        got[at].to_bits(),
                        (sum / divider).to_bits(),
                        "{period} {at}"
                    );
                    sum -= sub;
                }
                assert!(got[run.start..run.start + period - 1]
                    .iter()
                    .all(|v| v.is_nan()));
            }
            assert!(got[3_001].is_nan());
        }
    }
}
