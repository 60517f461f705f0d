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
