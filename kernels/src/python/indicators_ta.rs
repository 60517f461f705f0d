//! Bindings for the TA-Lib-exact indicators (`quantcli.kernels.indicators_ta`) and their panel
//! forms.
use pyo3::prelude::*;

use super::declare::indicators;

/// Adds this module's functions to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_declared(m)
}

indicators! {
    /// TA-Lib WMA.
    fn wma / wma_panel(values; period: usize) -> out = crate::wma::wma;
    /// TA-Lib DEMA.
    fn dema / dema_panel(values; period: usize) -> out = crate::ta_averages::dema;
    /// TA-Lib TEMA.
    fn tema / tema_panel(values; period: usize) -> out = crate::ta_averages::tema;
    /// TA-Lib MACD: (line, signal, histogram).
    fn macd / macd_panel(
        values; fast_period: usize, slow_period: usize, signal_period: usize
    ) -> (line, signal, histogram) = crate::ta_averages::macd;
    /// TA-Lib STOCH with SMA smoothing: (slow %K, slow %D).
    fn stoch / stoch_panel(
        high, low, close; fastk_period: usize, slowk_period: usize, slowd_period: usize
    ) -> (slowk, slowd) = crate::ta_oscillators::stoch;
    /// TA-Lib WILLR.
    fn willr / willr_panel(high, low, close; period: usize) -> (out)
        = crate::ta_oscillators::willr;
    /// TA-Lib ROC.
    fn roc / roc_panel(values; period: usize) -> out = crate::ta_oscillators::roc;
    /// TA-Lib MOM.
    fn mom / mom_panel(values; period: usize) -> out = crate::ta_oscillators::mom;
    /// TA-Lib CCI.
    fn cci / cci_panel(high, low, close; period: usize) -> (out) = crate::ta_oscillators::cci;
    /// TA-Lib ADX with the DIs: (adx, plus_di, minus_di).
    fn adx / adx_panel(high, low, close; period: usize) -> (adx, plus_di, minus_di)
        = crate::ta_volatility::adx;
    /// Bollinger Bands: (upper, middle, lower).
    fn bbands / bbands_panel(
        values; period: usize, nbdev_up: f64, nbdev_down: f64
    ) -> (upper, middle, lower) = crate::ta_volatility::bbands;
    /// TA-Lib ATR.
    fn atr / atr_panel(high, low, close; period: usize) -> (out) = crate::ta_volatility::atr;
    /// TA-Lib NATR.
    fn natr / natr_panel(high, low, close; period: usize) -> (out)
        = crate::ta_volatility::natr;
    /// TA-Lib OBV.
    fn obv / obv_panel(close, volume;) -> (out) = crate::ta_volume::obv;
    /// TA-Lib AD (Chaikin accumulation/distribution line).
    fn ad / ad_panel(high, low, close, volume;) -> (out) = crate::ta_volume::ad;
    /// TA-Lib MFI.
    fn mfi / mfi_panel(high, low, close, volume; period: usize) -> (out)
        = crate::ta_oscillators::mfi;
}
