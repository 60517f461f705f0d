//! TA-Lib's oscillators: Stochastic, Williams %R, ROC, momentum, CCI and MFI.
//!
//! Window indicators: an output is NaN when its look-back reaches a NaN in any input, and the
//! warm-up starts again after each gap (TA-Lib only skips leading NaNs).
use crate::chunked::par_local;
use crate::error::KernelError;
use crate::gaps::{by_runs, lead, ta_is_zero};
use crate::rolling::{any_nan, for_each_high_low_block};
use crate::series::avx2_dispatch;
use crate::ta_averages::{check_lengths, check_period};

/// TA-Lib's STOCH with SMA smoothing: slow %K = SMA(fast %K, slowk), slow %D = SMA(slow %K, slowd).
///
/// Fast %K = 100·(close − lowest low) / (highest high − lowest low) over `fastk` bars, 0 when the
/// range is empty. Both outputs start at `fastk − 1 + slowk − 1 + slowd − 1`.
#[allow(clippy::too_many_arguments)]
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    k_out: &mut [f64],
    d_out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(
        &[("high", high), ("low", low), ("close", close)],
        &[k_out, d_out],
    )?;
    let len = high.len();
    check_period("fastk_period", fastk, 1, len)?;
    check_period("slowk_period", slowk, 1, len)?;
    check_period("slowd_period", slowd, 1, len)?;
    // One pass: window extremes by blocks, the two SMAs as running sums restarted after each gap
    // (TA-Lib's `TA_INT_SMA` operation order), so no temporaries.
    let mut slow_k = RunningMean::new(slowk);
    let mut slow_d = RunningMean::new(slowd);
    let mut fast_from = fastk - 1;
    for_each_high_low_block(high, low, fastk, |base, highest, lowest| {
        for (offset, (&highest, &lowest)) in highest.iter().zip(lowest).enumerate() {
            let t = base + offset;
            let (mut k, mut d) = (f64::NAN, f64::NAN);
            if high[t].is_nan() || low[t].is_nan() || close[t].is_nan() {
                slow_k.reset();
                slow_d.reset();
                fast_from = t + fastk;
            } else if t >= fast_from {
                let diff = (highest - lowest) / 100.0;
                let fast = if diff != 0.0 {
                    (close[t] - lowest) / diff
                } else {
                    0.0
                };
                if let Some(slow) = slow_k.push(fast) {
                    if let Some(signal) = slow_d.push(slow) {
                        (k, d) = (slow, signal);
                    }
                }
            }
            k_out[t] = k;
            d_out[t] = d;
        }
    });
    Ok(())
}

/// TA-Lib's running-sum SMA fed one value at a time: `total += x; mean = total / n; total -= oldest`.
struct RunningMean {
    ring: Vec<f64>,
    next: usize,
    seen: usize,
    total: f64,
    divisor: f64,
}

impl RunningMean {
    /// `Iterator::sum`'s start, so the warm-up sum rounds exactly as a plain `.sum()` does.
    const SUM_START: f64 = -0.0;

    fn new(period: usize) -> Self {
        RunningMean {
            ring: vec![0.0; period],
            next: 0,
            seen: 0,
            total: Self::SUM_START,
            divisor: period as f64,
        }
    }

    fn reset(&mut self) {
        self.next = 0;
        self.seen = 0;
        self.total = Self::SUM_START;
    }

    /// The mean of the last `period` values, once `period` values have been pushed.
    #[inline(always)]
    fn push(&mut self, value: f64) -> Option<f64> {
        let period = self.ring.len();
        self.total += value;
        self.ring[self.next] = value;
        self.next += 1;
        if self.next == period {
            self.next = 0;
        }
        if self.seen + 1 < period {
            self.seen += 1;
            return None;
        }
        let mean = self.total / self.divisor;
        // The ring slot after the newest holds the oldest value of this window.
        self.total -= self.ring[self.next];
        Some(mean)
    }
}

/// Williams %R: −100·(highest high − close) / (highest high − lowest low); 0 for an empty range.
pub fn willr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("high", high), ("low", low), ("close", close)], &[out])?;
    check_period("period", period, 1, high.len())?;
    par_local(
        [high, low, close],
        [out],
        period - 1,
        1,
        |[h, l, c], [out]| willr_pass(h, l, c, period, out),
    );
    Ok(())
}

/// `willr` in one sequential pass (inputs already checked).
fn willr_pass(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    // Fused: NaN until `period` bars after the last gap in any input (the warm-up restarts).
    let mut clean_from = period - 1;
    for_each_high_low_block(high, low, period, |base, highest, lowest| {
        let end = base + highest.len();
        let (h, l, c) = (&high[base..end], &low[base..end], &close[base..end]);
        if clean_from <= base && !any_nan(h) && !any_nan(l) && !any_nan(c) {
            williams_block(&mut out[base..end], highest, lowest, c);
            return;
        }
        let extremes = highest.iter().zip(lowest);
        let slots = out[base..end].iter_mut().zip(c);
        let bars = slots.zip(h.iter().zip(l)).zip(extremes);
        for (offset, (((slot, &c), (&h, &l)), (&highest, &lowest))) in bars.enumerate() {
            let t = base + offset;
            if h.is_nan() || l.is_nan() || c.is_nan() {
                clean_from = t + period;
            }
            *slot = if t >= clean_from {
                williams(highest, lowest, c)
            } else {
                f64::NAN
            };
        }
    });
}

/// −100·(highest − close) / (highest − lowest); 0 for an empty range (TA-Lib's WILLR).
#[inline(always)]
fn williams(highest: f64, lowest: f64, close: f64) -> f64 {
    let diff = (highest - lowest) / -100.0;
    // Divide unconditionally and select: branch-free, so loops over it vectorise.
    let index = (highest - close) / diff;
    if diff != 0.0 {
        index
    } else {
        0.0
    }
}

/// `williams` over a block of clean windows.
#[inline(always)]
fn williams_block_generic(slots: &mut [f64], highest: &[f64], lowest: &[f64], close: &[f64]) {
    let bars = highest.iter().zip(lowest).zip(close);
    for (slot, ((&highest, &lowest), &close)) in slots.iter_mut().zip(bars) {
        *slot = williams(highest, lowest, close);
    }
}

avx2_dispatch! {
    /// `williams_block_generic`, with AVX2 where the CPU has it.
    fn williams_block(slots: &mut [f64], highest: &[f64], lowest: &[f64], close: &[f64]) -> ()
        = williams_block_generic
}

/// Rate of change in percent: 100·(x[t] / x[t − period] − 1); 0 for a zero base, as TA-Lib.
///
/// NaN when either end is NaN.
pub fn roc(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    let (head, rest) = out.split_at_mut(period);
    head.fill(f64::NAN);
    rates_of_change(rest, &values[period..], values);
    Ok(())
}

/// `slot = 100·(now / base − 1)`, 0 for a zero base (NaN if `now` is NaN), branch-free.
#[inline(always)]
fn rates_of_change_generic(slots: &mut [f64], now: &[f64], base: &[f64]) {
    for ((slot, &now), &base) in slots.iter_mut().zip(now).zip(base) {
        let change = ((now / base) - 1.0) * 100.0;
        // Selects the compiler vectorises: NaN `now` gives NaN either way.
        let zero_base = if now.is_nan() { f64::NAN } else { 0.0 };
        *slot = if base != 0.0 { change } else { zero_base };
    }
}

avx2_dispatch! {
    /// `rates_of_change_generic`, with AVX2 where the CPU has it.
    fn rates_of_change(slots: &mut [f64], now: &[f64], base: &[f64]) -> () = rates_of_change_generic
}

/// Momentum: x[t] − x[t − period]; NaN when either end is NaN.
pub fn mom(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    let (head, rest) = out.split_at_mut(period);
    head.fill(f64::NAN);
    for ((slot, &now), &base) in rest.iter_mut().zip(&values[period..]).zip(values) {
        *slot = now - base;
    }
    Ok(())
}

/// Commodity channel index over typical price (h + l + c) / 3, with TA-Lib's 0.015 constant.
///
/// 0 when the price equals its mean or the mean deviation is 0, as TA-Lib.
pub fn cci(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("high", high), ("low", low), ("close", close)], &[out])?;
    check_period("period", period, 1, high.len())?;
    par_local(
        [high, low, close],
        [out],
        period - 1,
        1,
        |[h, l, c], [out]| cci_pass(h, l, c, period, out),
    );
    Ok(())
}

/// `cci` in one sequential pass (inputs already checked).
fn cci_pass(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    by_runs([high, low, close], [out], |[h, l, c], [out]| {
        if !lead(out, period - 1) {
            return;
        }
        let typical: Vec<f64> = (0..c.len()).map(|i| (h[i] + l[i] + c[i]) / 3.0).collect();
        let p = period as f64;
        for t in period - 1..c.len() {
            let window = &typical[t + 1 - period..=t];
            let average = window.iter().sum::<f64>() / p;
            let deviation: f64 = window.iter().map(|v| (v - average).abs()).sum();
            let distance = typical[t] - average;
            out[t] = if distance != 0.0 && deviation != 0.0 {
                distance / (0.015 * (deviation / p))
            } else {
                0.0
            };
        }
    });
}

/// Money flow index: TA-Lib's running positive and negative money flows over `period` changes.
///
/// First value at `period`; 0 when there was no money flow at all, as TA-Lib.
pub fn mfi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(
        &[
            ("high", high),
            ("low", low),
            ("close", close),
            ("volume", volume),
        ],
        &[out],
    )?;
    check_period("period", period, 1, high.len())?;
    // One pass, restarting after each gap: `seen` counts the bars of the current clean run.
    let mut flows = vec![(0.0f64, 0.0f64); period];
    let (mut positive, mut negative) = (0.0, 0.0);
    // Nonzero flows in the window on each side: when the last one leaves, the running sum is
    // reset to exactly 0, not left at the rounding residue of adding and subtracting it.
    let (mut ups, mut downs) = (0usize, 0usize);
    let (mut seen, mut slot) = (0usize, 0usize);
    let mut previous = 0.0;
    for t in 0..close.len() {
        let (h, l, c, v) = (high[t], low[t], close[t], volume[t]);
        if h.is_nan() || l.is_nan() || c.is_nan() || v.is_nan() {
            (positive, negative, seen, slot) = (0.0, 0.0, 0, 0);
            (ups, downs) = (0, 0);
            out[t] = f64::NAN;
            continue;
        }
        let typical = (h + l + c) / 3.0;
        if seen == 0 {
            previous = typical;
            seen = 1;
            out[t] = f64::NAN;
            continue;
        }
        if seen > period {
            let (left_up, left_down) = flows[slot];
            positive -= left_up;
            negative -= left_down;
            ups -= usize::from(left_up != 0.0);
            downs -= usize::from(left_down != 0.0);
        }
        let change = typical - previous;
        previous = typical;
        let flow = typical * v;
        // Selects, not branches: the sign of a change is a coin flip. Adding 0.0 to a sum that
        // starts at +0.0 never changes it.
        let down = if change < 0.0 { flow } else { 0.0 };
        let up = if change > 0.0 { flow } else { 0.0 };
        negative += down;
        positive += up;
        ups += usize::from(up != 0.0);
        downs += usize::from(down != 0.0);
        if ups == 0 {
            positive = 0.0;
        }
        if downs == 0 {
            negative = 0.0;
        }
        flows[slot] = (up, down);
        slot += 1;
        if slot == period {
            slot = 0;
        }
        out[t] = if seen >= period {
            let total = positive + negative;
            if ta_is_zero(total) {
                0.0
            } else {
                100.0 * (positive / total)
            }
        } else {
            f64::NAN
        };
        seen += 1;
    }
    Ok(())
}
