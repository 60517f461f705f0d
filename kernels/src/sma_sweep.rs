//! Parameter sweep of the SMA-crossover strategy: every (fast, slow) pair backtested in parallel.
//!
//! Each distinct window's SMA is computed once and shared by every pair that uses it.
use rayon::prelude::*;

use crate::error::KernelError;
use crate::signal_backtest::{signal_backtest, SignalRules};
use crate::sma::sma;

/// What one parameter set produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    pub final_equity: f64,
    /// Annualized Sharpe of per-bar equity returns (0 when they do not vary).
    pub sharpe: f64,
    pub trade_count: usize,
}

/// +1 where `fast` crosses above `slow`, −1 where it crosses below, NaN elsewhere.
///
/// A cross is backtesting.py's: strictly below on the previous bar, strictly above now.
pub fn crossover_events(fast: &[f64], slow: &[f64], events: &mut [f64]) {
    events.fill(f64::NAN);
    for t in 1..fast.len() {
        let (was, now) = (fast[t - 1] - slow[t - 1], fast[t] - slow[t]);
        if was < 0.0 && now > 0.0 {
            events[t] = 1.0;
        } else if was > 0.0 && now < 0.0 {
            events[t] = -1.0;
        }
    }
}

/// Sharpe ratio of simple per-bar returns of `equity`, annualized by `periods_per_year`.
pub fn sharpe_ratio(equity: &[f64], periods_per_year: f64) -> f64 {
    let returns: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    if returns.len() < 2 {
        return 0.0;
    }
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let variance = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    if variance <= 0.0 {
        return 0.0;
    }
    mean / variance.sqrt() * periods_per_year.sqrt()
}

/// Backtests every `(fast[i], slow[i])` pair on one instrument.
pub fn sma_cross_sweep(
    open: &[f64],
    close: &[f64],
    fast: &[usize],
    slow: &[usize],
    initial_cash: f64,
    rules: &SignalRules,
    periods_per_year: f64,
) -> Result<Vec<SweepPoint>, KernelError> {
    if fast.len() != slow.len() {
        return Err(KernelError::Invalid {
            name: "slow",
            reason: format!("has {} windows but fast has {}", slow.len(), fast.len()),
        });
    }
    let mut windows: Vec<usize> = fast.iter().chain(slow).copied().collect();
    windows.sort_unstable();
    windows.dedup();
    let averages: Vec<Vec<f64>> = windows
        .par_iter()
        .map(|&window| {
            let mut out = vec![0.0; close.len()];
            sma(close, window, &mut out).map(|()| out)
        })
        .collect::<Result<_, _>>()?;
    let average = |window: usize| &averages[windows.binary_search(&window).unwrap_or(0)];
    fast.par_iter()
        .zip(slow)
        .map(|(&f, &s)| {
            let mut events = vec![0.0; close.len()];
            crossover_events(average(f), average(s), &mut events);
            let run = signal_backtest(open, close, &events, initial_cash, rules)?;
            Ok(SweepPoint {
                final_equity: *run.equity.last().unwrap_or(&initial_cash),
                sharpe: sharpe_ratio(&run.equity, periods_per_year),
                trade_count: run.trades.len(),
            })
        })
        .collect()
}
