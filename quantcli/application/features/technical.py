"""Technical indicators from the Rust kernels; those in price units are divided by the close."""

from __future__ import annotations

from functools import partial

import numpy as np

from quantcli import kernels
from quantcli.application.common.ports import FloatArray
from quantcli.application.features.definition import (
    FeatureDefinition,
    FeatureFamily,
    SymbolBars,
    family_member,
)
from quantcli.application.features.parameters import (
    BollingerParameters,
    FeatureParameters,
    MacdParameters,
    StochParameters,
)

HLC = ("high", "low", "close")


def _rsi(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.rsi(bars.close, period)


def _macd(bars: SymbolBars, line: str, macd: MacdParameters) -> FloatArray:
    lines = kernels.macd(bars.close, macd.fast, macd.slow, macd.signal)
    # MACD is a price difference: per unit of price it compares across symbols and years.
    scaled: FloatArray = getattr(lines, line) / bars.close
    return scaled


def _stoch(bars: SymbolBars, line: str, stoch: StochParameters) -> FloatArray:
    lines = kernels.stoch(
        bars.high,
        bars.low,
        bars.close,
        fastk_period=stoch.fastk,
        slowk_period=stoch.slowk,
        slowd_period=stoch.slowd,
    )
    values: FloatArray = getattr(lines, line)
    return values


def _directional(bars: SymbolBars, line: str, period: int) -> FloatArray:
    values: FloatArray = getattr(kernels.adx(bars.high, bars.low, bars.close, period), line)
    return values


def _cci(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.cci(bars.high, bars.low, bars.close, period)


def _willr(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.willr(bars.high, bars.low, bars.close, period)


def _mfi(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.mfi(bars.high, bars.low, bars.close, bars.volume, period)


def _natr(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.natr(bars.high, bars.low, bars.close, period)


def _atr(bars: SymbolBars, period: int) -> FloatArray:
    return kernels.atr(bars.high, bars.low, bars.close, period)


def _bollinger_width(bars: SymbolBars, bollinger: BollingerParameters) -> FloatArray:
    bands = kernels.bbands(bars.close, bollinger.period, bollinger.nbdev, bollinger.nbdev)
    with np.errstate(divide="ignore", invalid="ignore"):
        width: FloatArray = (bands.upper - bands.lower) / bands.middle
    return width


_technical = family_member(FeatureFamily.TECHNICAL)


def technical_features(params: FeatureParameters) -> list[FeatureDefinition]:
    macd, stoch, bollinger = params.macd, params.stoch, params.bollinger
    macd_params = {"fast": macd.fast, "slow": macd.slow, "signal": macd.signal}
    macd_lookback = macd.slow - 1 + macd.signal - 1
    stoch_params = {"fastk": stoch.fastk, "slowk": stoch.slowk, "slowd": stoch.slowd}
    stoch_lookback = stoch.fastk - 1 + stoch.slowk - 1 + stoch.slowd - 1
    rsi, adx, cci = params.rsi_period, params.adx_period, params.cci_period
    willr, mfi, natr = params.willr_period, params.mfi_period, params.natr_period
    return [
        _technical(f"rsi_{rsi}", ("close",), rsi, {"period": rsi}, partial(_rsi, period=rsi)),
        *(
            _technical(
                name, ("close",), macd_lookback, macd_params, partial(_macd, line=line, macd=macd)
            )
            for name, line in (
                ("macd", "macd"),
                ("macd_signal", "signal"),
                ("macd_hist", "histogram"),
            )
        ),
        *(
            _technical(
                name, HLC, stoch_lookback, stoch_params, partial(_stoch, line=line, stoch=stoch)
            )
            for name, line in (("stoch_k", "slowk"), ("stoch_d", "slowd"))
        ),
        _technical(
            f"adx_{adx}",
            HLC,
            2 * adx - 1,
            {"period": adx},
            partial(_directional, line="adx", period=adx),
        ),
        *(
            _technical(
                f"{line}_{adx}",
                HLC,
                adx,
                {"period": adx},
                partial(_directional, line=line, period=adx),
            )
            for line in ("plus_di", "minus_di")
        ),
        _technical(f"cci_{cci}", HLC, cci - 1, {"period": cci}, partial(_cci, period=cci)),
        _technical(
            f"willr_{willr}", HLC, willr - 1, {"period": willr}, partial(_willr, period=willr)
        ),
        _technical(f"mfi_{mfi}", (*HLC, "volume"), mfi, {"period": mfi}, partial(_mfi, period=mfi)),
        _technical(f"natr_{natr}", HLC, natr, {"period": natr}, partial(_natr, period=natr)),
        *(
            _technical(f"atr_{p}", HLC, p, {"period": p}, partial(_atr, period=p))
            for p in params.atr_periods
        ),
        _technical(
            f"bollinger_width_{bollinger.period}",
            ("close",),
            bollinger.period - 1,
            {"period": bollinger.period, "nbdev": bollinger.nbdev},
            partial(_bollinger_width, bollinger=bollinger),
        ),
    ]
