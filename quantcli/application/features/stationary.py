"""Stationary forms: scale-free transforms of price and volume that keep a stable distribution."""

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
from quantcli.application.features.parameters import BollingerParameters, FeatureParameters


def _volume_zscore(bars: SymbolBars, window: int) -> FloatArray:
    volume_std = kernels.rolling_std(bars.volume, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        zscore = (bars.volume - kernels.sma(bars.volume, window)) / volume_std
    # Constant volume has no spread: score it 0, but keep the warm-up NaN.
    return np.where(volume_std == 0, 0.0, zscore)


def _demeaned_return(bars: SymbolBars, window: int) -> FloatArray:
    daily = kernels.pct_return(bars.close, 1)
    return daily - kernels.rolling_mean(daily, window)


def _close_to_sma(bars: SymbolBars, period: int) -> FloatArray:
    return bars.close / kernels.sma(bars.close, period) - 1


def _close_to_ema(bars: SymbolBars, period: int) -> FloatArray:
    return bars.close / kernels.ema(bars.close, period) - 1


def _log_distance(bars: SymbolBars, period: int) -> FloatArray:
    return np.log(bars.close / kernels.sma(bars.close, period))


def position_in_channel(value: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    """0 at the lower line, 1 at the upper one; 0.5 when the channel has no width."""
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        position = (value - lower) / width
    return np.where(width == 0, 0.5, position)


def _bollinger_position(bars: SymbolBars, bollinger: BollingerParameters) -> FloatArray:
    bands = kernels.bbands(bars.close, bollinger.period, bollinger.nbdev, bollinger.nbdev)
    return position_in_channel(bars.close, bands.lower, bands.upper)


def _donchian_position(bars: SymbolBars, period: int) -> FloatArray:
    channel = kernels.donchian(bars.high, bars.low, period)
    return position_in_channel(bars.close, channel.lower, channel.upper)


def _volume_weighted_momentum(bars: SymbolBars, window: int) -> FloatArray:
    # Σ r·v / Σ v over the window: the VWAP kernel with one-bar returns as the "price".
    return kernels.rolling_vwap(kernels.pct_return(bars.close, 1), bars.volume, window)


def _close_to_vwap(bars: SymbolBars, window: int) -> FloatArray:
    typical = (bars.high + bars.low + bars.close) / 3
    return bars.close / kernels.rolling_vwap(typical, bars.volume, window) - 1


_stationary = family_member(FeatureFamily.STATIONARY)


def stationary_features(params: FeatureParameters) -> list[FeatureDefinition]:
    volume, demean = params.volume_window, params.demean_window
    momentum, donchian, vwap = params.momentum_window, params.donchian_period, params.vwap_window
    bollinger = params.bollinger
    return [
        _stationary(
            f"volume_zscore_{volume}",
            ("volume",),
            volume - 1,
            {"window": volume},
            partial(_volume_zscore, window=volume),
        ),
        _stationary(
            f"demeaned_return_{demean}",
            ("close",),
            demean,
            {"window": demean},
            partial(_demeaned_return, window=demean),
        ),
        *(
            _stationary(
                f"close_to_sma_{p}",
                ("close",),
                p - 1,
                {"period": p},
                partial(_close_to_sma, period=p),
            )
            for p in params.sma_periods
        ),
        *(
            _stationary(
                f"close_to_ema_{p}",
                ("close",),
                p - 1,
                {"period": p},
                partial(_close_to_ema, period=p),
            )
            for p in params.ema_periods
        ),
        *(
            _stationary(
                f"log_distance_sma_{p}",
                ("close",),
                p - 1,
                {"period": p},
                partial(_log_distance, period=p),
            )
            for p in params.log_distance_periods
        ),
        _stationary(
            f"bollinger_position_{bollinger.period}",
            ("close",),
            bollinger.period - 1,
            {"period": bollinger.period, "nbdev": bollinger.nbdev},
            partial(_bollinger_position, bollinger=bollinger),
        ),
        _stationary(
            f"vw_momentum_{momentum}",
            ("close", "volume"),
            momentum,
            {"window": momentum},
            partial(_volume_weighted_momentum, window=momentum),
        ),
        _stationary(
            f"donchian_position_{donchian}",
            ("high", "low", "close"),
            donchian - 1,
            {"period": donchian},
            partial(_donchian_position, period=donchian),
        ),
        _stationary(
            f"close_to_vwap_{vwap}",
            ("high", "low", "close", "volume"),
            vwap - 1,
            {"window": vwap},
            partial(_close_to_vwap, window=vwap),
        ),
    ]
