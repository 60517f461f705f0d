//! Long series cut into chunks that run on all cores, with the same bits as one sequential pass.
//!
//! For local kernels, whose output at `t` depends on the inputs at `t - lookback..=t` only (window
//! indicators, with their NaN rules): each chunk reruns the kernel over its look-back lead into a
//! cache-sized scratch buffer and keeps its own part. Chunk starts fall on multiples of `align`,
//! so block-structured kernels (`sliding::map_windows`) see the blocks they would have seen in one
//! pass. Recursive kernels (EMA, Wilder smoothing) are memory-bound in one thread already: on
//! this machine a chunked recurrence with a carried-in level measured slower, not faster.
use std::cell::RefCell;

use rayon::prelude::*;

/// Below this many values a series runs in one pass: threads would cost more than they save.
const PARALLEL_FROM: usize = 1 << 18;
/// Values per chunk of a local kernel: its scratch outputs stay within a core's L2 cache.
const LOCAL_CHUNK: usize = 1 << 15;

/// A raw output pointer that chunks borrow disjointly from several threads.
#[derive(Clone, Copy)]
struct Shared(*mut f64);
// SAFETY: each chunk only touches its own range of the buffer.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs a local kernel over `inputs` into `outputs` (all the same length), chunks in parallel.
///
/// `kernel(inputs, outputs)` must compute each output from the inputs at most `lookback` values
/// before it, and give the same bits when started at any multiple of `align` (1 if it has no
/// block structure). Short series run in a single call.
pub fn par_local<const I: usize, const O: usize>(
    inputs: [&[f64]; I],
    outputs: [&mut [f64]; O],
    lookback: usize,
    align: usize,
    kernel: impl Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
) {
    let len = outputs.first().map_or(0, |o| o.len());
    let align = align.max(1);
    let lead = lookback.div_ceil(align) * align;
    let chunk = (LOCAL_CHUNK / O.max(1)).max(4 * lead).div_ceil(align) * align;
    if len < PARALLEL_FROM || len < 4 * chunk {
        kernel(inputs, outputs);
        return;
    }
    let pointers = outputs.map(|o| Shared(o.as_mut_ptr()));
    (0..len.div_ceil(chunk)).into_par_iter().for_each(|index| {
        let start = index * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: chunks are disjoint and in bounds, and the buffers outlive the loop, which
        // borrows them mutably for its whole duration.
        let own = pointers
            .map(|p| unsafe { std::slice::from_raw_parts_mut(p.0.add(start), end - start) });
        if index == 0 {
            kernel(inputs.map(|s| &s[..end]), own);
            return;
        }
        let from = start - lead;
        let width = end - from;
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.resize(O * width, 0.0);
            let mut parts = scratch.chunks_exact_mut(width);
            let scratch_outs: [&mut [f64]; O] =
                std::array::from_fn(|_| parts.next().expect("O scratch parts"));
            kernel(inputs.map(|s| &s[from..end]), scratch_outs);
            for (out, part) in own.into_iter().zip(scratch.chunks_exact(width)) {
                out.copy_from_slice(&part[lead..]);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_kernel_gives_the_same_bits_chunked() {
        let values: Vec<f64> = (0..PARALLEL_FROM * 2 + 77)
            .map(|i| {
                ((i * 7919) % 1013) as f64 * 0.37 + if i % 5000 == 17 { f64::NAN } else { 0.0 }
            })
            .collect();
        for window in [1, 3, 20, 257] {
            let mut whole = vec![0.0; values.len()];
            crate::sma::sma_pass(&values, window, &mut whole);
            let mut chunked = vec![0.0; values.len()];
            par_local([&values], [&mut chunked], window - 1, window, |[v], [o]| {
                crate::sma::sma_pass(v, window, o)
            });
            let same = whole
                .iter()
                .zip(&chunked)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "window {window}");
        }
    }
}
