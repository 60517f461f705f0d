//! Bindings for the core indicators (`quantcli.kernels.indicators`) and their panel forms.
use pyo3::prelude::*;

use super::declare::indicators;

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_declared(m)
}

indicators! {
    /// Simple moving average; see `quantcli.kernels.sma`.
    fn sma / sma_panel(values; period: usize) -> out = crate::sma::sma;
    /// TA-Lib-seeded exponential moving average; see `quantcli.kernels.ema`.
    fn ema / ema_panel(values; period: usize) -> out = crate::ema::ema;
    /// Wilder's RSI as TA-Lib computes it; see `quantcli.kernels.rsi`.
    fn rsi / rsi_panel(close; period: usize) -> out = crate::rsi::rsi;
    /// Rolling standard deviation; see `quantcli.kernels.rolling_std`.
    fn rolling_std / rolling_std_panel(values; window: usize, ddof: usize) -> (out)
        = crate::rolling_std::rolling_std;
    /// Simple return over `horizon` bars; see `quantcli.kernels.pct_return`.
    fn pct_return / pct_return_panel(values; horizon: usize) -> out
        = crate::returns::pct_return;
}
