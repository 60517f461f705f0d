//! TA-Lib's ATR, NATR, ADX/±DI and Bollinger Bands, plus Keltner and Donchian channels.
//!
//! ATR, NATR, ADX and Keltner are recursive: outputs are NaN from the first NaN after the leading
//! ones onward. Bollinger and Donchian are window indicators: NaN when the window holds a NaN.
use crate::ema::smooth;
use crate::error::KernelError;
use crate::gaps::{lead, ta_is_zero, until_gap};
use crate::rolling::{any_nan, for_each_high_low_block};
use crate::series::avx2_dispatch;
use crate::ta_averages::{check_lengths, check_period};

/// TA-Lib's true range of bar `t` given the previous close.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, previous_close: f64) -> f64 {
    let range = high - low;
    let up = (high - previous_close).abs();
    // `if a > b { a } else { b }` is exactly `maxsd`: TA-Lib's comparisons, no branches.
    let range = if up > range { up } else { range };
    let down = (low - previous_close).abs();
    if down > range {
        down
    } else {
        range
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

/// Bars per block of true ranges computed ahead of the smoothing chain.
const BLOCK: usize = 256;

/// Whether bar `t` has a NaN in any input.
#[inline(always)]
fn gap_at(high: &[f64], low: &[f64], close: &[f64], t: usize) -> bool {
    high[t].is_nan() || low[t].is_nan() || close[t].is_nan()
}

/// The first bar without a NaN (or the length): TA-Lib starts there.
fn first_clean_bar(high: &[f64], low: &[f64], close: &[f64]) -> usize {
    (0..close.len())
        .find(|&t| !gap_at(high, low, close, t))
        .unwrap_or(close.len())
}

/// Wilder's ATR (TA-Lib's seed and smoothing) over the leading clean run, in one pass that also
/// finds the run's end: writes the ATR (`NORMALISE`: the NATR) from `period` bars into the run, NaN everywhere else.
fn wilder_atr<const NORMALISE: bool>(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) {
    let n = close.len();
    let start = first_clean_bar(high, low, close);
    let seed = start + period;
    if seed >= n {
        out.fill(f64::NAN);
        return;
    }
    out[..seed].fill(f64::NAN);
    let mut sum = -0.0; // `Iterator::sum`'s start: the seed rounds as a plain `.sum()` would
    for t in start + 1..=seed {
        if gap_at(high, low, close, t) {
            out[seed..].fill(f64::NAN);
            return;
        }
        sum += true_range(high[t], low[t], close[t - 1]);
    }
    let p = period as f64;
    let mut level = sum / p;
    out[seed] = if NORMALISE {
        natr_of(level, close[seed])
    } else {
        level
    };
    let (keep, weight) = ((p - 1.0) / p, 1.0 / p);
    let stop = weighted_true_ranges(high, low, close, seed + 1, weight, |from, ranges| {
        let to = from + ranges.len();
        let slots = &mut out[from..to];
        // Weight 1: the ranges come weighted (the same product `tr * weight` as step by step).
        level = smooth(level, keep, 1.0, ranges, slots);
        if NORMALISE {
            normalise(slots, &close[from..to]);
        }
    });
    out[stop..].fill(f64::NAN);
}

/// NATR from ATR: 100·atr / close, 0 where close is 0 (TA-Lib).
#[inline(always)]
fn natr_of(atr: f64, price: f64) -> f64 {
    // Divide unconditionally and select: branch-free, so loops over it vectorise.
    let normalised = (atr / price) * 100.0;
    if ta_is_zero(price) {
        0.0
    } else {
        normalised
    }
}

/// `natr_of` in place over a block.
#[inline(always)]
fn normalise_generic(slots: &mut [f64], prices: &[f64]) {
    for (slot, &price) in slots.iter_mut().zip(prices) {
        *slot = natr_of(*slot, price);
    }
}

avx2_dispatch! {
    /// `normalise_generic`, with AVX2 where the CPU has it.
    fn normalise(slots: &mut [f64], prices: &[f64]) -> () = normalise_generic
}

/// Writes `true_range · weight` of each bar to `ranges` (`close` starts one bar earlier) and says
/// whether any bar may hold a NaN (an infinity can raise a false alarm; callers recheck exactly).
#[inline(always)]
fn fill_ranges_generic(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    weight: f64,
    ranges: &mut [f64],
) -> bool {
    let mut gap = false;
    let bars = high.iter().zip(low).zip(close.windows(2));
    for (range, ((&h, &l), pair)) in ranges.iter_mut().zip(bars) {
        let (previous, c) = (pair[0], pair[1]);
        // One NaN test for three inputs; `|`, not `||`, so the loop vectorises.
        gap |= (h - l + c).is_nan();
        *range = true_range(h, l, previous) * weight;
    }
    gap
}

avx2_dispatch! {
    /// `fill_ranges_generic`, with AVX2 where the CPU has it.
    fn fill_ranges(high: &[f64], low: &[f64], close: &[f64], weight: f64, ranges: &mut [f64]) -> bool
        = fill_ranges_generic
}

/// Calls `body(from, ranges)` over blocks of `true_range · weight` for the bars from `from` on,
/// up to the first bar with a NaN in any input, whose index it returns (the length if none).
///
/// The ranges and the NaN check of a block are branch-free, so they vectorise ahead of the
/// smoothing chain that `body` runs.
#[inline(always)]
fn weighted_true_ranges(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    from: usize,
    weight: f64,
    mut body: impl FnMut(usize, &[f64]),
) -> usize {
    let n = close.len();
    let mut ranges = [0.0; BLOCK];
    let mut block_start = from;
    while block_start < n {
        let block_end = (block_start + BLOCK).min(n);
        let gap = fill_ranges(
            &high[block_start..block_end],
            &low[block_start..block_end],
            &close[block_start - 1..block_end],
            weight,
            &mut ranges,
        );
        let end = if gap {
            (block_start..block_end)
                .find(|&t| gap_at(high, low, close, t))
                .unwrap_or(block_end)
        } else {
            block_end
        };
        if end > block_start {
            body(block_start, &ranges[..end - block_start]);
        }
        if end < block_end {
            return end;
        }
        block_start = block_end;
    }
    n
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
    wilder_atr::<false>(high, low, close, period, out);
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
    wilder_atr::<true>(high, low, close, period, out);
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
/// Unlike TA-Lib, the variance is computed stably (from deviations off a value inside each window,
/// see `window_sums`, not E[x²] − E[x]²) and a variance below 1e-8 is not rounded to 0, so quiet
/// low-priced series keep their bands.
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
    let lead = period - 1;
    upper[..lead].fill(f64::NAN);
    middle[..lead].fill(f64::NAN);
    lower[..lead].fill(f64::NAN);
    let p = period as f64;
    window_sums(values, period, middle, upper, lower);
    // Then the variances, square roots and bands in a loop the compiler vectorises.
    bands_from_sums(
        &mut upper[lead..],
        &mut middle[lead..],
        &mut lower[lead..],
        p,
        nbdev_up,
        nbdev_down,
    );
    Ok(())
}

/// Bollinger lines from `window_sums`' outputs: `upper` holds Σ(x − c), `middle` the sum and
/// `lower` Σ(x − c)² on the way in.
#[inline(always)]
fn bands_from_sums_generic(
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
    p: f64,
    nbdev_up: f64,
    nbdev_down: f64,
) {
    let recip = 1.0 / p;
    let bands = upper
        .iter_mut()
        .zip(middle.iter_mut())
        .zip(lower.iter_mut());
    for ((up, mid), down) in bands {
        // TA-Lib's SMA divides the window's sum; the variance only needs to be accurate.
        *mid /= p;
        let (shifted_sum, shifted_squares) = (*up, *down);
        let variance = (shifted_squares - shifted_sum * shifted_sum * recip) * recip;
        // Rounding may leave a hair below zero; a NaN stays NaN.
        let std = if variance < 0.0 { 0.0 } else { variance }.sqrt();
        *up = *mid + nbdev_up * std;
        *down = *mid - nbdev_down * std;
    }
}

avx2_dispatch! {
    /// `bands_from_sums_generic`, with AVX2 where the CPU has it.
    fn bands_from_sums(
        upper: &mut [f64],
        middle: &mut [f64],
        lower: &mut [f64],
        p: f64,
        nbdev_up: f64,
        nbdev_down: f64,
    ) -> () = bands_from_sums_generic
}

/// For every full window ending at `t`: `total[t]` = its sum (in TA-Lib's SMA's order),
/// `shifted_sum[t]` = Σ (x − c) and `shifted_squares[t]` = Σ (x − c)², where `c` is the first value
/// of the block of `window` values holding `t` (van Herk / Gil-Werman blocks, as `sliding`).
///
/// `c` lies inside every window ending in its block, so Σ(x − c)² ≤ (2·window + 1)·Σ(x − mean)²:
/// `Q − S²/n` loses at most a few dozen ulps however far the series sits from zero, unlike
/// TA-Lib's E[x²] − E[x]². Leaves the slots before `window - 1` as they are.
fn window_sums(
    values: &[f64],
    window: usize,
    total: &mut [f64],
    shifted_sum: &mut [f64],
    shifted_squares: &mut [f64],
) {
    // Suffix sums of the previous block (from offset i to its end), shifted by this block's `c`.
    let mut suffix = vec![(0.0, 0.0, 0.0); window + 1];
    let blocks = values.chunks(window).zip(
        total
            .chunks_mut(window)
            .zip(shifted_sum.chunks_mut(window))
            .zip(shifted_squares.chunks_mut(window)),
    );
    for (index, (block, ((totals, sums), squares))) in blocks.enumerate() {
        let c = block[0];
        let (mut running, mut sum, mut square) = (0.0, 0.0, 0.0);
        let slots = totals
            .iter_mut()
            .zip(sums.iter_mut())
            .zip(squares.iter_mut());
        for (offset, ((&x, ((m, s), q)), &(before_total, before_sum, before_square))) in
            block.iter().zip(slots).zip(&suffix[1..]).enumerate()
        {
            let d = x - c;
            running += x;
            sum += d;
            square += d * d;
            if index > 0 || offset + 1 == window {
                *m = before_total + running;
                *s = before_sum + sum;
                *q = before_square + square;
            }
        }
        let next = (index + 1) * window;
        if block.len() == window && next < values.len() {
            let c = values[next];
            let (mut total, mut sum, mut square) = (0.0, 0.0, 0.0);
            for (&x, slot) in block.iter().zip(suffix.iter_mut()).rev() {
                let d = x - c;
                total += x;
                sum += d;
                square += d * d;
                *slot = (total, sum, square);
            }
        }
    }
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
    // One pass over the leading clean run: the EMA (as `ema`) and the ATR (as `atr`)
    // side by side, bands from `max(period - 1, atr_period)` bars into the run.
    let n = close.len();
    let start = first_clean_bar(high, low, close);
    let first = start + (period - 1).max(atr_period);
    let lead = first.min(n);
    upper[..lead].fill(f64::NAN);
    middle[..lead].fill(f64::NAN);
    lower[..lead].fill(f64::NAN);
    if first >= n {
        return Ok(());
    }
    let (p, ap) = (period as f64, atr_period as f64);
    let alpha = 2.0 / (period + 1) as f64;
    let keep = 1.0 - alpha;
    let (atr_keep, atr_weight) = ((ap - 1.0) / ap, 1.0 / ap);
    let (mut ema_sum, mut ema, mut atr_sum, mut atr) = (-0.0, 0.0, -0.0, 0.0);
    // Warm-up, step by step up to the first output.
    for t in start..=first {
        if gap_at(high, low, close, t) {
            for out in [&mut *upper, &mut *middle, &mut *lower] {
                out[first..].fill(f64::NAN);
            }
            return Ok(());
        }
        let (i, c) = (t - start, close[t]);
        if i + 1 < period {
            ema_sum += c;
        } else if i + 1 == period {
            ema_sum += c;
            ema = ema_sum / p;
        } else {
            ema = ema * keep + c * alpha;
        }
        if i >= 1 {
            let range = true_range(high[t], low[t], close[t - 1]);
            if i < atr_period {
                atr_sum += range;
            } else if i == atr_period {
                atr_sum += range;
                atr = atr_sum / ap;
            } else {
                atr = atr * atr_keep + range * atr_weight;
            }
        }
    }
    let band = multiplier * atr;
    (upper[first], middle[first], lower[first]) = (ema + band, ema, ema - band);
    // Then block by block: both chains shortened by `smooth`, the bands in a vectorised loop.
    let stop = weighted_true_ranges(high, low, close, first + 1, atr_weight, |from, ranges| {
        let to = from + ranges.len();
        let (middle, lower) = (&mut middle[from..to], &mut lower[from..to]);
        ema = smooth(ema, keep, alpha, &close[from..to], middle);
        atr = smooth(atr, atr_keep, 1.0, ranges, lower);
        let bands = upper[from..to].iter_mut().zip(middle.iter()).zip(lower);
        for ((up, &mid), down) in bands {
            let band = multiplier * *down;
            *up = mid + band;
            *down = mid - band;
        }
    });
    for out in [&mut *upper, &mut *middle, &mut *lower] {
        out[stop..].fill(f64::NAN);
    }
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
    // Upper and lower are separate window indicators: each is NaN only for its own NaN windows.
    let (mut high_clean_from, mut low_clean_from) = (period - 1, period - 1);
    for_each_high_low_block(high, low, period, |base, highest, lowest| {
        let end = base + highest.len();
        let (h, l) = (&high[base..end], &low[base..end]);
        let outs = upper[base..end]
            .iter_mut()
            .zip(&mut middle[base..end])
            .zip(&mut lower[base..end]);
        let extremes = highest.iter().zip(lowest);
        if high_clean_from <= base && low_clean_from <= base && !any_nan(h) && !any_nan(l) {
            for (((up, mid), down), (&highest, &lowest)) in outs.zip(extremes) {
                *up = highest;
                *down = lowest;
                *mid = (highest + lowest) / 2.0;
            }
            return;
        }
        let bars = h.iter().zip(l).zip(extremes);
        for (offset, (((up, mid), down), ((&h, &l), (&highest, &lowest)))) in
            outs.zip(bars).enumerate()
        {
            let t = base + offset;
            if h.is_nan() {
                high_clean_from = t + period;
            }
            if l.is_nan() {
                low_clean_from = t + period;
            }
            *up = if t >= high_clean_from {
                highest
            } else {
                f64::NAN
            };
            *down = if t >= low_clean_from {
                lowest
            } else {
                f64::NAN
            };
            *mid = (*up + *down) / 2.0;
        }
    });
    Ok(())
}
