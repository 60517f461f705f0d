"""Volume features: volume against its average, and OBV and A/D flows scaled by volume."""

from __future__ import annotations

from functools import partial

import numpy as np

from quantcli import kernels
from quantcli.application.common.ports import FloatArray
from quantcli.application.features.definition import FeatureDefinition, FeatureFamily, SymbolBars


def lagged_difference(values: FloatArray, lag: int) -> FloatArray:
    """values[t] - values[t - lag]; NaN for the first `lag` bars."""
    difference = np.full(len(values), np.nan)
    difference[lag:] = values[lag:] - values[:-lag]
    return difference


def _volume_ratio(bars: SymbolBars, window: int) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: FloatArray = bars.volume / kernels.sma(bars.volume, window)
    return ratio


def _flow(line: FloatArray, volume: FloatArray, window: int) -> FloatArray:
    # A cumulative line's change over the window, over the volume traded in it: the raw line
    # depends on where the history starts, its windowed change does not.
    traded = kernels.rolling_mean(volume, window) * window
    with np.errstate(divide="ignore", invalid="ignore"):
        flow: FloatArray = lagged_difference(line, window) / traded
    return flow


def _obv_flow(bars: SymbolBars, window: int) -> FloatArray:
    return _flow(kernels.obv(bars.close, bars.volume), bars.volume, window)


def _ad_flow(bars: SymbolBars, window: int) -> FloatArray:
    line = kernels.ad(bars.high, bars.low, bars.close, bars.volume)
    return _flow(line, bars.volume, window)


def volume_features(ratio_windows: tuple[int, ...], flow_window: int) -> list[FeatureDefinition]:
    ratios = [
        FeatureDefinition(
            name=f"volume_ratio_{w}",
            version=1,
            family=FeatureFamily.VOLUME,
            inputs=("volume",),
            lookback=w - 1,
            params={"window": w},
            compute=partial(_volume_ratio, window=w),
        )
        for w in ratio_windows
    ]
    return [
        *ratios,
        FeatureDefinition(
            name=f"obv_flow_{flow_window}",
            version=1,
            family=FeatureFamily.VOLUME,
            inputs=("close", "volume"),
            lookback=flow_window,
            params={"window": flow_window},
            compute=partial(_obv_flow, window=flow_window),
        ),
        FeatureDefinition(
            name=f"ad_flow_{flow_window}",
            version=1,
            family=FeatureFamily.VOLUME,
            inputs=("high", "low", "close", "volume"),
            lookback=flow_window,
            params={"window": flow_window},
            compute=partial(_ad_flow, window=flow_window),
        ),
    ]
