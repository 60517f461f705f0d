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
