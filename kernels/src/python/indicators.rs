//! Bindings for the indicator kernels (`float64` 1-D in, `float64` 1-D of the same length out).
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::error::KernelError;

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sma, m)?)?;
    m.add_function(wrap_pyfunction!(ema, m)?)?;
    m.add_function(wrap_pyfunction!(rsi, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_std, m)?)?;
    m.add_function(wrap_pyfunction!(pct_return, m)?)?;
    register_ta(m)?;
    Ok(())
}

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

// --- TA-Lib-exact indicators, panels and streams -------------------------------------------

use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};

/// Borrows each named input as a C-contiguous slice, allocates `O` outputs of the first input's
/// length and runs `kernel` with the GIL released.
fn run_n<'py, const I: usize, const O: usize>(
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
    {
        let mut views: Vec<&mut [f64]> = Vec::with_capacity(O);
        for out in &outs {
            // SAFETY: the arrays were just created here and no other reference to them exists.
            let view = unsafe { out.as_slice_mut() }
                .map_err(|e| PyValueError::new_err(format!("output: {e}")))?;
            views.push(view);
        }
        let views: [&mut [f64]; O] = views
            .try_into()
            .map_err(|_| PyValueError::new_err("output count"))?;
        py.detach(|| {
            let mut views = views;
            // One output of 10^6 points comes back from malloc's free list already mapped, and
            // populating it would only walk its page table; several outputs together exceed
            // glibc's trim threshold, go back to the OS on free and fault in anew on every call.
            if O >= 2 {
                for view in views.iter_mut() {
                    populate(view);
                }
            }
            kernel(slices, views)
        })?;
    }
    Ok(outs)
}

/// Like `run_n` over 2-D (symbols × time) panels, rows in parallel.
fn run_panel<'py, const I: usize, const O: usize>(
    py: Python<'py>,
    inputs: [(&str, &PyReadonlyArray2<'py, f64>); I],
    kernel: impl Fn([&[f64]; I], [&mut [f64]; O]) -> Result<(), KernelError> + Send + Sync,
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
        // SAFETY: as in `run`, every kernel writes every output slot of every row.
        std::array::from_fn(|_| unsafe { PyArray2::<f64>::new(py, [rows, cols], false) });
    {
        let mut views: Vec<&mut [f64]> = Vec::with_capacity(O);
        for out in &outs {
            // SAFETY: the arrays were just created here and no other reference to them exists.
            let view = unsafe { out.as_slice_mut() }
                .map_err(|e| PyValueError::new_err(format!("output: {e}")))?;
            views.push(view);
        }
        let views: [&mut [f64]; O] = views
            .try_into()
            .map_err(|_| PyValueError::new_err("output count"))?;
        py.detach(|| {
            let mut views = views;
            // One output of 10^6 points comes back from malloc's free list already mapped, and
            // populating it would only walk its page table; several outputs together exceed
            // glibc's trim threshold, go back to the OS on free and fault in anew on every call.
            if O >= 2 {
                for view in views.iter_mut() {
                    populate(view);
                }
            }
            crate::panel::map_rows(slices, views, cols, kernel)
        })?;
    }
    Ok(outs)
}

type Out1<'py> = PyResult<Bound<'py, PyArray1<f64>>>;
type Out2<'py> = PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)>;
type Out3<'py> = PyResult<(
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
)>;
type Panel1<'py> = PyResult<Bound<'py, PyArray2<f64>>>;
type Panel3<'py> = PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
)>;

/// Runs a one-output kernel into a caller's array (`out=`), which must not overlap an input.
fn run_into<'py, const I: usize>(
    py: Python<'py>,
    inputs: [(&str, &PyReadonlyArray1<'py, f64>); I],
    out: Bound<'py, PyArray1<f64>>,
    kernel: impl FnOnce([&[f64]; I], [&mut [f64]; 1]) -> Result<(), KernelError> + Send,
) -> Out1<'py> {
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

/// One series and a period in, one series out (a fresh array, or `out` when given).
macro_rules! series_period {
    ($name:ident, $arg:literal, $len:ident, $kernel:path, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (values, $len, out=None))]
        pub fn $name<'py>(
            py: Python<'py>,
            values: PyReadonlyArray1<'py, f64>,
            $len: usize,
            out: Option<Bound<'py, PyArray1<f64>>>,
        ) -> Out1<'py> {
            let kernel = |[v]: [&[f64]; 1], [o]: [&mut [f64]; 1]| $kernel(v, $len, o);
            match out {
                Some(out) => run_into(py, [($arg, &values)], out, kernel),
                None => {
                    let [out] = run_n(py, [($arg, &values)], kernel)?;
                    Ok(out)
                }
            }
        }
    };
}

series_period!(
    sma,
    "values",
    period,
    crate::sma::sma,
    "Simple moving average; see `quantcli.kernels.sma`."
);
series_period!(
    ema,
    "values",
    period,
    crate::ema::ema,
    "TA-Lib-seeded exponential moving average; see `quantcli.kernels.ema`."
);
series_period!(
    rsi,
    "close",
    period,
    crate::rsi::rsi,
    "Wilder's RSI as TA-Lib computes it; see `quantcli.kernels.rsi`."
);
series_period!(
    pct_return,
    "values",
    horizon,
    crate::returns::pct_return,
    "Simple return over `horizon` bars; see `quantcli.kernels.pct_return`."
);

/// Rolling standard deviation; see `quantcli.kernels.rolling_std`.
#[pyfunction]
pub fn rolling_std<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    window: usize,
    ddof: usize,
) -> Out1<'py> {
    let [out] = run_n(py, [("values", &values)], |[v], [out]| {
        crate::rolling_std::rolling_std(v, window, ddof, out)
    })?;
    Ok(out)
}
series_period!(
    wma,
    "values",
    period,
    crate::ta_averages::wma,
    "TA-Lib WMA."
);
series_period!(
    dema,
    "values",
    period,
    crate::ta_averages::dema,
    "TA-Lib DEMA."
);
series_period!(
    tema,
    "values",
    period,
    crate::ta_averages::tema,
    "TA-Lib TEMA."
);
series_period!(
    roc,
    "values",
    period,
    crate::ta_oscillators::roc,
    "TA-Lib ROC."
);
series_period!(
    mom,
    "values",
    period,
    crate::ta_oscillators::mom,
    "TA-Lib MOM."
);
series_period!(
    rolling_mean,
    "values",
    window,
    crate::rolling::rolling_mean,
    "Rolling mean."
);
series_period!(
    rolling_min,
    "values",
    window,
    crate::rolling::rolling_min,
    "Rolling min."
);
series_period!(
    rolling_max,
    "values",
    window,
    crate::rolling::rolling_max,
    "Rolling max."
);

/// High, low, close and a period in, one series out.
macro_rules! hlc_period {
    ($name:ident, $kernel:path, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        pub fn $name<'py>(
            py: Python<'py>,
            high: PyReadonlyArray1<'py, f64>,
            low: PyReadonlyArray1<'py, f64>,
            close: PyReadonlyArray1<'py, f64>,
            period: usize,
        ) -> Out1<'py> {
            let inputs = [("high", &high), ("low", &low), ("close", &close)];
            let [out] = run_n(py, inputs, |[h, l, c], [out]| $kernel(h, l, c, period, out))?;
            Ok(out)
        }
    };
}

hlc_period!(willr, crate::ta_oscillators::willr, "TA-Lib WILLR.");
hlc_period!(cci, crate::ta_oscillators::cci, "TA-Lib CCI.");
hlc_period!(atr, crate::ta_volatility::atr, "TA-Lib ATR.");
hlc_period!(natr, crate::ta_volatility::natr, "TA-Lib NATR.");

/// TA-Lib MACD: (line, signal, histogram).
#[pyfunction]
pub fn macd<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    fast_period: usize,
    slow_period: usize,
    signal_period: usize,
) -> Out3<'py> {
    let [a, b, c] = run_n(py, [("values", &values)], |[v], [a, b, c]| {
        crate::ta_averages::macd(v, fast_period, slow_period, signal_period, a, b, c)
    })?;
    Ok((a, b, c))
}

/// TA-Lib STOCH with SMA smoothing: (slow %K, slow %D).
#[pyfunction]
pub fn stoch<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    fastk_period: usize,
    slowk_period: usize,
    slowd_period: usize,
) -> Out2<'py> {
    let inputs = [("high", &high), ("low", &low), ("close", &close)];
    let [k, d] = run_n(py, inputs, |[h, l, c], [k, d]| {
        crate::ta_oscillators::stoch(h, l, c, fastk_period, slowk_period, slowd_period, k, d)
    })?;
    Ok((k, d))
}

/// TA-Lib ADX with the DIs: (adx, plus_di, minus_di).
#[pyfunction]
pub fn adx<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> Out3<'py> {
    let inputs = [("high", &high), ("low", &low), ("close", &close)];
    let [a, p, m] = run_n(py, inputs, |[h, l, c], [a, p, m]| {
        crate::ta_volatility::adx(h, l, c, period, a, p, m)
    })?;
    Ok((a, p, m))
}

/// Bollinger Bands: (upper, middle, lower).
#[pyfunction]
pub fn bbands<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    period: usize,
    nbdev_up: f64,
    nbdev_down: f64,
) -> Out3<'py> {
    let [u, m, l] = run_n(py, [("values", &values)], |[v], [u, m, l]| {
        crate::ta_volatility::bbands(v, period, nbdev_up, nbdev_down, u, m, l)
    })?;
    Ok((u, m, l))
}

/// Keltner channels: (upper, middle, lower).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn keltner<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    period: usize,
    atr_period: usize,
    multiplier: f64,
) -> Out3<'py> {
    let inputs = [("high", &high), ("low", &low), ("close", &close)];
    let [u, m, l] = run_n(py, inputs, |[h, lo, c], [u, m, l]| {
        crate::ta_volatility::keltner(h, lo, c, period, atr_period, multiplier, u, m, l)
    })?;
    Ok((u, m, l))
}

/// Donchian channels: (upper, middle, lower).
#[pyfunction]
pub fn donchian<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> Out3<'py> {
    let [u, m, l] = run_n(
        py,
        [("high", &high), ("low", &low)],
        |[h, lo], [u, m, l]| crate::ta_volatility::donchian(h, lo, period, u, m, l),
    )?;
    Ok((u, m, l))
}

/// TA-Lib OBV.
#[pyfunction]
pub fn obv<'py>(
    py: Python<'py>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
) -> Out1<'py> {
    let [out] = run_n(
        py,
        [("close", &close), ("volume", &volume)],
        |[c, v], [o]| crate::ta_volume::obv(c, v, o),
    )?;
    Ok(out)
}

/// TA-Lib AD (Chaikin accumulation/distribution line).
#[pyfunction]
pub fn ad<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
) -> Out1<'py> {
    let inputs = [
        ("high", &high),
        ("low", &low),
        ("close", &close),
        ("volume", &volume),
    ];
    let [out] = run_n(py, inputs, |[h, l, c, v], [o]| {
        crate::ta_volume::ad(h, l, c, v, o)
    })?;
    Ok(out)
}

/// TA-Lib MFI.
#[pyfunction]
pub fn mfi<'py>(
    py: Python<'py>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    period: usize,
) -> Out1<'py> {
    let inputs = [
        ("high", &high),
        ("low", &low),
        ("close", &close),
        ("volume", &volume),
    ];
    let [out] = run_n(py, inputs, |[h, l, c, v], [o]| {
        crate::ta_oscillators::mfi(h, l, c, v, period, o)
    })?;
    Ok(out)
}

/// Rolling VWAP over `window` bars.
#[pyfunction]
pub fn rolling_vwap<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    window: usize,
) -> Out1<'py> {
    let [out] = run_n(
        py,
        [("price", &price), ("volume", &volume)],
        |[p, v], [o]| crate::ta_volume::rolling_vwap(p, v, window, o),
    )?;
    Ok(out)
}

/// VWAP restarting at each change of `session`.
#[pyfunction]
pub fn session_vwap<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    session: PyReadonlyArray1<'py, i64>,
) -> Out1<'py> {
    let session = contiguous("session", &session)?;
    let [out] = run_n(
        py,
        [("price", &price), ("volume", &volume)],
        |[p, v], [o]| crate::ta_volume::session_vwap(p, v, session, o),
    )?;
    Ok(out)
}

/// Rolling z-score.
#[pyfunction]
pub fn rolling_zscore<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    window: usize,
    ddof: usize,
) -> Out1<'py> {
    let [out] = run_n(py, [("values", &values)], |[v], [o]| {
        crate::rolling::rolling_zscore(v, window, ddof, o)
    })?;
    Ok(out)
}

/// Rolling correlation.
#[pyfunction]
pub fn rolling_corr<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    window: usize,
) -> Out1<'py> {
    let [out] = run_n(py, [("x", &x), ("y", &y)], |[a, b], [o]| {
        crate::rolling::rolling_corr(a, b, window, o)
    })?;
    Ok(out)
}

/// Rolling beta of `asset` on `benchmark`.
#[pyfunction]
pub fn rolling_beta<'py>(
    py: Python<'py>,
    asset: PyReadonlyArray1<'py, f64>,
    benchmark: PyReadonlyArray1<'py, f64>,
    window: usize,
) -> Out1<'py> {
    let inputs = [("asset", &asset), ("benchmark", &benchmark)];
    let [out] = run_n(py, inputs, |[a, b], [o]| {
        crate::rolling::rolling_beta(a, b, window, o)
    })?;
    Ok(out)
}

/// Panel form of a one-series kernel with one length argument.
macro_rules! panel_period {
    ($name:ident, $len:ident, $kernel:path) => {
        /// Row by row over a (symbols × time) panel, rows in parallel.
        #[pyfunction]
        pub fn $name<'py>(
            py: Python<'py>,
            values: PyReadonlyArray2<'py, f64>,
            $len: usize,
        ) -> Panel1<'py> {
            let [out] = run_panel(py, [("values", &values)], |[v], [o]| $kernel(v, $len, o))?;
            Ok(out)
        }
    };
}

panel_period!(sma_panel, period, crate::sma::sma);
panel_period!(ema_panel, period, crate::ema::ema);
panel_period!(rsi_panel, period, crate::rsi::rsi);
panel_period!(pct_return_panel, horizon, crate::returns::pct_return);
panel_period!(wma_panel, period, crate::ta_averages::wma);
panel_period!(rolling_min_panel, window, crate::rolling::rolling_min);
panel_period!(rolling_max_panel, window, crate::rolling::rolling_max);

/// Rolling standard deviation per row of a panel.
#[pyfunction]
pub fn rolling_std_panel<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
    window: usize,
    ddof: usize,
) -> Panel1<'py> {
    let [out] = run_panel(py, [("values", &values)], |[v], [o]| {
        crate::rolling_std::rolling_std(v, window, ddof, o)
    })?;
    Ok(out)
}

/// ATR per row of high/low/close panels.
#[pyfunction]
pub fn atr_panel<'py>(
    py: Python<'py>,
    high: PyReadonlyArray2<'py, f64>,
    low: PyReadonlyArray2<'py, f64>,
    close: PyReadonlyArray2<'py, f64>,
    period: usize,
) -> Panel1<'py> {
    let inputs = [("high", &high), ("low", &low), ("close", &close)];
    let [out] = run_panel(py, inputs, |[h, l, c], [o]| {
        crate::ta_volatility::atr(h, l, c, period, o)
    })?;
    Ok(out)
}

/// Bollinger Bands per row of a panel: (upper, middle, lower).
#[pyfunction]
pub fn bbands_panel<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
    period: usize,
    nbdev_up: f64,
    nbdev_down: f64,
) -> Panel3<'py> {
    let [u, m, l] = run_panel(py, [("values", &values)], |[v], [u, m, l]| {
        crate::ta_volatility::bbands(v, period, nbdev_up, nbdev_down, u, m, l)
    })?;
    Ok((u, m, l))
}

/// Adds the TA-Lib-exact indicators and their panel forms to `_kernels`.
fn register_ta(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(wma, m)?)?;
    m.add_function(wrap_pyfunction!(dema, m)?)?;
    m.add_function(wrap_pyfunction!(tema, m)?)?;
    m.add_function(wrap_pyfunction!(macd, m)?)?;
    m.add_function(wrap_pyfunction!(stoch, m)?)?;
    m.add_function(wrap_pyfunction!(willr, m)?)?;
    m.add_function(wrap_pyfunction!(roc, m)?)?;
    m.add_function(wrap_pyfunction!(mom, m)?)?;
    m.add_function(wrap_pyfunction!(cci, m)?)?;
    m.add_function(wrap_pyfunction!(adx, m)?)?;
    m.add_function(wrap_pyfunction!(bbands, m)?)?;
    m.add_function(wrap_pyfunction!(atr, m)?)?;
    m.add_function(wrap_pyfunction!(natr, m)?)?;
    m.add_function(wrap_pyfunction!(obv, m)?)?;
    m.add_function(wrap_pyfunction!(ad, m)?)?;
    m.add_function(wrap_pyfunction!(mfi, m)?)?;
    m.add_function(wrap_pyfunction!(keltner, m)?)?;
    m.add_function(wrap_pyfunction!(donchian, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_vwap, m)?)?;
    m.add_function(wrap_pyfunction!(session_vwap, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_mean, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_zscore, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_min, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_max, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_corr, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_beta, m)?)?;
    m.add_function(wrap_pyfunction!(sma_panel, m)?)?;
    m.add_function(wrap_pyfunction!(ema_panel, m)?)?;
    m.add_function(wrap_pyfunction!(rsi_panel, m)?)?;
    m.add_function(wrap_pyfunction!(pct_return_panel, m)?)?;
    m.add_function(wrap_pyfunction!(wma_panel, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_min_panel, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_max_panel, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_std_panel, m)?)?;
    m.add_function(wrap_pyfunction!(atr_panel, m)?)?;
    m.add_function(wrap_pyfunction!(bbands_panel, m)?)?;
    Ok(())
}
