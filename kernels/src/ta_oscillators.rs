//! TA-Lib's oscillators: Stochastic, Williams %R, ROC, momentum, CCI and MFI.
//!
//! Window indicators: an output is NaN when its look-back reaches a NaN in any input, and the
//! warm-up starts again after each gap (TA-Lib only skips leading NaNs).
use crate::error::KernelError;
use crate::gaps::{by_runs, lead, ta_is_zero};
use crate::rolling::rolling_extreme;
use crate::ta_averages::{check_lengths, check_period, sma_clean};

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
    by_runs([high, low, close], [k_out, d_out], |[h, l, c], [k, d]| {
        let n = c.len();
        let mut fast = vec![f64::NAN; n];
        if !lead(k, fastk - 1 + slowk - 1 + slowd - 1) {
            d.fill(f64::NAN);
            return;
        }
        percent_k(h, l, c, fastk, &mut fast);
        let first_fast = fastk - 1;
        let mut slow = vec![f64::NAN; n];
        sma_clean(&fast[first_fast..], slowk, &mut slow[first_fast..]);
        let first_slow = first_fast + slowk - 1;
        d[..first_slow].fill(f64::NAN);
        sma_clean(&slow[first_slow..], slowd, &mut d[first_slow..]);
        let first = first_slow + slowd - 1;
        k[first..].copy_from_slice(&slow[first..]);
        d[..first].fill(f64::NAN);
    });
    Ok(())
}

fn percent_k(h: &[f64], l: &[f64], c: &[f64], period: usize, out: &mut [f64]) {
    let n = c.len();
    let mut highest = vec![f64::NAN; n];
    let mut lowest = vec![f64::NAN; n];
    rolling_extreme::<true>(h, period, &mut highest);
    rolling_extreme::<false>(l, period, &mut lowest);
    for t in period - 1..n {
        let diff = (highest[t] - lowest[t]) / 100.0;
        out[t] = if diff != 0.0 {
            (c[t] - lowest[t]) / diff
        } else {
            0.0
        };
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
    by_runs([high, low, close], [out], |[h, l, c], [out]| {
        if !lead(out, period - 1) {
            return;
        }
        let n = c.len();
        let mut highest = vec![f64::NAN; n];
        let mut lowest = vec![f64::NAN; n];
        rolling_extreme::<true>(h, period, &mut highest);
        rolling_extreme::<false>(l, period, &mut lowest);
        for t in period - 1..n {
            let diff = (highest[t] - lowest[t]) / -100.0;
            out[t] = if diff != 0.0 {
                (highest[t] - c[t]) / diff
            } else {
                0.0
            };
        }
    });
    Ok(())
}

/// Rate of change in percent: 100·(x[t] / x[t − period] − 1); 0 for a zero base, as TA-Lib.
///
/// NaN when either end is NaN.
pub fn roc(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[out])?;
    check_period("period", period, 1, values.len())?;
    let (head, rest) = out.split_at_mut(period);
    head.fill(f64::NAN);
    for ((slot, &now), &base) in rest.iter_mut().zip(&values[period..]).zip(values) {
        *slot = if base != 0.0 {
            ((now / base) - 1.0) * 100.0
        } else if now.is_nan() {
            f64::NAN
        } else {
            0.0
        };
    }
    Ok(())
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
    Ok(())
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
    by_runs([high, low, close, volume], [out], |[h, l, c, v], [out]| {
        if !lead(out, period) {
            return;
        }
        let mut flows = vec![(0.0f64, 0.0f64); period];
        let (mut positive, mut negative) = (0.0, 0.0);
        let mut previous = (h[0] + l[0] + c[0]) / 3.0;
        for t in 1..c.len() {
            let slot = (t - 1) % period;
            if t > period {
                positive -= flows[slot].0;
                negative -= flows[slot].1;
            }
            let typical = (h[t] + l[t] + c[t]) / 3.0;
            let change = typical - previous;
            previous = typical;
            let flow = typical * v[t];
            flows[slot] = if change < 0.0 {
                negative += flow;
                (0.0, flow)
            } else if change > 0.0 {
                positive += flow;
                (flow, 0.0)
            } else {
                (0.0, 0.0)
            };
            if t >= period {
                let total = positive + negative;
                out[t] = if ta_is_zero(total) {
                    0.0
                } else {
                    100.0 * (positive / total)
                };
            }
        }
    });
    Ok(())
}
