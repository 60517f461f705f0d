//! Volume indicators: TA-Lib's OBV and A/D line, rolling and per-session VWAP.
use crate::error::KernelError;
use crate::series::avx2_dispatch;

/// Bars per block of flows computed ahead of the running sum.
const BLOCK: usize = 256;
use crate::sliding::{map_windows, Sum};
use crate::ta_averages::{check_lengths, check_period};

/// On-balance volume: starts at the first volume, then ± each volume as close rises or falls.
///
/// Cumulative, so NaN from the first NaN (in either input) after the leading ones onward.
pub fn obv(close: &[f64], volume: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    check_lengths(&[("close", close), ("volume", volume)], &[out])?;
    // One pass from the first bar with both inputs, stopping at the next NaN.
    let n = close.len();
    let start = (0..n)
        .find(|&t| !close[t].is_nan() && !volume[t].is_nan())
        .unwrap_or(n);
    out[..start].fill(f64::NAN);
    if start == n {
        return Ok(());
    }
    let mut total = volume[start];
    out[start] = total;
    for t in start + 1..n {
        let (c, v) = (close[t], volume[t]);
        if c.is_nan() || v.is_nan() {
            out[t..].fill(f64::NAN);
            break;
        }
        let before = close[t - 1];
        // Bit masks, not branches (up or down is a coin flip): +v, -v or -0.0, and adding -0.0
        // leaves any total exactly as it is.
        let up = 0u64.wrapping_sub(u64::from(c > before));
        let down = 0u64.wrapping_sub(u64::from(c < before));
        let bits = (v.to_bits() & up) | ((-v).to_bits() & down) | ((-0.0f64).to_bits() & !up);
        total += f64::from_bits(bits);
        out[t] = total;
    }
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
    let n = close.len();
    let gap =
        |t: usize| high[t].is_nan() || low[t].is_nan() || close[t].is_nan() || volume[t].is_nan();
    let start = (0..n).find(|&t| !gap(t)).unwrap_or(n);
    out[..start].fill(f64::NAN);
    let mut total = 0.0;
    // Blocks: the flows (a division each) and the NaN check vectorise; the running sum is then a
    // bare chain of additions.
    let mut flows = [0.0; BLOCK];
    let mut block_start = start;
    while block_start < n {
        let block_end = (block_start + BLOCK).min(n);
        let any_gap = money_flows(
            &high[block_start..block_end],
            &low[block_start..block_end],
            &close[block_start..block_end],
            &volume[block_start..block_end],
            &mut flows,
        );
        let end = if any_gap {
            (block_start..block_end)
                .find(|&t| gap(t))
                .unwrap_or(block_end)
        } else {
            block_end
        };
        for (slot, &flow) in out[block_start..end].iter_mut().zip(&flows) {
            total += flow;
            *slot = total;
        }
        if end < block_end {
            out[end..].fill(f64::NAN);
            break;
        }
        block_start = block_end;
    }
    Ok(())
}

/// Writes each bar's A/D money flow to `flows` (-0.0 for h <= l) and says whether any input is
/// NaN; branch-free, so it vectorises.
#[inline(always)]
fn money_flows_generic(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    flows: &mut [f64],
) -> bool {
    let mut any_gap = false;
    let bars = high.iter().zip(low).zip(close).zip(volume);
    for (flow, (((&h, &l), &c), &v)) in flows.iter_mut().zip(bars) {
        // `|`, not `||`: no branches.
        any_gap |= h.is_nan() | l.is_nan() | c.is_nan() | v.is_nan();
        let range = h - l;
        let money = (((c - l) - (h - c)) / range) * v;
        // Adding -0.0 leaves the total exactly as it is: a select instead of a branch.
        *flow = if range > 0.0 { money } else { -0.0 };
    }
    any_gap
}

avx2_dispatch! {
    /// `money_flows_generic`, with AVX2 where the CPU has it.
    fn money_flows(
        high: &[f64],
        low: &[f64],
        close: &[f64],
        volume: &[f64],
        flows: &mut [f64],
    ) -> bool = money_flows_generic
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
