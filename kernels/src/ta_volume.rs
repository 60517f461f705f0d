//! Volume indicators: TA-Lib's OBV and A/D line, rolling and per-session VWAP.
use crate::error::KernelError;
use crate::gaps::until_gap;
use crate::sliding::{map_windows, Sum};
use crate::ta_averages::{check_lengths, check_period};

/// On-balance volume: starts at the first volume, then ± each volume as close rises or falls.
///
/// Cumulative, so NaN from the first NaN (in either input) after the leading ones onward.
pub fn obv(close: &[f64], volume: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("close", close), ("volume", volume)], &[out])?;
    until_gap([close, volume], [out], |[c, v], [out]| {
        if c.is_empty() {
            return;
        }
        let mut total = v[0];
        out[0] = total;
        for t in 1..c.len() {
            if c[t] > c[t - 1] {
                total += v[t];
            } else if c[t] < c[t - 1] {
                total -= v[t];
            }
            out[t] = total;
        }
    });
    Ok(())
}

/// Chaikin accumulation/distribution line: running sum of ((c − l) − (h − c)) / (h − l) × volume
/// (bars with h == l add nothing). NaN from the first NaN after the leading ones onward.
pub fn ad(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
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
    until_gap([high, low, close, volume], [out], |[h, l, c, v], [out]| {
        let mut total = 0.0;
        for t in 0..c.len() {
            let range = h[t] - l[t];
            if range > 0.0 {
                total += (((c[t] - l[t]) - (h[t] - c[t])) / range) * v[t];
            }
            out[t] = total;
        }
    });
    Ok(())
}

/// Rolling VWAP: Σ price·volume / Σ volume over each `window`; NaN for windows holding a NaN and
/// for windows with zero total volume.
pub fn rolling_vwap(
    price: &[f64],
    volume: &[f64],
    window: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("price", price), ("volume", volume)], &[out])?;
    check_period("window", window, 1, price.len())?;
    let turnover: Vec<f64> = price.iter().zip(volume).map(|(p, v)| p * v).collect();
    let mut volumes = vec![f64::NAN; price.len()];
    out[..window - 1].fill(f64::NAN);
    map_windows(&turnover, window, out, |s: Sum| s.0);
    map_windows(volume, window, &mut volumes, |s: Sum| s.0);
    for (slot, &total) in out.iter_mut().zip(&volumes) {
        *slot = if total != 0.0 {
            *slot / total
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// Session VWAP: cumulative Σ price·volume / Σ volume, restarting whenever `session` changes.
///
/// A NaN price or volume makes the rest of its session NaN; zero volume so far gives NaN.
pub fn session_vwap(
    price: &[f64],
    volume: &[f64],
    session: &[i64],
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("price", price), ("volume", volume)], &[out])?;
    if session.len() != price.len() {
        return Err(KernelError::Invalid {
            name: "session",
            reason: format!(
                "has {} values, but price has {}",
                session.len(),
                price.len()
            ),
        });
    }
    let (mut turnover, mut total) = (0.0, 0.0);
    for t in 0..price.len() {
        if t == 0 || session[t] != session[t - 1] {
            turnover = 0.0;
            total = 0.0;
        }
        turnover += price[t] * volume[t];
        total += volume[t];
        out[t] = if total != 0.0 {
            turnover / total
        } else {
            f64::NAN
        };
    }
    Ok(())
}
