//! The contract shared by the indicator kernels: one input series, one output of the same length.
use crate::error::KernelError;

/// Checks that `out` matches `values` and that a period, window or horizon lies in `1..=len`.
pub fn check_series(
    values: &[f64],
    out: &[f64],
    length_name: &'static str,
    length: usize,
) -> Result<(), KernelError> {
    if out.len() != values.len() {
        return Err(KernelError::Invalid {
            name: "out",
            reason: format!("has {} slots for {} values", out.len(), values.len()),
        });
    }
    if length == 0 || length > values.len() {
        let len = values.len();
        return Err(KernelError::BadLength {
            name: length_name,
            value: length,
            len,
        });
    }
    Ok(())
}

/// Index of the first non-NaN value (or `values.len()`): TA-Lib starts its series there.
pub fn first_non_nan(values: &[f64]) -> usize {
    values
        .iter()
        .position(|v| !v.is_nan())
        .unwrap_or(values.len())
}

/// Defines `$name`, a function that runs the `#[inline(always)]` function `$generic` compiled for
/// AVX2 when the CPU has it: twice the lanes for the loops in it that vectorise. No FMA: the same
/// IEEE operations in the same order, so the same bits either way.
macro_rules! avx2_dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $generic:path) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $generic($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

/// Outputs longer than this go around the cache (streaming stores): nothing reads them back soon,
/// and a store that skips the read-for-ownership of its line saves a third of the memory traffic.
pub const STREAM_FROM: usize = 1 << 21;

/// `slots[i] = now[i] - base[i]`, with streaming stores for outputs too large for the cache.
pub fn stream_differences(slots: &mut [f64], now: &[f64], base: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if slots.len() >= STREAM_FROM && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { differences_streaming(slots, now, base) };
        return;
    }
    for ((slot, &now), &base) in slots.iter_mut().zip(now).zip(base) {
        *slot = now - base;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn differences_streaming(slots: &mut [f64], now: &[f64], base: &[f64]) {
    use std::arch::x86_64::{_mm256_loadu_pd, _mm256_stream_pd, _mm256_sub_pd, _mm_sfence};
    let head = slots.as_ptr().align_offset(32).min(slots.len());
    let body = (slots.len() - head) / 4 * 4;
    for i in (0..head).chain(head + body..slots.len()) {
        slots[i] = now[i] - base[i];
    }
    for i in (head..head + body).step_by(4) {
        // SAFETY: i..i + 4 is in bounds of all three slices (same length), and slots[i] is
        // 32-byte aligned (`head` aligned the first group; every group is 32 bytes).
        unsafe {
            let difference = _mm256_sub_pd(
                _mm256_loadu_pd(now.as_ptr().add(i)),
                _mm256_loadu_pd(base.as_ptr().add(i)),
            );
            _mm256_stream_pd(slots.as_mut_ptr().add(i), difference);
        }
    }
    // Streaming stores are weakly ordered: fence them before anyone reads the output.
    _mm_sfence();
}
