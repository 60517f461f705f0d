//! Panels (symbols × time, row-major): a 1-D kernel mapped over rows in parallel.
use rayon::prelude::*;

use crate::error::KernelError;

/// A raw output pointer that rows borrow disjointly from several threads.
#[derive(Clone, Copy)]
struct Rows(*mut f64);
// SAFETY: each thread only touches its own row's slice of the buffer.
unsafe impl Send for Rows {}
unsafe impl Sync for Rows {}

/// Runs `kernel(row index, that row of each input, that row of each output)` for every row, rows
/// in parallel.
///
/// Every input and output is a `rows × cols` row-major buffer; the first error wins. The row
/// index lets a kernel pick that row out of a side input of another type (session ids).
pub fn map_rows<const I: usize, const O: usize>(
    inputs: [&[f64]; I],
    outputs: [&mut [f64]; O],
    cols: usize,
    kernel: impl Fn(usize, [&[f64]; I], [&mut [f64]; O]) -> Result<(), KernelError> + Sync,
) -> Result<(), KernelError> {
    let size = outputs.first().map_or(0, |o| o.len());
    if inputs.iter().any(|s| s.len() != size) || outputs.iter().any(|o| o.len() != size) {
        return Err(KernelError::Invalid {
            name: "panel",
            reason: "inputs and outputs differ in shape".into(),
        });
    }
    if cols == 0 {
        return kernel(0, inputs.map(|_| &[][..]), [(); O].map(|()| &mut [][..]));
    }
    let rows = size / cols;
    let pointers = outputs.map(|o| Rows(o.as_mut_ptr()));
    (0..rows).into_par_iter().try_for_each(|row| {
        let range = row * cols..(row + 1) * cols;
        let ins = inputs.map(|s| &s[range.clone()]);
        // SAFETY: rows are disjoint, in bounds (size checked above), and the buffers outlive
        // the parallel loop, which borrows them mutably for its whole duration.
        let outs =
            pointers.map(|p| unsafe { std::slice::from_raw_parts_mut(p.0.add(range.start), cols) });
        kernel(row, ins, outs)
    })
}
