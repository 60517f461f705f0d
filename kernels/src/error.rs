//! Why a kernel refused its input; the Python binding turns this into `ValueError`.
use std::fmt;

/// A kernel input that breaks its contract, naming the argument at fault.
#[derive(Debug, Clone, PartialEq)]
pub enum KernelError {
    /// A period, window or horizon outside `1..=len`.
    BadLength {
        name: &'static str,
        value: usize,
        len: usize,
    },
    /// An argument that does not fit the others (shape, ddof, a single value).
    Invalid { name: &'static str, reason: String },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadLength { name, value, len } if *value == 0 => {
                write!(
                    f,
                    "{name} must be >= 1, got {value} (series has {len} values)"
                )
            }
            Self::BadLength { name, value, len } => {
                write!(f, "{name} {value} is longer than the series ({len} values)")
            }
            Self::Invalid { name, reason } => write!(f, "{name}: {reason}"),
        }
    }
}

impl std::error::Error for KernelError {}
