"""The return model behind SyntheticMarket, in plain numpy (see synthetic_market for the story).

Daily log return of symbol i on day t:

    r[t, i] = beta[i] * market[t] + sector[t, g(i)] + idio[t, i] + signal_strength * mu[t, i]
    mu[t, i] = -REVERSAL * R(t-5, t) / sqrt(5) + MOMENTUM * R(t-20, t-5) / sqrt(15)

where R(a, b) is the symbol's own log return from close a to close b (known on day t-1's close,
so mu uses past prices only), and market, sector and idio are Gaussian with drift and volatility
set by a three-state Markov regime chain.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

REGIMES: tuple[str, ...] = ("calm_bull", "volatile_bear", "choppy")
# Daily market drift and volatility per regime, and the factor scaling sector and idio noise.
_MARKET_DRIFT = np.array([0.0006, -0.0010, 0.0])
_MARKET_VOL = np.array([0.007, 0.018, 0.011])
_NOISE_SCALE = np.array([0.8, 1.6, 1.1])
# Rows: from-regime. Staying probabilities give mean durations of ~67, 25 and 40 trading days.
_TRANSITIONS = np.array(
    [
        [0.985, 0.005, 0.010],
        [0.020, 0.960, 0.020],
        [0.015, 0.010, 0.975],
    ]
)
_SECTOR_VOL = 0.006
# Calibrated so the sign of mu predicts the sign of the next return ~55% of the time at strength 1.
REVERSAL = 0.15
MOMENTUM = 0.09
LOOKBACK = 20
# Above this the return recursion gets close to unstable (spectral radius near 1).
MAX_SIGNAL_STRENGTH = 5.0


@attrs.frozen
class SymbolTraits:
    """Per-symbol constants drawn once per market."""

    beta: FloatArray
    idio_vol: FloatArray
    sector: IntArray
    first_price: FloatArray
    median_volume: FloatArray


@attrs.frozen
class MarketPaths:
    """Simulated daily arrays, shaped (days, symbols) unless noted."""

    regimes: IntArray  # (days,) index into REGIMES
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


def signal_weights(signal_strength: float) -> FloatArray:
    """Weights on the last LOOKBACK daily returns (oldest first) that give mu."""
    weights = np.empty(LOOKBACK)
    weights[: LOOKBACK - 5] = MOMENTUM / np.sqrt(15)
    weights[LOOKBACK - 5 :] = -REVERSAL / np.sqrt(5)
    return signal_strength * weights


def draw_traits(rng: np.random.Generator, n_symbols: int, n_sectors: int) -> SymbolTraits:
    return SymbolTraits(
        beta=rng.uniform(0.7, 1.3, n_symbols),
        idio_vol=rng.uniform(0.010, 0.018, n_symbols),
        sector=np.arange(n_symbols) % n_sectors,
        first_price=np.exp(rng.uniform(np.log(20.0), np.log(300.0), n_symbols)),
        median_volume=np.exp(rng.normal(np.log(2e6), 0.8, n_symbols)),
    )


def simulate_regimes(rng: np.random.Generator, n_days: int) -> IntArray:
    """A Markov chain path over REGIMES, starting from a uniformly drawn regime."""
    cumulative = np.cumsum(_TRANSITIONS, axis=1)
    draws = rng.random(n_days)
    path = np.empty(n_days, dtype=np.int64)
    state = int(draws[0] * len(REGIMES))
    for day in range(n_days):
        path[day] = state
        # min() guards against the last cumulative sum rounding to just below 1.
        state = min(int(np.searchsorted(cumulative[state], draws[day], side="right")), 2)
    return path


def simulate_paths(
    rng: np.random.Generator, traits: SymbolTraits, n_days: int, signal_strength: float
) -> MarketPaths:
    """OHLCV paths for every symbol; vectorized across symbols, one small step per day."""
    n_symbols = traits.beta.size
    n_sectors = int(traits.sector.max()) + 1
    regimes = simulate_regimes(rng, n_days)
    scale = _NOISE_SCALE[regimes][:, None]
    market = _MARKET_DRIFT[regimes] + _MARKET_VOL[regimes] * rng.standard_normal(n_days)
    sectors = _SECTOR_VOL * rng.standard_normal((n_days, n_sectors))
    idio = traits.idio_vol * rng.standard_normal((n_days, n_symbols))
    unpredictable = traits.beta * market[:, None] + scale * (sectors[:, traits.sector] + idio)
    returns = _add_signal(unpredictable, signal_weights(signal_strength))
    day_vol = np.sqrt(
        (traits.beta * _MARKET_VOL[regimes][:, None]) ** 2
        + (scale * _SECTOR_VOL) ** 2
        + (scale * traits.idio_vol) ** 2
    )
    close = traits.first_price * np.exp(np.cumsum(returns, axis=0))
    previous_close = np.vstack([traits.first_price, close[:-1]])
    # Overnight gap and wicks are a fraction of the day's volatility, as in real daily bars.
    open_ = previous_close * np.exp(0.25 * day_vol * rng.standard_normal((n_days, n_symbols)))
    wick_up = np.abs(0.5 * day_vol * rng.standard_normal((n_days, n_symbols)))
    wick_down = np.abs(0.5 * day_vol * rng.standard_normal((n_days, n_symbols)))
    high = np.maximum(open_, close) * np.exp(wick_up)
    low = np.minimum(open_, close) * np.exp(-wick_down)
    surprise = np.abs(returns) / day_vol
    log_volume = 0.35 * rng.standard_normal((n_days, n_symbols)) + 0.6 * (surprise - 0.8)
    volume = np.round(traits.median_volume * np.exp(log_volume))
    return MarketPaths(regimes, open_, high, low, close, volume)


def _add_signal(unpredictable: FloatArray, weights: FloatArray) -> FloatArray:
    """Returns whose expected value on each day is `weights` applied to the previous returns."""
    n_days, n_symbols = unpredictable.shape
    if not weights.any():
        return unpredictable
    # Zero padding stands for "no history yet" before the first bar.
    padded = np.zeros((n_days + LOOKBACK, n_symbols))
    for day in range(n_days):
        padded[day + LOOKBACK] = unpredictable[day] + weights @ padded[day : day + LOOKBACK]
    return padded[LOOKBACK:]
