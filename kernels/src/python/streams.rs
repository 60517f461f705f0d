//! Streaming indicators for live trading: Python objects updated one bar at a time in O(1),
//! whose outputs equal the batch kernels on the same history.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Adds the stream classes to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SmaStream>()?;
    m.add_class::<EmaStream>()?;
    m.add_class::<RsiStream>()?;
    m.add_class::<AtrStream>()?;
    m.add_class::<RollingStdStream>()?;
    m.add_class::<BollingerStream>()?;
    Ok(())
}

fn positive(name: &str, value: usize) -> PyResult<usize> {
    if value == 0 {
        return Err(PyValueError::new_err(format!("{name} must be >= 1, got 0")));
    }
    Ok(value)
}

/// Streaming SMA.
#[pyclass(module = "quantcli._kernels")]
pub struct SmaStream(crate::streaming::SmaState);

#[pymethods]
impl SmaStream {
    #[new]
    fn new(period: usize) -> PyResult<Self> {
        let window = crate::streaming::Window::new(positive("period", period)?);
        Ok(SmaStream(crate::streaming::SmaState(window)))
    }
    fn update(&mut self, value: f64) -> f64 {
        self.0.update(value)
    }
}

/// Streaming TA-Lib EMA.
#[pyclass(module = "quantcli._kernels")]
pub struct EmaStream(crate::streaming::EmaState);

#[pymethods]
impl EmaStream {
    #[new]
    fn new(period: usize) -> PyResult<Self> {
        Ok(EmaStream(crate::streaming::EmaState::new(positive(
            "period", period,
        )?)))
    }
    fn update(&mut self, value: f64) -> f64 {
        self.0.update(value)
    }
}

/// Streaming Wilder RSI.
#[pyclass(module = "quantcli._kernels")]
pub struct RsiStream(crate::streaming::RsiState);

#[pymethods]
impl RsiStream {
    #[new]
    fn new(period: usize) -> PyResult<Self> {
        Ok(RsiStream(crate::streaming::RsiState::new(positive(
            "period", period,
        )?)))
    }
    fn update(&mut self, close: f64) -> f64 {
        self.0.update(close)
    }
}

/// Streaming Wilder ATR.
#[pyclass(module = "quantcli._kernels")]
pub struct AtrStream(crate::streaming::AtrState);

#[pymethods]
impl AtrStream {
    #[new]
    fn new(period: usize) -> PyResult<Self> {
        Ok(AtrStream(crate::streaming::AtrState::new(positive(
            "period", period,
        )?)))
    }
    fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        self.0.update(high, low, close)
    }
}

/// Streaming rolling standard deviation.
#[pyclass(module = "quantcli._kernels")]
pub struct RollingStdStream(crate::streaming::StdState);

#[pymethods]
impl RollingStdStream {
    #[new]
    fn new(window: usize, ddof: usize) -> PyResult<Self> {
        let window = positive("window", window)?;
        if ddof >= window {
            return Err(PyValueError::new_err(format!(
                "ddof must be smaller than window {window}, got {ddof}"
            )));
        }
        let window = crate::streaming::Window::new(window);
        Ok(RollingStdStream(crate::streaming::StdState {
            window,
            ddof,
        }))
    }
    fn update(&mut self, value: f64) -> f64 {
        self.0.update(value)
    }
}

/// Streaming Bollinger Bands.
#[pyclass(module = "quantcli._kernels")]
pub struct BollingerStream(crate::streaming::BollingerState);

#[pymethods]
impl BollingerStream {
    #[new]
    fn new(period: usize, nbdev_up: f64, nbdev_down: f64) -> PyResult<Self> {
        let window = crate::streaming::Window::new(positive("period", period)?);
        Ok(BollingerStream(crate::streaming::BollingerState {
            window,
            nbdev_up,
            nbdev_down,
        }))
    }
    fn update(&mut self, value: f64) -> (f64, f64, f64) {
        self.0.update(value)
    }
}
