//! Sliding-window aggregation that never subtracts a value back out of a running total.
//!
//! A running sum that adds the new value and subtracts the old one loses digits whenever a large
//! value leaves the window, and a NaN poisons it forever. Instead the series is cut into blocks of
//! `window` values: every window is a suffix of one block joined to a prefix of the next, and both
//! are accumulated from scratch (van Herk / Gil-Werman). Each output is then as accurate as a
//! direct computation over its window, at O(1) cost per value.

/// A summary of a run of values that can absorb one more value or a following run.
///
/// The driver knows every run's length from its position, so it hands over `1 / count` and the
/// later run's share of a merge instead of making the summary divide.
pub trait Aggregate: Copy {
    /// The summary of no values.
    const EMPTY: Self;
    /// Adds one value; `recip_count` is 1 / (count after adding it).
    fn push(self, value: f64, recip_count: f64) -> Self;
    /// Joins this run with the run that follows it; `later_share` is later count / total count.
    fn merge(self, later: Self, later_share: f64) -> Self;
}

/// Writes `finish(summary of values[t + 1 - window..=t])` to `out[t]` for every `t >= window - 1`.
///
/// `out` must be as long as `values` and `window` at least 1; `out[..window - 1]` is left as is.
pub fn map_windows<A: Aggregate>(
    values: &[f64],
    window: usize,
    out: &mut [f64],
    finish: impl Fn(A) -> f64,
) {
    debug_assert!(window >= 1 && out.len() == values.len());
    let recip: Vec<f64> = (0..=window).map(|count| 1.0 / count as f64).collect();
    let share: Vec<f64> = (1..=window)
        .map(|count| count as f64 / window as f64)
        .collect();
    // suffix[i] summarises the previous block from its offset i to its end.
    let mut suffix = vec![A::EMPTY; window];
    let mut next_suffix = vec![A::EMPTY; window];
    let blocks = values.chunks(window).zip(out.chunks_mut(window));
    for (index, (block, slots)) in blocks.enumerate() {
        let mut prefix = A::EMPTY;
        if block.len() < window {
            if index > 0 {
                for (offset, (&value, slot)) in block.iter().zip(slots).enumerate() {
                    prefix = prefix.push(value, recip[offset + 1]);
                    *slot = finish(suffix[offset + 1].merge(prefix, share[offset]));
                }
            }
            continue;
        }
        let mut back = A::EMPTY;
        for offset in 0..window {
            prefix = prefix.push(block[offset], recip[offset + 1]);
            // The next block's suffixes, built in the same loop: two independent dependency
            // chains that the CPU overlaps, instead of two loops that each wait on one chain.
            let mirror = window - 1 - offset;
            back = back.push(block[mirror], recip[offset + 1]);
            next_suffix[mirror] = back;
            if index > 0 {
                let summary = if offset + 1 == window {
                    prefix
                } else {
                    suffix[offset + 1].merge(prefix, share[offset])
                };
                slots[offset] = finish(summary);
            }
        }
        if index == 0 {
            slots[window - 1] = finish(prefix);
        }
        std::mem::swap(&mut suffix, &mut next_suffix);
    }
}

/// `map_windows` for plain sums, with the running sums taken four values at a time.
///
/// A running sum is one chain of dependent additions; here the chain advances by a group's
/// partial sums (`p + (x0 + x1)`, ...) so it carries one addition per four values, and the CPU
/// overlaps the rest. Windows shorter than 8 go through `map_windows`.
pub fn map_window_sums(
    values: &[f64],
    window: usize,
    out: &mut [f64],
    finish: impl Fn(f64) -> f64,
) {
    debug_assert!(window >= 1 && out.len() == values.len());
    if window < 8 {
        map_windows(values, window, out, |sum: Sum| finish(sum.0));
        return;
    }
    // suffix[i]: the previous block's sum from offset i to its end; suffix[window] = 0.
    let mut suffix = vec![0.0; window + 1];
    let mut next_suffix = vec![0.0; window + 1];
    let blocks = values.chunks(window).zip(out.chunks_mut(window));
    for (index, (block, slots)) in blocks.enumerate() {
        if index > 0 {
            prefix_windows(block, &suffix, slots, &finish);
        }
        if block.len() == window {
            suffix_sums(block, &mut next_suffix);
            if index == 0 {
                slots[window - 1] = finish(next_suffix[0]);
            }
            std::mem::swap(&mut suffix, &mut next_suffix);
        }
    }
}

/// `slots[i] = finish(suffix[i + 1] + block[..=i].sum())`, four values per step of the chain.
#[inline(always)]
fn prefix_windows(block: &[f64], suffix: &[f64], slots: &mut [f64], finish: &impl Fn(f64) -> f64) {
    let mut total = 0.0;
    let groups = block.chunks_exact(4).zip(slots.chunks_exact_mut(4));
    for (group, (x, o)) in groups.enumerate() {
        let base = group * 4;
        let (a0, a1) = (x[0], x[0] + x[1]);
        let (a2, a3) = (a1 + x[2], a1 + (x[2] + x[3]));
        o[0] = finish(suffix[base + 1] + (total + a0));
        o[1] = finish(suffix[base + 2] + (total + a1));
        o[2] = finish(suffix[base + 3] + (total + a2));
        o[3] = finish(suffix[base + 4] + (total + a3));
        total += a3;
    }
    let done = block.len() / 4 * 4;
    for i in done..block.len() {
        total += block[i];
        slots[i] = finish(suffix[i + 1] + total);
    }
}

/// `suffix[i] = block[i..].sum()` for every offset, `suffix[block.len()] = 0`; four per step.
#[inline(always)]
fn suffix_sums(block: &[f64], suffix: &mut [f64]) {
    let len = block.len();
    suffix[len] = 0.0;
    let mut total = 0.0;
    let head = len % 4;
    for start in (head..len).step_by(4).rev() {
        let x = &block[start..start + 4];
        let (b3, b2) = (x[3], x[3] + x[2]);
        let (b1, b0) = (b2 + x[1], b2 + (x[1] + x[0]));
        suffix[start + 3] = total + b3;
        suffix[start + 2] = total + b2;
        suffix[start + 1] = total + b1;
        suffix[start] = total + b0;
        total += b0;
    }
    for i in (0..head).rev() {
        total += block[i];
        suffix[i] = total;
    }
}

/// A plain sum.
#[derive(Clone, Copy, Debug)]
pub struct Sum(pub f64);

impl Aggregate for Sum {
    const EMPTY: Self = Sum(0.0);
    #[inline(always)]
    fn push(self, value: f64, _recip_count: f64) -> Self {
        Sum(self.0 + value)
    }
    #[inline(always)]
    fn merge(self, later: Self, _later_share: f64) -> Self {
        Sum(self.0 + later.0)
    }
}

/// Count, mean and sum of squared deviations (Welford to push; Chan et al. to merge).
///
/// Every term added to `m2` is non-negative, so it never cancels and never goes below zero.
#[derive(Clone, Copy, Debug)]
pub struct Moments {
    pub count: f64,
    pub mean: f64,
    pub m2: f64,
}

impl Aggregate for Moments {
    const EMPTY: Self = Moments {
        count: 0.0,
        mean: 0.0,
        m2: 0.0,
    };
    #[inline(always)]
    fn push(self, value: f64, recip_count: f64) -> Self {
        let delta = value - self.mean;
        let mean = self.mean + delta * recip_count;
        Moments {
            count: self.count + 1.0,
            mean,
            m2: self.m2 + delta * (value - mean),
        }
    }
    #[inline(always)]
    fn merge(self, later: Self, later_share: f64) -> Self {
        let delta = later.mean - self.mean;
        Moments {
            count: self.count + later.count,
            mean: self.mean + delta * later_share,
            m2: self.m2 + later.m2 + delta * delta * (self.count * later_share),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows<A: Aggregate>(values: &[f64], window: usize, finish: impl Fn(A) -> f64) -> Vec<f64> {
        let mut out = vec![f64::NAN; values.len()];
        map_windows(values, window, &mut out, finish);
        out
    }

    #[test]
    fn every_window_sum_equals_the_direct_sum() {
        let values: Vec<f64> = (0..23).map(|i| f64::from(i * i % 7)).collect();
        for window in 1..=values.len() {
            let sums = windows(&values, window, |s: Sum| s.0);
            for t in window - 1..values.len() {
                let direct: f64 = values[t + 1 - window..=t].iter().sum();
                assert_eq!(sums[t], direct, "window {window}, t {t}");
            }
            assert!(sums[..window - 1].iter().all(|s| s.is_nan()));
        }
    }

    #[test]
    fn every_grouped_window_sum_equals_the_direct_sum() {
        let values: Vec<f64> = (0..61).map(|i| f64::from(i * i % 11) - 3.0).collect();
        for window in 1..=values.len() {
            let mut sums = vec![f64::NAN; values.len()];
            map_window_sums(&values, window, &mut sums, |s| s);
            for t in window - 1..values.len() {
                let direct: f64 = values[t + 1 - window..=t].iter().sum();
                assert_eq!(sums[t], direct, "window {window}, t {t}");
            }
            assert!(sums[..window - 1].iter().all(|s| s.is_nan()));
        }
    }

    #[test]
    fn every_window_variance_equals_the_two_pass_variance() {
        let values: Vec<f64> = (0..31)
            .map(|i| f64::from(i * 7919 % 13) * 0.37 - 1.5)
            .collect();
        for window in 1..=values.len() {
            let m2 = windows(&values, window, |m: Moments| m.m2);
            for t in window - 1..values.len() {
                let run = &values[t + 1 - window..=t];
                let mean = run.iter().sum::<f64>() / window as f64;
                let direct: f64 = run.iter().map(|v| (v - mean) * (v - mean)).sum();
                assert!(
                    (m2[t] - direct).abs() <= 1e-12 * (1.0 + direct),
                    "window {window}"
                );
            }
        }
    }
}
