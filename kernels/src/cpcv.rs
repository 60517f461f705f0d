//! Combinatorial purged cross-validation (López de Prado, *Advances in Financial Machine
//! Learning*, ch. 12): `n` samples in `N` contiguous groups, every `k`-combination of groups
//! tested once, training on the rest after purging and an embargo.
//!
//! Groups follow skfolio: each has `n / N` samples and the last one also takes the remainder.
//! Adjacent test groups form one test *block*; purging and the embargo act around blocks.
//!
//! - [`Purge::Samples`] (skfolio): `p` samples before each block and `p` after it are purged.
//! - [`Purge::LabelEnds`] (AFML): a training sample whose label interval `[t_i, t1_i]` overlaps
//!   a block's `[first test time, latest test label end]` is purged; times are sorted, so after
//!   a block this drops a contiguous run, before it any sample whose label reaches the block.
//!
//! The embargo then drops the `h` samples that follow what was purged after each block.
use std::ops::Range;

use rayon::prelude::*;

use crate::error::KernelError;
use crate::huge_pages;

/// More splits than any sensible CPCV (each one is a model fit); also skfolio's cap.
pub const MAX_SPLITS: usize = 100_000;

/// One split's `(train, test)` sample indices, each ascending.
pub type SplitIndices = (Vec<i64>, Vec<i64>);

/// How training samples next to a test block are purged.
#[derive(Clone, Debug, PartialEq)]
pub enum Purge {
    /// A fixed number of samples on each side of every test block (skfolio's `purged_size`).
    Samples(usize),
    /// By label interval: `times` sorted, `label_ends[i] >= times[i]`, both in the same unit.
    LabelEnds {
        times: Vec<i64>,
        label_ends: Vec<i64>,
    },
}

/// Where a group's purge reaches, precomputed once so a split costs only its output.
#[derive(Clone, Copy, Debug)]
struct Reach {
    /// First sample after the group that no label overlap (or `purged_size`) removes.
    after: usize,
    /// Samples in `before..start` are purged (`Samples`) or checked (`LabelEnds`): none earlier
    /// has a label reaching the group's first time.
    before: usize,
    /// The group's first time, which a checked label must not reach.
    first_time: i64,
}

/// A CPCV configuration bound to a sample count: groups, combinations, purge reach.
#[derive(Clone, Debug)]
pub struct CpcvPlan {
    n_samples: usize,
    bounds: Vec<usize>,
    n_test_groups: usize,
    /// Test groups of every split, `n_test_groups` per split, in lexicographic order.
    combinations: Vec<usize>,
    reach: Vec<Reach>,
    embargo: usize,
    /// Label ends when purging by label interval (checked one by one before a block).
    label_ends: Option<Vec<i64>>,
}

fn invalid(name: &'static str, reason: String) -> KernelError {
    KernelError::Invalid { name, reason }
}

/// C(n, k), or `None` past `MAX_SPLITS`.
fn binomial_capped(n: usize, k: usize) -> Option<usize> {
    let k = k.min(n - k);
    let mut value: u128 = 1;
    for i in 0..k {
        value = value * (n - i) as u128 / (i + 1) as u128;
        if value > MAX_SPLITS as u128 {
            return None;
        }
    }
    Some(value as usize)
}

/// Group boundaries: `N + 1` offsets, `n / N` samples a group, the remainder in the last one.
pub fn group_bounds(n_samples: usize, n_groups: usize) -> Vec<usize> {
    let size = n_samples / n_groups;
    let mut bounds: Vec<usize> = (0..n_groups).map(|g| g * size).collect();
    bounds.push(n_samples);
    bounds
}

/// Every `k`-combination of `0..n` in lexicographic order, flattened.
pub fn combinations(n: usize, k: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut current: Vec<usize> = (0..k).collect();
    loop {
        out.extend_from_slice(&current);
        // Rightmost position that can still move right.
        let Some(i) = (0..k).rev().find(|&i| current[i] < n - k + i) else {
            return out;
        };
        current[i] += 1;
        for j in i + 1..k {
            current[j] = current[j - 1] + 1;
        }
    }
}

/// Backtest path of each (split, test group): the group's rank among the splits testing it.
///
/// A group is tested in `C(N-1, k-1)` splits, so that many paths each cover every group once;
/// this is skfolio's `get_path_ids`.
pub fn path_ids(n_groups: usize, combinations: &[usize]) -> Vec<usize> {
    let mut tested = vec![0; n_groups];
    combinations
        .iter()
        .map(|&group| {
            tested[group] += 1;
            tested[group] - 1
        })
        .collect()
}

fn check_label_ends(
    times: &[i64],
    label_ends: &[i64],
    n_samples: usize,
) -> Result<(), KernelError> {
    for (name, values) in [("times", times), ("label_end_times", label_ends)] {
        if values.len() != n_samples {
            let reason = format!("has {} values for {n_samples} samples", values.len());
            return Err(invalid(name, reason));
        }
    }
    if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
        return Err(invalid(
            "times",
            format!("not sorted: index {} is before index {i}", i + 1),
        ));
    }
    if let Some(i) = (0..n_samples).find(|&i| label_ends[i] < times[i]) {
        let reason = format!("index {i} ends before its time");
        return Err(invalid("label_end_times", reason));
    }
    Ok(())
}

impl CpcvPlan {
    /// Checks the configuration and precomputes each group's purge reach in O(n).
    pub fn new(
        n_samples: usize,
        n_groups: usize,
        n_test_groups: usize,
        purge: Purge,
        embargo: usize,
    ) -> Result<Self, KernelError> {
        if n_groups < 2 || n_groups > n_samples {
            let reason = format!("must be between 2 and n_samples ({n_samples}), got {n_groups}");
            return Err(invalid("n_groups", reason));
        }
        if n_test_groups < 1 || n_test_groups >= n_groups {
            let reason = format!("must be between 1 and n_groups - 1, got {n_test_groups}");
            return Err(invalid("n_test_groups", reason));
        }
        if binomial_capped(n_groups, n_test_groups).is_none() {
            let reason = format!("C({n_groups}, {n_test_groups}) exceeds {MAX_SPLITS} splits");
            return Err(invalid("n_test_groups", reason));
        }
        let bounds = group_bounds(n_samples, n_groups);
        let (reach, label_ends) = match purge {
            Purge::Samples(size) => {
                let reach = bounds
                    .windows(2)
                    .map(|w| Reach {
                        after: w[1].saturating_add(size).min(n_samples),
                        before: w[0].saturating_sub(size),
                        first_time: 0,
                    })
                    .collect();
                (reach, None)
            }
            Purge::LabelEnds { times, label_ends } => {
                check_label_ends(&times, &label_ends, n_samples)?;
                // Running maximum of label ends: before index `before`, no label reaches a time.
                let mut latest = Vec::with_capacity(n_samples);
                let mut running = i64::MIN;
                for &end in &label_ends {
                    running = running.max(end);
                    latest.push(running);
                }
                let reach = bounds
                    .windows(2)
                    .map(|w| {
                        let first_time = times[w[0]];
                        let last_end = label_ends[w[0]..w[1]].iter().copied().max();
                        let last_end = last_end.unwrap_or(i64::MIN);
                        Reach {
                            after: times.partition_point(|&t| t <= last_end),
                            before: latest.partition_point(|&end| end < first_time),
                            first_time,
                        }
                    })
                    .collect();
                (reach, Some(label_ends))
            }
        };
        Ok(Self {
            n_samples,
            combinations: combinations(n_groups, n_test_groups),
            bounds,
            n_test_groups,
            reach,
            embargo,
            label_ends,
        })
    }

    pub fn n_splits(&self) -> usize {
        self.combinations.len() / self.n_test_groups
    }

    pub fn bounds(&self) -> &[usize] {
        &self.bounds
    }

    /// Test groups of every split, `n_test_groups` per split.
    pub fn combinations(&self) -> &[usize] {
        &self.combinations
    }

    pub fn test_groups(&self, split: usize) -> &[usize] {
        let k = self.n_test_groups;
        &self.combinations[split * k..(split + 1) * k]
    }

    /// Number of test samples of `split`.
    pub fn test_len(&self, split: usize) -> usize {
        let b = &self.bounds;
        self.test_groups(split)
            .iter()
            .map(|&g| b[g + 1] - b[g])
            .sum()
    }

    /// Calls `keep` with the runs of training samples of `split`, in ascending order.
    pub fn for_each_train_run(&self, split: usize, mut keep: impl FnMut(Range<usize>)) {
        let groups = self.test_groups(split);
        // Samples before `cleared` are purged or embargoed after an earlier block.
        let (mut cursor, mut cleared) = (0, 0);
        let mut g = 0;
        while g < groups.len() {
            let first = groups[g];
            while g + 1 < groups.len() && groups[g + 1] == groups[g] + 1 {
                g += 1;
            }
            let (start, end) = (self.bounds[first], self.bounds[groups[g] + 1]);
            self.keep_before(cursor.max(cleared)..start, &self.reach[first], &mut keep);
            // A label in an earlier group of the block may outlast the block's last label.
            let purged_to = (first..=groups[g]).map(|h| self.reach[h].after).max();
            let purged_to = purged_to.unwrap_or(end).max(end);
            cleared = cleared.max(purged_to.saturating_add(self.embargo).min(self.n_samples));
            cursor = end;
            g += 1;
        }
        let tail = cursor.max(cleared)..self.n_samples;
        if !tail.is_empty() {
            keep(tail);
        }
    }

    /// Keeps the samples of `gap` (which ends where a block starts) that the block's purge spares.
    fn keep_before(&self, gap: Range<usize>, reach: &Reach, keep: &mut impl FnMut(Range<usize>)) {
        if gap.is_empty() {
            return;
        }
        let safe_end = reach.before.clamp(gap.start, gap.end);
        if safe_end > gap.start {
            keep(gap.start..safe_end);
        }
        let Some(label_ends) = &self.label_ends else {
            return; // Purge::Samples drops the whole of safe_end..gap.end
        };
        let mut run_start = None;
        for (i, &end) in (safe_end..gap.end).zip(&label_ends[safe_end..gap.end]) {
            let spared = end < reach.first_time;
            match (spared, run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(s)) => {
                    keep(s..i);
                    run_start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = run_start {
            keep(s..gap.end);
        }
    }

    /// Training sample indices of `split`, ascending.
    pub fn train_indices(&self, split: usize) -> Vec<i64> {
        let mut out = huge_pages::vec_with_capacity(self.n_samples - self.test_len(split));
        self.for_each_train_run(split, |run| out.extend(run.start as i64..run.end as i64));
        out
    }

    /// Test sample indices of `split`: its groups' samples, ascending.
    pub fn test_indices(&self, split: usize) -> Vec<i64> {
        let mut out = huge_pages::vec_with_capacity(self.test_len(split));
        for &g in self.test_groups(split) {
            out.extend(self.bounds[g] as i64..self.bounds[g + 1] as i64);
        }
        out
    }

    /// `(train, test)` indices of each of `splits`, computed in parallel.
    pub fn split_indices(&self, splits: &[usize]) -> Result<Vec<SplitIndices>, KernelError> {
        if let Some(&bad) = splits.iter().find(|&&s| s >= self.n_splits()) {
            let reason = format!("split {bad} is not below {}", self.n_splits());
            return Err(invalid("splits", reason));
        }
        Ok(splits
            .par_iter()
            .map(|&s| (self.train_indices(s), self.test_indices(s)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(plan: &CpcvPlan, split: usize) -> Vec<i64> {
        plan.train_indices(split)
    }

    #[test]
    fn combinations_are_lexicographic() {
        assert_eq!(combinations(4, 2), vec![0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3]);
        assert_eq!(combinations(3, 1), vec![0, 1, 2]);
    }

    #[test]
    fn path_ids_rank_each_group_among_its_splits() {
        // skfolio's get_path_ids for N=4, k=2.
        let ids = path_ids(4, &combinations(4, 2));
        assert_eq!(ids, vec![0, 0, 1, 0, 2, 0, 1, 1, 2, 1, 2, 2]);
    }

    #[test]
    fn remainder_goes_to_the_last_group() {
        assert_eq!(group_bounds(14, 5), vec![0, 2, 4, 6, 8, 14]);
    }

    #[test]
    fn sample_purge_matches_skfolio_docstring() {
        let plan = CpcvPlan::new(12, 3, 2, Purge::Samples(1), 0).unwrap();
        assert_eq!(train(&plan, 0), vec![9, 10, 11]);
        assert_eq!(train(&plan, 1), vec![5, 6]);
        assert_eq!(train(&plan, 2), vec![0, 1, 2]);
        let plan = CpcvPlan::new(12, 3, 2, Purge::Samples(0), 1).unwrap();
        assert_eq!(train(&plan, 1), vec![5, 6, 7]);
    }

    #[test]
    fn label_purge_drops_overlaps_and_embargo_follows_the_purge() {
        // 12 samples, labels two steps ahead; groups [0,4) [4,8) [8,12); split 1 tests 0 and 2.
        let times: Vec<i64> = (0..12).collect();
        let ends: Vec<i64> = times.iter().map(|t| t + 2).collect();
        let purge = Purge::LabelEnds {
            times,
            label_ends: ends,
        };
        let plan = CpcvPlan::new(12, 3, 1, purge, 1).unwrap();
        // Test group 1 = [4, 8): interval [4, 9]; 2 and 3 reach 4, 8 and 9 start by 9; 10 embargoed.
        assert_eq!(train(&plan, 1), vec![0, 1, 11]);
    }

    #[test]
    fn bad_configurations_name_the_argument() {
        let err = |r: Result<CpcvPlan, KernelError>| r.unwrap_err().to_string();
        assert!(err(CpcvPlan::new(10, 11, 1, Purge::Samples(0), 0)).starts_with("n_groups"));
        assert!(err(CpcvPlan::new(10, 3, 3, Purge::Samples(0), 0)).starts_with("n_test_groups"));
        assert!(err(CpcvPlan::new(100, 40, 20, Purge::Samples(0), 0)).starts_with("n_test_groups"));
        let unsorted = Purge::LabelEnds {
            times: vec![0, 2, 1, 3],
            label_ends: vec![5; 4],
        };
        assert!(err(CpcvPlan::new(4, 2, 1, unsorted, 0)).starts_with("times"));
        let early = Purge::LabelEnds {
            times: vec![0, 1, 2, 3],
            label_ends: vec![0, 0, 5, 5],
        };
        assert!(err(CpcvPlan::new(4, 2, 1, early, 0)).starts_with("label_end_times"));
    }
}
