//! Bindings for the event-driven single-instrument backtest and the SMA-crossover sweep.
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::signal_backtest::{signal_backtest as run, Fill, SignalRules, Sizing};
use crate::sma_sweep::sma_cross_sweep as sweep;

type Float1<'py> = Bound<'py, PyArray1<f64>>;
/// `(equity, position, trade_size, entry_bar, entry_price, exit_bar, exit_price, commission)`;
/// an open trade's exit bar is −1 and its exit price NaN.
type Outcome<'py> = (
    Float1<'py>,
    Float1<'py>,
    Float1<'py>,
    Bound<'py, PyArray1<i64>>,
    Float1<'py>,
    Bound<'py, PyArray1<i64>>,
    Float1<'py>,
    Float1<'py>,
);

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(signal_backtest, m)?)?;
    m.add_function(wrap_pyfunction!(sma_cross_sweep, m)?)?;
    Ok(())
}

fn rules(
    fill: &str,
    sizing: &str,
    commission_rate: f64,
    commission_fixed: f64,
    cash_fraction: f64,
    allow_short: bool,
) -> PyResult<SignalRules> {
    let fill = match fill {
        "next_open" => Fill::NextOpen,
        "same_close" => Fill::SameClose,
        other => {
            let message = format!("fill: expected 'next_open' or 'same_close', got {other:?}");
            return Err(PyValueError::new_err(message));
        }
    };
    let sizing = match sizing {
        "whole" => Sizing::WholeShares,
        "fractional" => Sizing::Fractional,
        other => {
            let message = format!("sizing: expected 'whole' or 'fractional', got {other:?}");
            return Err(PyValueError::new_err(message));
        }
    };
    Ok(SignalRules {
        fill,
        sizing,
        commission_rate,
        commission_fixed,
        cash_fraction,
        allow_short,
    })
}

/// Event-driven all-in backtest of one instrument; see `quantcli.kernels.signal_backtest`.
#[pyfunction]
#[pyo3(signature = (
    open, close, events, *, initial_cash, fill, sizing, commission_rate, commission_fixed,
    cash_fraction, allow_short
))]
#[allow(clippy::too_many_arguments)] // mirrors the Python signature, keyword by keyword
pub fn signal_backtest<'py>(
    py: Python<'py>,
    open: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    events: PyReadonlyArray1<'py, f64>,
    initial_cash: f64,
    fill: &str,
    sizing: &str,
    commission_rate: f64,
    commission_fixed: f64,
    cash_fraction: f64,
    allow_short: bool,
) -> PyResult<Outcome<'py>> {
    let rules = rules(
        fill,
        sizing,
        commission_rate,
        commission_fixed,
        cash_fraction,
        allow_short,
    )?;
    let (open, close, events) = (
        contiguous("open", &open)?,
        contiguous("close", &close)?,
        contiguous("events", &events)?,
    );
    let result = py.detach(|| run(open, close, events, initial_cash, &rules))?;
    let trades = &result.trades;
    let column = |f: &dyn Fn(&crate::signal_backtest::Trade) -> f64| {
        PyArray1::from_vec(py, trades.iter().map(f).collect())
    };
    let exit_bar = |t: &crate::signal_backtest::Trade| t.exit_bar.map_or(-1, |b| b as i64);
    Ok((
        PyArray1::from_vec(py, result.equity),
        PyArray1::from_vec(py, result.position),
        column(&|t| t.size),
        PyArray1::from_vec(py, trades.iter().map(|t| t.entry_bar as i64).collect()),
        column(&|t| t.entry_price),
        PyArray1::from_vec(py, trades.iter().map(exit_bar).collect()),
        column(&|t| t.exit_price),
        column(&|t| t.commission),
    ))
}

/// SMA-crossover sweep over `(fast[i], slow[i])`; see `quantcli.kernels.sma_cross_sweep`.
#[pyfunction]
#[pyo3(signature = (
    open, close, fast, slow, *, initial_cash, fill, sizing, commission_rate, commission_fixed,
    cash_fraction, allow_short, periods_per_year
))]
#[allow(clippy::too_many_arguments)] // mirrors the Python signature, keyword by keyword
pub fn sma_cross_sweep<'py>(
    py: Python<'py>,
    open: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    fast: Vec<usize>,
    slow: Vec<usize>,
    initial_cash: f64,
    fill: &str,
    sizing: &str,
    commission_rate: f64,
    commission_fixed: f64,
    cash_fraction: f64,
    allow_short: bool,
    periods_per_year: f64,
) -> PyResult<(Float1<'py>, Float1<'py>, Bound<'py, PyArray1<i64>>)> {
    let rules = rules(
        fill,
        sizing,
        commission_rate,
        commission_fixed,
        cash_fraction,
        allow_short,
    )?;
    let (open, close) = (contiguous("open", &open)?, contiguous("close", &close)?);
    let points = py.detach(|| {
        sweep(
            open,
            close,
            &fast,
            &slow,
            initial_cash,
            &rules,
            periods_per_year,
        )
    })?;
    Ok((
        PyArray1::from_vec(py, points.iter().map(|p| p.final_equity).collect()),
        PyArray1::from_vec(py, points.iter().map(|p| p.sharpe).collect()),
        PyArray1::from_vec(py, points.iter().map(|p| p.trade_count as i64).collect()),
    ))
}
