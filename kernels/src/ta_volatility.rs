//! TA-Lib's ATR, NATR, ADX/±DI and Bollinger Bands, plus Keltner and Donchian channels.
//!
//! ATR, NATR, ADX and Keltner are recursive: outputs are NaN from the first NaN after the leading
//! ones onward. Bollinger and Donchian are window indicators: NaN when the window holds a NaN.
use crate::error::KernelError;
use crate::gaps::{lead, ta_is_zero, until_gap};
use crate::rolling::{population_std, rolling_extreme};
use crate::sliding::{map_windows, Sum};
use crate::ta_averages::{check_lengths, check_period, ema_clean};

/// TA-Lib's true range of bar `t` given the previous close.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, previous_close: f64) -> f64 {
    let mut range = high - low;
    let up = (high - previous_close).abs();
    if up > range {
        range = up;
    }
    let down = (low - previous_close).abs();
    if down > range {
        range = down;
    }
    range
}

/// Wilder's ATR over NaN-free bars: first value at `period`, the mean of the first `period` true
/// ranges, then `atr·(period − 1)/period + tr/period`.
pub(crate) fn atr_clean(h: &[f64], l: &[f64], c: &[f64], period: usize, out: &mut [f64]) {
    if !lead(out, period) {
        return;
    }
    let p = period as f64;
    let mut level = (1..=period)
        .map(|t| true_range(h[t], l[t], c[t - 1]))
        .sum::<f64>()
        / p;
    out[period] = level;
    let (keep, weight) = ((p - 1.0) / p, 1.0 / p);
    for t in period + 1..c.len() {
        level = level * keep + true_range(h[t], l[t], c[t - 1]) * weight;
        out[t] = level;
    }
}

fn check_hlc(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    outputs: &[&[f64]],
    period: usize,
    min: usize,
) -> Result<(), KernelError> {
    check_lengths(&[("high", high), ("low", low), ("close", close)], outputs)?;
    check_period("period", period, min, high.len())
}

/// Average true range (Wilder); first value at `period`.
pub fn atr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_hlc(high, low, close, &[out], period, 1)?;
    until_gap([high, low, close], [out], |[h, l, c], [out]| {
        atr_clean(h, l, c, period, out);
    });
    Ok(())
}

/// Normalised ATR: 100·ATR / close, 0 where close is 0 (TA-Lib).
pub fn natr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), KernelError> {
    check_hlc(high, low, close, &[out], period, 1)?;
    until_gap([high, low, close], [out], |[h, l, c], [out]| {
        atr_clean(h, l, c, period, out);
        for (slot, &price) in out.iter_mut().zip(c).skip(period) {
            *slot = if ta_is_zero(price) {
                0.0
            } else {
                (*slot / price) * 100.0
            };
        }
    });
    Ok(())
}

/// TA-Lib's ADX with +DI and −DI: the DIs start at `period`, ADX at `2·period − 1`.
pub fn adx(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    adx_out: &mut [f64],
    plus_out: &mut [f64],
    minus_out: &mut [f64],
) -> Result<(), KernelError> {
    check_hlc(high, low, close, &[adx_out, plus_out, minus_out], period, 2)?;
    until_gap(
        [high, low, close],
        [adx_out, plus_out, minus_out],
        |[h, l, c], [adx, plus, minus]| adx_clean(h, l, c, period, adx, plus, minus),
    );
    Ok(())
}

fn adx_clean(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    period: usize,
    adx: &mut [f64],
    plus: &mut [f64],
    minus: &mut [f64],
) {
    lead(adx, 2 * period - 1);
    lead(minus, period);
    if !lead(plus, period) {
        return;
    }
    let p = period as f64;
    let (mut plus_dm, mut minus_dm, mut tr) = (0.0, 0.0, 0.0);
    let mut sum_dx = 0.0;
    let mut level = 0.0;
    for t in 1..c.len() {
        let up = h[t] - h[t - 1];
        let down = l[t - 1] - l[t];
        let range = true_range(h[t], l[t], c[t - 1]);
        if t >= period {
            // Wilder smoothing of sums (TA-Lib's `x -= x / p; x += new`).
            minus_dm -= minus_dm / p;
            plus_dm -= plus_dm / p;
        }
        if down > 0.0 && up < down {
            minus_dm += down;
        } else if up > 0.0 && up > down {
            plus_dm += up;
        }
        if t >= period {
            tr = tr - (tr / p) + range;
        } else {
            tr += range;
            continue;
        }
        let defined = !ta_is_zero(tr);
        let (minus_di, plus_di) = if defined {
            (100.0 * (minus_dm / tr), 100.0 * (plus_dm / tr))
        } else {
            (0.0, 0.0)
        };
        plus[t] = plus_di;
        minus[t] = minus_di;
        let total = minus_di + plus_di;
        let dx = if defined && !ta_is_zero(total) {
            Some(100.0 * ((minus_di - plus_di).abs() / total))
        } else {
            None
        };
        let first_adx = 2 * period - 1;
        if t < first_adx {
            sum_dx += dx.unwrap_or(0.0);
        } else if t == first_adx {
            sum_dx += dx.unwrap_or(0.0);
            level = sum_dx / p;
            adx[t] = level;
        } else {
            if let Some(dx) = dx {
                level = ((level * (p - 1.0)) + dx) / p;
            }
            adx[t] = level;
        }
    }
}

/// Bollinger Bands: SMA middle ± nbdev × population std of the window (TA-Lib's BBANDS, SMA).
///
/// Unlike TA-Lib, the variance is computed stably (no E[x²] − E[x]²) and a variance below 1e-8
/// is not rounded to 0, so quiet low-priced series keep their bands.
#[allow(clippy::too_many_arguments)]
pub fn bbands(
    values: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_down: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("values", values)], &[upper, middle, lower])?;
    check_period("period", period, 1, values.len())?;
    middle[..period - 1].fill(f64::NAN);
    let p = period as f64;
    map_windows(values, period, middle, |s: Sum| s.0 / p);
    population_std(values, period, upper);
    for ((up, mid), low) in upper.iter_mut().zip(middle.iter()).zip(lower.iter_mut()) {
        let std = *up;
        *up = mid + nbdev_up * std;
        *low = mid - nbdev_down * std;
    }
    Ok(())
}

/// Keltner channels: EMA(close, period) middle ± multiplier × ATR(atr_period) (Wilder ATR).
#[allow(clippy::too_many_arguments)]
pub fn keltner(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    atr_period: usize,
    multiplier: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), KernelError> {
    check_hlc(high, low, close, &[upper, middle, lower], period, 1)?;
    check_period("atr_period", atr_period, 1, high.len())?;
    until_gap(
        [high, low, close],
        [upper, middle, lower],
        |[h, l, c], [upper, middle, lower]| {
            ema_clean(c, period, middle);
            atr_clean(h, l, c, atr_period, lower);
            let first = (period - 1).max(atr_period).min(c.len());
            middle[..first].fill(f64::NAN);
            for t in 0..c.len() {
                let band = multiplier * lower[t];
                upper[t] = middle[t] + band;
                lower[t] = middle[t] - band;
            }
        },
    );
    Ok(())
}

/// Donchian channels: rolling max of `high`, rolling min of `low`, and their midpoint.
pub fn donchian(
    high: &[f64],
    low: &[f64],
    period: usize,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), KernelError> {
    check_lengths(&[("high", high), ("low", low)], &[upper, middle, lower])?;
    check_period("period", period, 1, high.len())?;
    rolling_extreme::<true>(high, period, upper);
    rolling_extreme::<false>(low, period, lower);
    for ((mid, &up), &low) in middle.iter_mut().zip(upper.iter()).zip(lower.iter()) {
        *mid = (up + low) / 2.0;
    }
    Ok(())
}
