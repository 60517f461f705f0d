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

/// Asks Linux to map the pages of `bytes` bytes at `start` (`MADV_POPULATE_WRITE`), `step` bytes
/// per system call: one call maps many pages instead of one page fault per 4 KiB page as a kernel
/// first writes them. Best effort: any failure (an older Linux, a small buffer) leaves the pages
/// to be faulted in as usual. Populating writable pages changes no byte of them, so it is safe
/// while another thread writes the same buffer.
fn populate(start: usize, bytes: usize, step: usize) {
    #[cfg(target_os = "linux")]
    {
        const MADV_POPULATE_WRITE: std::ffi::c_int = 23;
        const PAGE: usize = 4096;
        unsafe extern "C" {
            fn madvise(
                addr: *mut std::ffi::c_void,
                len: usize,
                advice: std::ffi::c_int,
            ) -> std::ffi::c_int;
        }
        let first = start.next_multiple_of(PAGE);
        let end = (start + bytes) / PAGE * PAGE;
        let mut at = first;
        while at < end {
            let stop = (at + step).min(end);
            // SAFETY: the range lies inside a buffer the caller owns for the whole call; the
            // advice only maps pages and changes no byte.
            unsafe { madvise(at as *mut std::ffi::c_void, stop - at, MADV_POPULATE_WRITE) };
            at = stop;
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, bytes, step);
}

/// Output bytes from which a fresh buffer is always newly mapped memory (above glibc's largest
/// mmap threshold, so every call faults its pages in anew).
const ALWAYS_FRESH: usize = 32 << 20;
/// Bytes per populate call when mapping ahead of a kernel: small enough to stay ahead of it.
const AHEAD_STEP: usize = 2 << 20;
/// Below this, mapping a buffer costs less than the system call.
const WORTH_IT: usize = 1 << 20;

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
    let views: [&mut [f64]; O] = views
        .try_into()
        .map_err(|_| PyValueError::new_err("output count"))?;
    let regions: Vec<(usize, usize)> = views
        .iter()
        .map(|view| (view.as_ptr() as usize, std::mem::size_of_val(*view)))
        .collect();
    let total: usize = regions.iter().map(|&(_, bytes)| bytes).sum();
    py.detach(|| {
        if total >= ALWAYS_FRESH && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
        {
            // Newly mapped pages are zeroed by the OS on first write. Another thread maps them
            // a few MiB ahead of the kernel, so the zeroing runs on another core while the
            // kernel computes (EMA at 1e7 points: 14.1 -> 11.5 ms).
            return std::thread::scope(|scope| {
                scope.spawn(|| {
                    for &(start, bytes) in &regions {
                        populate(start, bytes, AHEAD_STEP);
                    }
                });
                work(views)
            });
        }
        // One output of 10^6 points comes back from malloc's free list already mapped, and
        // populating it would only walk its page table; several outputs together exceed
        // glibc's trim threshold, go back to the OS on free and fault in anew on every call.
        if O >= 2 {
            for &(start, bytes) in regions.iter().filter(|&&(_, bytes)| bytes >= WORTH_IT) {
                populate(start, bytes, bytes);
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
