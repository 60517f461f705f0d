"""Price features: returns over several horizons, intraday range, overnight gap, volatility."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from quantcli import kernels
from quantcli.application.common.ports import FloatArray
from quantcli.application.features.definition import FeatureDefinition, FeatureFamily, SymbolBars

TRADING_DAYS_PER_YEAR = 252
# The long window of volatility_ratio, in multiples of the short one.
LONG_VOLATILITY_MULTIPLE = 4


def _return(bars: SymbolBars, horizon: int) -> FloatArray:
    return kernels.pct_return(bars.close, horizon)


def _intraday_range(bars: SymbolBars) -> FloatArray:
    return (bars.high - bars.low) / bars.close


def _overnight_gap(bars: SymbolBars) -> FloatArray:
    gap = np.full(len(bars), np.nan)
    gap[1:] = bars.open[1:] / bars.close[:-1] - 1
    return gap


def annualized_volatility(close: FloatArray, window: int) -> FloatArray:
    """Sample std of the last `window` one-bar returns, times sqrt(252).

    A fixed scale, not the bars' inferred annualization (`application.annualization`): a
    feature must depend on past bars only and be the same in batch and live, and a factor
    inferred over the sample would move with its later bars. The model is indifferent to a
    constant scale; the feature's params record it.
    """
    daily = kernels.pct_return(close, 1)
    return kernels.rolling_std(daily, window) * math.sqrt(TRADING_DAYS_PER_YEAR)


def _volatility(bars: SymbolBars, window: int) -> FloatArray:
    return annualized_volatility(bars.close, window)


def _volatility_ratio(bars: SymbolBars, window: int) -> FloatArray:
    daily = kernels.pct_return(bars.close, 1)
    short = kernels.rolling_std(daily, window)
    long = kernels.rolling_std(daily, LONG_VOLATILITY_MULTIPLE * window)
    # Flat stretches make both 0: their ratio is undefined, NaN.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: FloatArray = short / long
    return ratio


def return_feature(horizon: int) -> FeatureDefinition:
    """return_h: close / close h bars earlier - 1."""
    return FeatureDefinition(
        name=f"return_{horizon}",
        version=1,
        family=FeatureFamily.PRICE,
        inputs=("close",),
        lookback=horizon,
        params={"horizon": horizon},
        compute=partial(_return, horizon=horizon),
    )


def volatility_feature(window: int) -> FeatureDefinition:
    """volatility_w: realized volatility of one-bar returns over w bars, annualized."""
    return FeatureDefinition(
        name=f"volatility_{window}",
        version=1,
        family=FeatureFamily.PRICE,
        inputs=("close",),
        lookback=window,
        params={"window": window, "annualization": TRADING_DAYS_PER_YEAR},
        compute=partial(_volatility, window=window),
    )


def price_features(
    return_horizons: tuple[int, ...], volatility_window: int
) -> list[FeatureDefinition]:
    long_window = LONG_VOLATILITY_MULTIPLE * volatility_window
    return [
        *(return_feature(h) for h in return_horizons),
        FeatureDefinition(
            name="intraday_range",
            version=1,
            family=FeatureFamily.PRICE,
            inputs=("high", "low", "close"),
            lookback=0,
            compute=_intraday_range,
        ),
        FeatureDefinition(
            name="overnight_gap",
            version=1,
            family=FeatureFamily.PRICE,
            inputs=("open", "close"),
            lookback=1,
            compute=_overnight_gap,
        ),
        volatility_feature(volatility_window),
        FeatureDefinition(
            name="volatility_ratio",
            version=1,
            family=FeatureFamily.PRICE,
            inputs=("close",),
            lookback=long_window,
            params={"short_window": volatility_window, "long_window": long_window},
            compute=partial(_volatility_ratio, window=volatility_window),
        ),
    ]
