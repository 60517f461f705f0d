//! PyO3 bindings: borrow numpy arrays, release the GIL, run a pure kernel, hand back numpy arrays.
pub mod arrays;
pub mod cpcv;
pub mod declare;
pub mod indicators;
pub mod indicators_stats;
pub mod indicators_ta;
pub mod signals;
pub mod simulator;
pub mod streams;

use numpy::ndarray::Dimension;
use numpy::{Element, PyReadonlyArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

use crate::error::KernelError;

impl From<KernelError> for PyErr {
    fn from(error: KernelError) -> Self {
        PyValueError::new_err(error.to_string())
    }
}

/// The array's data as one row-major slice, or a `ValueError` naming the argument.
fn contiguous<'a, T: Element, D: Dimension>(
    name: &str,
    array: &'a PyReadonlyArray<'_, T, D>,
) -> Result<&'a [T], PyErr> {
    let error = || PyValueError::new_err(format!("{name} must be a C-contiguous array"));
    // `as_slice` also accepts Fortran order, which would silently transpose a 2-D panel.
    if !array.is_c_contiguous() {
        return Err(error());
    }
    array.as_slice().map_err(|_| error())
}
