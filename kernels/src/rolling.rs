//! Rolling extremes (van Herk / Gil-Werman blocks), z-score, correlation and beta.
use crate::error::KernelError;
use crate::sliding::{map_windows, Sum};
use crate::ta_averages::{check_lengths, check_period};

/// The max (`MAX`) or min of `earlier` and `later`; ties go to `later`.
///
/// Written as `maxsd`/`minsd` do it (one instruction, one cycle): a NaN in either argument gives
/// an arbitrary one of them. Callers only use results whose window holds no NaN, so a NaN can
/// only spoil summaries that are thrown away.
#[inline(always)]
fn pick<const MAX: bool>(earlier: f64, later: f64) -> f64 {
    if MAX {
        if earlier > later {
            earlier
        } else {
            later
        }
    } else if earlier < later {
        earlier
    } else {
        later
    }
}

/// The extreme of no values: −inf for a max, +inf for a min.
const fn neutral<const MAX: bool>() -> f64 {
    if MAX {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    }
}

/// The rolling max of `high` and min of `low` span by span: calls `emit(base, highest, lowest)`
/// for consecutive spans of a few hundred bars starting at `base`,
/// where `highest[i]` is the max of `high[base + i + 1 - window..=base + i]` (a shorter prefix
/// before `window - 1`) and `lowest[i]` the min of `low` there.
///
/// Van Herk / Gil-Werman: each window is a suffix of the previous block joined to a prefix of the
/// current one, so three `maxsd` (or `minsd`) per value. Ties resolve to the newest value; a
/// window holding a NaN gives an arbitrary value, which callers replace by NaN.
#[inline(always)]
pub(crate) fn for_each_high_low_block(
    high: &[f64],
    low: &[f64],
    window: usize,
    mut emit: impl FnMut(usize, &[f64], &[f64]),
) {
    debug_assert_eq!(high.len(), low.len());
    let mut suffix_high = vec![f64::NEG_INFINITY; window + 1];
    let mut suffix_low = vec![f64::INFINITY; window + 1];
    // Whole windows per call of `emit`, a few hundred bars, so its loops run long enough to pay.
    let span = window * 256usize.div_ceil(window);
    let mut highest = vec![0.0; span];
    let mut lowest = vec![0.0; span];
    let spans = high.chunks(span).zip(low.chunks(span));
    for (index, (span_high, span_low)) in spans.enumerate() {
        let blocks = span_high
            .chunks(window)
            .zip(span_low.chunks(window))
            .zip(highest.chunks_mut(window).zip(lowest.chunks_mut(window)));
        for ((block_high, block_low), (highest, lowest)) in blocks {
            let len = block_high.len();
            let mut prefix = f64::NEG_INFINITY;
            let maxima = block_high.iter().zip(&suffix_high[1..=len]);
            for (slot, (&h, &earlier)) in highest.iter_mut().zip(maxima) {
                prefix = pick::<true>(prefix, h);
                *slot = pick::<true>(earlier, prefix);
            }
            let mut prefix = f64::INFINITY;
            let minima = block_low.iter().zip(&suffix_low[1..=len]);
            for (slot, (&l, &earlier)) in lowest.iter_mut().zip(minima) {
                prefix = pick::<false>(prefix, l);
                *slot = pick::<false>(earlier, prefix);
            }
            let mut back = f64::NEG_INFINITY;
            for (&h, slot) in block_high.iter().zip(&mut suffix_high).rev() {
                back = pick::<true>(h, back);
                *slot = back;
            }
            let mut back = f64::INFINITY;
            for (&l, slot) in block_low.iter().zip(&mut suffix_low).rev() {
                back = pick::<false>(l, back);
                *slot = back;
            }
        }
        let len = span_high.len();
        emit(index * span, &highest[..len], &lowest[..len]);
    }
}

/// Whether any value is NaN: `|`, not `||`, so the scan is branch-free and vectorises.
#[inline(always)]
pub(crate) fn any_nan(values: &[f64]) -> bool {
    values.iter().fold(false, |nan, v| nan | v.is_nan())
}

/// Writes the max (`MAX`) or min of each `window`-long window to `out`, O(1) per value.
///
/// NaN before index `window - 1` and for windows holding a NaN.
pub fn rolling_extreme<const MAX: bool>(values: &[f64], window: usize, out: &mut [f64]) {
    // Van Herk / Gil-Werman blocks, as in `for_each_high_low_block`, for one series.
    let mut suffix = vec![neutral::<MAX>(); window + 1];
    // The first index whose window holds no NaN (so far).
    let mut clean_from = window - 1;
    let blocks = values.chunks(window).zip(out.chunks_mut(window));
    for (index, (block, slots)) in blocks.enumerate() {
        let base = index * window;
        let mut prefix = neutral::<MAX>();
        let earlier = &suffix[1..=block.len()];
        if clean_from <= base && !any_nan(block) {
            // The common case: every window ending in this block is clean.
            for ((&value, slot), &earlier) in block.iter().zip(slots.iter_mut()).zip(earlier) {
                prefix = pick::<MAX>(prefix, value);
                *slot = pick::<MAX>(earlier, prefix);
            }
        } else {
            for (offset, ((&value, slot), &earlier)) in
                block.iter().zip(slots.iter_mut()).zip(earlier).enumerate()
            {
                let t = base + offset;
                prefix = pick::<MAX>(prefix, value);
                if value.is_nan() {
                    clean_from = t + window;
                }
                let extreme = pick::<MAX>(earlier, prefix);
                *slot = if t >= clean_from { extreme } else { f64::NAN };
            }
        }
        let mut back = neutral::<MAX>();
        for (&value, slot) in block.iter().zip(&mut suffix).rev() {
            back = pick::<MAX>(value, back);
            *slot = back;
        }
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

/// Squared deviations and co-deviation of one window of (x, y) pairs.
#[derive(Clone, Copy, Debug)]
struct CoMoments {
    m2x: f64,
    m2y: f64,
    cxy: f64,
}

/// Sums of deviations from a shift `(cx, cy)`: Σdx, Σdy, Σdx², Σdy², Σdx·dy.
#[derive(Clone, Copy, Debug, Default)]
struct ShiftedSums([f64; 5]);

impl ShiftedSums {
    #[inline(always)]
    fn push(self, dx: f64, dy: f64) -> Self {
        let [sx, sy, sxx, syy, sxy] = self.0;
        ShiftedSums([
            sx + dx,
            sy + dy,
            sxx + dx * dx,
            syy + dy * dy,
            sxy + dx * dy,
        ])
    }

    #[inline(always)]
    fn merge(self, later: Self) -> Self {
        let (a, b) = (self.0, later.0);
        ShiftedSums([
            a[0] + b[0],
            a[1] + b[1],
            a[2] + b[2],
            a[3] + b[3],
            a[4] + b[4],
        ])
    }

    /// The co-moments of the pairs summed, given 1 / their count; a hair of rounding below zero
    /// becomes zero.
    #[inline(always)]
    fn co_moments(self, recip_count: f64) -> CoMoments {
        let [sx, sy, sxx, syy, sxy] = self.0;
        let (mx, my) = (sx * recip_count, sy * recip_count);
        let non_negative = |m: f64| if m < 0.0 { 0.0 } else { m };
        CoMoments {
            m2x: non_negative(sxx - sx * mx),
            m2y: non_negative(syy - sy * my),
            cxy: sxy - sx * my,
        }
    }
}

/// `finish(co-moments of the window ending at t)` for every t, in blocks of `window` pairs like
/// `sliding::map_windows`: each window is a suffix of the previous block joined to a prefix of the
/// current one.
///
/// Every sum is of deviations from the first pair of the current block, which lies inside every
/// window ending in that block. So Σdx² ≤ (2·window + 1)·m2x and `Σdx² − (Σdx)²/n` loses at most a
/// few dozen ulps however far the series sits from zero (no E[x²] − E[x]² cancellation).
fn map_pair_windows(
    xs: &[f64],
    ys: &[f64],
    window: usize,
    out: &mut [f64],
    finish: impl Fn(CoMoments) -> f64,
) {
    out[..window - 1].fill(f64::NAN);
    let recip_count = 1.0 / window as f64;
    // suffix[i]: the previous block's pairs from offset i on, shifted by this block's first pair.
    let mut suffix = vec![ShiftedSums::default(); window + 1];
    let blocks = xs.chunks(window).zip(ys.chunks(window));
    for (index, ((bx, by), slots)) in blocks.zip(out.chunks_mut(window)).enumerate() {
        let (cx, cy) = (bx[0], by[0]);
        let mut prefix = ShiftedSums::default();
        let pairs = bx.iter().zip(by).zip(slots).zip(&suffix[1..]);
        for (offset, (((&x, &y), slot), &earlier)) in pairs.enumerate() {
            prefix = prefix.push(x - cx, y - cy);
            if index > 0 || offset + 1 == window {
                *slot = finish(earlier.merge(prefix).co_moments(recip_count));
            }
        }
        let next = (index + 1) * window;
        if bx.len() == window && next < xs.len() {
            let (cx, cy) = (xs[next], ys[next]);
            let mut back = ShiftedSums::default();
            for ((&x, &y), slot) in bx.iter().zip(by).zip(suffix.iter_mut()).rev() {
                back = back.push(x - cx, y - cy);
                *slot = back;
            }
        }
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
