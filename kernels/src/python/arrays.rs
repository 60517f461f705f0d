//! Running a kernel over numpy arrays: borrow the inputs, allocate the outputs, release the GIL.
//!
//! `run_n` serves the 1-D bindings and `run_panel` their (symbols × time) panel forms; both are
//! generic over the number of inputs `I` and outputs `O`.
use numpy::ndarray::Dimension;
use numpy::{
    PyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::error::KernelError;

/// Asks Linux to map every page of a fresh output buffer at once (`MADV_POPULATE_WRITE`): one
/// system call instead of one page fault per 4 KiB page as the kernel first writes it, which at
/// 10^6 points costs more than the indicator itself. Best effort: any failure (an older Linux, a
/// small buffer) leaves the pages to be faulted in as usual.
fn populate(slots: &mut [f64]) {
    #[cfg(target_os = "linux")]
    {
        const MADV_POPULATE_WRITE: std::ffi::c_int = 23;
        const PAGE: usize = 4096;
        const WORTH_IT: usize = 1 << 20;
        unsafe extern "C" {
            fn madvise(
                addr: *mut std::ffi::c_void,
                len: usize,
                advice: std::ffi::c_int,
            ) -> std::ffi::c_int;
        }
        let (start, bytes) = (slots.as_mut_ptr() as usize, std::mem::size_of_val(slots));
        let first = start.next_multiple_of(PAGE);
        let end = (start + bytes) / PAGE * PAGE;
        if end > first && end - first >= WORTH_IT {
            // SAFETY: the range lies inside `slots`, which this thread borrows mutably; populating
            // writable pages changes no byte of them.
            unsafe {
                madvise(
                    first as *mut std::ffi::c_void,
                    end - first,
                    MADV_POPULATE_WRITE,
                )
            };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slots;
}

/// Runs `work` on the outputs, freshly allocated and not yet written, with the GIL released.
fn fill<'py, D: Dimension, const O: usize>(
    py: Python<'py>,
    outs: &[Bound<'py, PyArray<f64, D>>; O],
    work: impl FnOnce([&mut [f64]; O]) -> Result<(), KernelError> + Send,
) -> PyResult<()> {
    let mut views: Vec<&mut [f64]> = Vec::with_capacity(O);
    for out in outs {
        // SAFETY: the arrays were just created by the caller and no other reference to them
        // exists.
        let view = unsafe { out.as_slice_mut() }
            .map_err(|e| PyValueError::new_err(format!("output: {e}")))?;
        views.push(view);
    }
    let mut views: [&mut [f64]; O] = views
        .try_into()
        .map_err(|_| PyValueError::new_err("output count"))?;
    py.detach(|| {
        // One output of 10^6 points comes back from malloc's free list already mapped, and
        // populating it would only walk its page table; several outputs together exceed
        // glibc's trim threshold, go back to the OS on free and fault in anew on every call.
        if O >= 2 {
            for view in views.iter_mut() {
                populate(view);
            }
        }
        work(views)
    })?;
    Ok(())
}

/// Borrows each named input as a C-contiguous slice, allocates `O` outputs of the first input's
/// length and runs `kernel` with the GIL released.
pub fn run_n<'py, const I: usize, const O: usize>(
    py: Python<'py>,
    inputs: [(&str, &PyReadonlyArray1<'py, f64>); I],
    kernel: impl FnOnce([&[f64]; I], [&mut [f64]; O]) -> Result<(), KernelError> + Send,
) -> PyResult<[Bound<'py, PyArray1<f64>>; O]> {
    let mut slices: [&[f64]; I] = [&[]; I];
    for (slot, (name, array)) in slices.iter_mut().zip(inputs) {
        *slot = contiguous(name, array)?;
    }
    let len = slices.first().map_or(0, |s| s.len());
    let outs: [Bound<'py, PyArray1<f64>>; O] =
        // SAFETY: every kernel writes every output slot; the arrays are uninitialised
        // only until then.
        std::array::from_fn(|_| unsafe { PyArray1::<f64>::new(py, len, false) });
    fill(py, &outs, |views| kernel(slices, views))?;
    Ok(outs)
}

/// Runs a one-output kernel into a caller's array (`out=`), which must not overlap an input.
pub fn run_into<'py, const I: usize>(
    py: Python<'py>,
    inputs: [(&str, &PyReadonlyArray1<'py, f64>); I],
    out: Bound<'py, PyArray1<f64>>,
    kernel: impl FnOnce([&[f64]; I], [&mut [f64]; 1]) -> Result<(), KernelError> + Send,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let mut slices: [&[f64]; I] = [&[]; I];
    for (slot, (name, array)) in slices.iter_mut().zip(inputs) {
        *slot = contiguous(name, array)?;
    }
    {
        // rust-numpy tracks borrows: this fails when `out` shares memory with a borrowed input.
        let mut writable = out.try_readwrite().map_err(|_| {
            PyValueError::new_err("out must be writeable and must not share memory with an input")
        })?;
        let view = writable
            .as_slice_mut()
            .map_err(|_| PyValueError::new_err("out must be a C-contiguous array"))?;
        py.detach(|| kernel(slices, [view]))?;
    }
    Ok(out)
}

/// Like `run_n` over 2-D (symbols × time) panels of one shape, rows in parallel: `kernel` gets
/// the row index and that row of every input and output.
pub fn run_panel<'py, const I: usize, const O: usize>(
    py: Python<'py>,
    inputs: [(&str, &PyReadonlyArray2<'py, f64>); I],
    kernel: impl Fn(usize, [&[f64]; I], [&mut [f64]; O]) -> Result<(), KernelError> + Send + Sync,
) -> PyResult<[Bound<'py, PyArray2<f64>>; O]> {
    let shape = inputs[0].1.shape().to_vec();
    let mut slices: [&[f64]; I] = [&[]; I];
    for (slot, (name, array)) in slices.iter_mut().zip(inputs) {
        if array.shape() != shape.as_slice() {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {:?}, but {} has shape {shape:?}",
                array.shape(),
                inputs[0].0
            )));
        }
        *slot = contiguous(name, array)?;
    }
    let (rows, cols) = (shape[0], shape[1]);
    let outs: [Bound<'py, PyArray2<f64>>; O] =
        // SAFETY: as in `run_n`, every kernel writes every output slot of every row.
        std::array::from_fn(|_| unsafe { PyArray2::<f64>::new(py, [rows, cols], false) });
    fill(py, &outs, |views| {
        crate::panel::map_rows(slices, views, cols, kernel)
    })?;
    Ok(outs)
}
