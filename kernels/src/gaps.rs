//! How the TA indicators treat NaN: by clean runs (window indicators) or until the first gap
//! (recursive indicators). TA-Lib itself only skips leading NaNs.
use std::ops::Range;

/// Maximal index ranges where no input is NaN.
pub fn clean_runs(inputs: &[&[f64]]) -> Vec<Range<usize>> {
    let len = inputs.first().map_or(0, |s| s.len());
    let mut runs = Vec::new();
    let mut start = None;
    for i in 0..len {
        let gap = inputs.iter().any(|s| s[i].is_nan());
        match (gap, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..len);
    }
    runs
}

/// From the first index where no input is NaN up to the next index where one is.
pub fn leading_run(inputs: &[&[f64]]) -> Range<usize> {
    let len = inputs.first().map_or(0, |s| s.len());
    let gap = |i: usize| inputs.iter().any(|s| s[i].is_nan());
    let start = (0..len).find(|&i| !gap(i)).unwrap_or(len);
    let end = (start..len).find(|&i| gap(i)).unwrap_or(len);
    start..end
}

/// Fills every slot of `out` outside `runs` (sorted, disjoint) with NaN.
pub fn fill_outside(out: &mut [f64], runs: &[Range<usize>]) {
    let mut previous = 0;
    for run in runs {
        out[previous..run.start].fill(f64::NAN);
        previous = run.end;
    }
    out[previous..].fill(f64::NAN);
}

/// Runs `kernel` on every clean run of `inputs` (NaN everywhere else): an output is NaN exactly
/// when its look-back reaches a NaN, and the indicator restarts its warm-up after each gap.
pub fn by_runs<const I: usize, const O: usize>(
    inputs: [&[f64]; I],
    outputs: [&mut [f64]; O],
    mut kernel: impl FnMut([&[f64]; I], [&mut [f64]; O]),
) {
    let runs = clean_runs(&inputs);
    let mut outputs = outputs;
    for out in outputs.iter_mut() {
        fill_outside(out, &runs);
    }
    for run in runs {
        let ins = inputs.map(|s| &s[run.clone()]);
        let outs = outputs.each_mut().map(|s| &mut s[run.clone()]);
        kernel(ins, outs);
    }
}

/// Runs `kernel` from the first index where every input is present up to the next NaN; every
/// other output is NaN. For recursive indicators, which never forget a NaN (like TA-Lib's EMA).
pub fn until_gap<const I: usize, const O: usize>(
    inputs: [&[f64]; I],
    outputs: [&mut [f64]; O],
    kernel: impl FnOnce([&[f64]; I], [&mut [f64]; O]),
) {
    let run = leading_run(&inputs);
    let mut outputs = outputs;
    for out in outputs.iter_mut() {
        fill_outside(out, std::slice::from_ref(&run));
    }
    let ins = inputs.map(|s| &s[run.clone()]);
    let outs = outputs.each_mut().map(|s| &mut s[run.clone()]);
    kernel(ins, outs);
}

/// TA-Lib's `TA_IS_ZERO` as built into the `talib` wheels we test against: exactly zero (older
/// TA-Lib releases used a 1e-8 band, which zeroed the DIs and NATR of low-priced series).
#[inline(always)]
pub fn ta_is_zero(value: f64) -> bool {
    value == 0.0
}

/// Fills `out[..lead.min(len)]` with NaN and says whether anything is left to compute.
#[inline]
pub fn lead(out: &mut [f64], lead: usize) -> bool {
    let n = lead.min(out.len());
    out[..n].fill(f64::NAN);
    lead < out.len()
}
