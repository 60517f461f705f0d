//! Rolling extremes (monotonic deque), z-score, correlation and beta.
use std::collections::VecDeque;

use crate::error::KernelError;
use crate::sliding::{map_windows, Moments, Sum};
use crate::ta_averages::{check_lengths, check_period};

/// Writes the max (`MAX`) or min of each `window`-long window to `out`, O(1) per value.
///
/// NaN before index `window - 1` and for windows holding a NaN.
pub fn rolling_extreme<const MAX: bool>(values: &[f64], window: usize, out: &mut [f64]) {
    // Indices whose values decrease (MAX) or increase from front to back; the front is the answer.
    let mut deque: VecDeque<usize> = VecDeque::with_capacity(window + 1);
    let mut last_nan: Option<usize> = None;
    for (t, &value) in values.iter().enumerate() {
        if value.is_nan() {
            last_nan = Some(t);
        } else {
            while let Some(&back) = deque.back() {
                let dominated = if MAX {
                    values[back] <= value
                } else {
                    values[back] >= value
                };
                if !dominated {
                    break;
                }
                deque.pop_back();
            }
            deque.push_back(t);
        }
        if deque.front().is_some_and(|&front| front + window <= t) {
            deque.pop_front();
        }
        let warm = t + 1 >= window;
        let clean = last_nan.is_none_or(|nan| nan + window <= t);
        out[t] = match deque.front() {
            Some(&front) if warm && clean => values[front],
            _ => f64::NAN,
        };
    }
}

/// Rolling maximum; NaN before `window - 1` and for windows holding a NaN.
pub fn rolling_max(values: &[f64], window: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("window", window, 1, values.len())?;
    rolling_extreme::<true>(values, window, out);
    Ok(())
}

/// Rolling minimum; NaN before `window - 1` and for windows holding a NaN.
pub fn rolling_min(values: &[f64], window: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("window", window, 1, values.len())?;
    rolling_extreme::<false>(values, window, out);
    Ok(())
}

/// Rolling mean (the SMA under its statistics name).
pub fn rolling_mean(values: &[f64], window: usize, out: &mut [f64]) -> Result<(), KernelError> {
    crate::sma::sma(values, window, out)
}

/// (value − rolling mean) / rolling std with `ddof`; NaN where the std is zero or undefined.
pub fn rolling_zscore(
    values: &[f64],
    window: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    crate::rolling_std::rolling_std(values, window, ddof, out)?;
    let mut means = vec![f64::NAN; values.len()];
    let w = window as f64;
    map_windows(values, window, &mut means, |s: Sum| s.0 / w);
    for ((slot, &mean), &value) in out.iter_mut().zip(&means).zip(values) {
        let z = (value - mean) / *slot;
        *slot = if *slot > 0.0 { z } else { f64::NAN };
    }
    Ok(())
}

/// Count, means, squared deviations and co-deviation of a run of (x, y) pairs.
#[derive(Clone, Copy, Debug)]
struct CoMoments {
    count: f64,
    mean_x: f64,
    mean_y: f64,
    m2x: f64,
    m2y: f64,
    cxy: f64,
}

impl CoMoments {
    const EMPTY: Self = CoMoments {
        count: 0.0,
        mean_x: 0.0,
        mean_y: 0.0,
        m2x: 0.0,
        m2y: 0.0,
        cxy: 0.0,
    };

    #[inline(always)]
    fn push(self, x: f64, y: f64, recip_count: f64) -> Self {
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        let mean_x = self.mean_x + dx * recip_count;
        let mean_y = self.mean_y + dy * recip_count;
        CoMoments {
            count: self.count + 1.0,
            mean_x,
            mean_y,
            m2x: self.m2x + dx * (x - mean_x),
            m2y: self.m2y + dy * (y - mean_y),
            cxy: self.cxy + dx * (y - mean_y),
        }
    }

    #[inline(always)]
    fn merge(self, later: Self, later_share: f64) -> Self {
        let dx = later.mean_x - self.mean_x;
        let dy = later.mean_y - self.mean_y;
        let weight = self.count * later_share;
        CoMoments {
            count: self.count + later.count,
            mean_x: self.mean_x + dx * later_share,
            mean_y: self.mean_y + dy * later_share,
            m2x: self.m2x + later.m2x + dx * dx * weight,
            m2y: self.m2y + later.m2y + dy * dy * weight,
            cxy: self.cxy + later.cxy + dx * dy * weight,
        }
    }
}

/// `finish(co-moments of the window ending at t)` for every t, as `sliding::map_windows` does
/// for one series: blocks of `window` pairs, suffix and prefix summaries built from scratch.
fn map_pair_windows(
    xs: &[f64],
    ys: &[f64],
    window: usize,
    out: &mut [f64],
    finish: impl Fn(CoMoments) -> f64,
) {
    out[..window - 1].fill(f64::NAN);
    let recip: Vec<f64> = (0..=window).map(|c| 1.0 / c as f64).collect();
    let share: Vec<f64> = (1..=window).map(|c| c as f64 / window as f64).collect();
    let mut suffix = vec![CoMoments::EMPTY; window + 1];
    let n = xs.len();
    let mut block_start = 0;
    while block_start < n {
        let block_end = (block_start + window).min(n);
        let mut prefix = CoMoments::EMPTY;
        for t in block_start..block_end {
            let offset = t - block_start;
            prefix = prefix.push(xs[t], ys[t], recip[offset + 1]);
            if offset + 1 == window {
                out[t] = finish(prefix);
            } else if block_start > 0 {
                out[t] = finish(suffix[offset + 1].merge(prefix, share[offset]));
            }
        }
        if block_end - block_start == window {
            let mut back = CoMoments::EMPTY;
            suffix[window] = CoMoments::EMPTY;
            for offset in (0..window).rev() {
                let t = block_start + offset;
                back = back.push(xs[t], ys[t], recip[window - offset]);
                suffix[offset] = back;
            }
        }
        block_start = block_end;
    }
}

/// Rolling Pearson correlation of `x` and `y`; NaN where either is constant or a NaN is inside.
pub fn rolling_corr(
    x: &[f64],
    y: &[f64],
    window: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("x", x), ("y", y)], &[out])?;
    check_period("window", window, 2, x.len())?;
    map_pair_windows(x, y, window, out, |m| m.cxy / (m.m2x * m.m2y).sqrt());
    Ok(())
}

/// Rolling beta of `asset` on `benchmark`: cov(asset, benchmark) / var(benchmark).
pub fn rolling_beta(
    asset: &[f64],
    benchmark: &[f64],
    window: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("asset", asset), ("benchmark", benchmark)], &[out])?;
    check_period("window", window, 2, asset.len())?;
    map_pair_windows(benchmark, asset, window, out, |m| m.cxy / m.m2x);
    Ok(())
}

/// Rolling standard deviation helper reused by Bollinger Bands: population std of each window.
pub(crate) fn population_std(values: &[f64], window: usize, out: &mut [f64]) {
    out[..window - 1].fill(f64::NAN);
    let w = window as f64;
    map_windows(values, window, out, |m: Moments| (m.m2 / w).sqrt());
}
