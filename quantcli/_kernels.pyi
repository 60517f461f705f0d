"""Compiled kernels (Rust, PyO3). Import `quantcli.kernels` instead: it checks the inputs."""

from typing import final

import numpy as np
from numpy.typing import NDArray

__version__: str

# Every indicator `name` has a panel form `name_panel`: 2-D (symbols × time) float64 panels of one
# shape in place of the series, 2-D outputs in the same order, each row equal to `name` of that row.
# `session_vwap_panel` takes session ids of the panels' shape or of one row shared by all symbols.

# --- indicators (kernels/src/python/indicators.rs) ---

def sma(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def sma_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def ema(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def ema_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def rsi(
    close: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def rsi_panel(close: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def rolling_std(values: NDArray[np.float64], window: int, ddof: int) -> NDArray[np.float64]: ...
def rolling_std_panel(
    values: NDArray[np.float64], window: int, ddof: int
) -> NDArray[np.float64]: ...
def pct_return(
    values: NDArray[np.float64], horizon: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def pct_return_panel(values: NDArray[np.float64], horizon: int) -> NDArray[np.float64]: ...

# --- TA-Lib-exact indicators (kernels/src/python/indicators_ta.rs) ---

def wma(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def wma_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def dema(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def dema_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def tema(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def tema_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def macd(
    values: NDArray[np.float64], fast_period: int, slow_period: int, signal_period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def macd_panel(
    values: NDArray[np.float64], fast_period: int, slow_period: int, signal_period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def stoch(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    fastk_period: int,
    slowk_period: int,
    slowd_period: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def stoch_panel(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    fastk_period: int,
    slowk_period: int,
    slowd_period: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def willr(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def willr_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def roc(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def roc_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def mom(
    values: NDArray[np.float64], period: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def mom_panel(values: NDArray[np.float64], period: int) -> NDArray[np.float64]: ...
def cci(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def cci_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def adx(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def adx_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def bbands(
    values: NDArray[np.float64], period: int, nbdev_up: float, nbdev_down: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def bbands_panel(
    values: NDArray[np.float64], period: int, nbdev_up: float, nbdev_down: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def atr(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def atr_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def natr(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def natr_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], close: NDArray[np.float64], period: int
) -> NDArray[np.float64]: ...
def obv(close: NDArray[np.float64], volume: NDArray[np.float64]) -> NDArray[np.float64]: ...
def obv_panel(close: NDArray[np.float64], volume: NDArray[np.float64]) -> NDArray[np.float64]: ...
def ad(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64],
) -> NDArray[np.float64]: ...
def ad_panel(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64],
) -> NDArray[np.float64]: ...
def mfi(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64],
    period: int,
) -> NDArray[np.float64]: ...
def mfi_panel(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64],
    period: int,
) -> NDArray[np.float64]: ...

# --- channels, VWAP, rolling statistics (indicators_stats.rs) ---

def keltner(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    period: int,
    atr_period: int,
    multiplier: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def keltner_panel(
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    period: int,
    atr_period: int,
    multiplier: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def donchian(
    high: NDArray[np.float64], low: NDArray[np.float64], period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def donchian_panel(
    high: NDArray[np.float64], low: NDArray[np.float64], period: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def rolling_vwap(
    price: NDArray[np.float64], volume: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def rolling_vwap_panel(
    price: NDArray[np.float64], volume: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def rolling_mean(
    values: NDArray[np.float64], window: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def rolling_mean_panel(values: NDArray[np.float64], window: int) -> NDArray[np.float64]: ...
def rolling_zscore(values: NDArray[np.float64], window: int, ddof: int) -> NDArray[np.float64]: ...
def rolling_zscore_panel(
    values: NDArray[np.float64], window: int, ddof: int
) -> NDArray[np.float64]: ...
def rolling_min(
    values: NDArray[np.float64], window: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def rolling_min_panel(values: NDArray[np.float64], window: int) -> NDArray[np.float64]: ...
def rolling_max(
    values: NDArray[np.float64], window: int, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]: ...
def rolling_max_panel(values: NDArray[np.float64], window: int) -> NDArray[np.float64]: ...
def rolling_corr(
    x: NDArray[np.float64], y: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def rolling_corr_panel(
    x: NDArray[np.float64], y: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def rolling_beta(
    asset: NDArray[np.float64], benchmark: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def rolling_beta_panel(
    asset: NDArray[np.float64], benchmark: NDArray[np.float64], window: int
) -> NDArray[np.float64]: ...
def session_vwap(
    price: NDArray[np.float64], volume: NDArray[np.float64], session: NDArray[np.int64]
) -> NDArray[np.float64]: ...
def session_vwap_panel(
    price: NDArray[np.float64], volume: NDArray[np.float64], session: NDArray[np.int64]
) -> NDArray[np.float64]: ...

@final
class SmaStream:
    def __new__(cls, period: int) -> SmaStream: ...
    def update(self, value: float) -> float: ...

@final
class EmaStream:
    def __new__(cls, period: int) -> EmaStream: ...
    def update(self, value: float) -> float: ...

@final
class RsiStream:
    def __new__(cls, period: int) -> RsiStream: ...
    def update(self, close: float) -> float: ...

@final
class AtrStream:
    def __new__(cls, period: int) -> AtrStream: ...
    def update(self, high: float, low: float, close: float) -> float: ...

@final
class RollingStdStream:
    def __new__(cls, window: int, ddof: int) -> RollingStdStream: ...
    def update(self, value: float) -> float: ...

@final
class BollingerStream:
    def __new__(cls, period: int, nbdev_up: float, nbdev_down: float) -> BollingerStream: ...
    def update(self, value: float) -> tuple[float, float, float]: ...

# --- simulator (kernels/src/python/simulator.rs) ---

def simulate_portfolio(
    open: NDArray[np.float64],
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64],
    volatility: NDArray[np.float64],
    month: NDArray[np.int64],
    *,
    target_weights: NDArray[np.float64] | None,
    target_positions: NDArray[np.float64] | None,
    orders: tuple[
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.float64],
        NDArray[np.int64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.int64],
    ]
    | None,
    initial_cash: float,
    rebalance_band: float,
    fill_at_close: bool,
    commission_per_share: float,
    commission_minimum: float,
    commission_maximum_fraction: float,
    commission_bps: float,
    tier_volumes: NDArray[np.float64],
    tier_rates: NDArray[np.float64],
    slippage_bps: float,
    spread_bps: float,
    volume_slippage: float,
    square_root_impact: float,
    temporary_impact: float,
    permanent_impact: float,
    participation_rate: float,
    borrow_rate: float,
    bars_per_year: float,
    max_leverage: float,
    initial_margin: float,
    maintenance_margin: float,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    tuple[
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.int64],
        NDArray[np.int64],
    ],
    tuple[float, float, float, float],
    tuple[int, int, int],
]: ...

# --- signals (kernels/src/python/signals.rs) ---

def signal_backtest(
    open: NDArray[np.float64],
    close: NDArray[np.float64],
    events: NDArray[np.float64],
    *,
    initial_cash: float,
    fill: str,
    sizing: str,
    commission_rate: float,
    commission_fixed: float,
    cash_fraction: float,
    allow_short: bool,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
]: ...
def sma_cross_sweep(
    open: NDArray[np.float64],
    close: NDArray[np.float64],
    fast: list[int],
    slow: list[int],
    *,
    initial_cash: float,
    fill: str,
    sizing: str,
    commission_rate: float,
    commission_fixed: float,
    cash_fraction: float,
    allow_short: bool,
    periods_per_year: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]: ...

# --- combinatorial purged cross-validation (kernels/src/python/cpcv.rs) ---

@final
class CpcvPlan:
    def __new__(
        cls,
        n_samples: int,
        n_groups: int,
        n_test_groups: int,
        *,
        purged_size: int,
        embargo_size: int,
        times: NDArray[np.int64] | None,
        label_end_times: NDArray[np.int64] | None,
    ) -> CpcvPlan: ...
    @property
    def n_splits(self) -> int: ...
    def group_bounds(self) -> NDArray[np.int64]: ...
    def test_groups(self) -> NDArray[np.int64]: ...
    def path_ids(self) -> NDArray[np.int64]: ...
    def split_indices(
        self, splits: list[int]
    ) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]: ...
