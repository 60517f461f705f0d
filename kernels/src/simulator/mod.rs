//! Portfolio backtest simulator: many symbols, orders with the simulated broker's matching rules,
//! costs, market impact, partial fills, borrow fees and margin.
//!
//! Numbers are float64 throughout and the run is deterministic: the same inputs give the same
//! bits, because every sum runs in a fixed order (bars, then phases, then orders in submission
//! order, then symbols in index order). "Exact" cash therefore means reproducible float64, not
//! decimal-exact; the Decimal domain models in `quantcli.domain` give the exact per-fill values.
//!
//! One bar, in order:
//! 1. Open phase. A margin call at the previous close cancels every working order, liquidates
//!    every position with a bar at this open (market orders, reason "liquidation") and drops the
//!    signal that would have traded at this open. Otherwise the signal decided at the previous
//!    close becomes orders (target weights / positions: one MARKET DAY order per symbol) and joins
//!    the book. Every working order whose symbol has a bar is matched in submission order.
//! 2. Close phase. Marks move to the close. With `fill_at_close`, the signal decided at this bar
//!    is matched against its own close instead (look-ahead; flagged in the result).
//! 3. Borrow fees on shorts held at the close, equity, and the maintenance-margin check.
pub mod costs;
mod engine;
pub mod margin;
pub mod matching;
mod validate;

pub use engine::simulate_portfolio;

/// Row-major `(n_bars, n_symbols)` bars; a NaN open means the symbol has no bar, and then every
/// other field of that cell is NaN too.
#[derive(Clone, Copy, Debug)]
pub struct Bars<'a> {
    pub n_bars: usize,
    pub n_symbols: usize,
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
    /// Daily return volatility for the square-root impact model, same shape.
    pub volatility: &'a [f64],
    /// Calendar month of each bar, `(n_bars,)`: tiered commission volume resets when it changes.
    pub month: &'a [i64],
}

/// Orders given one per row; see `quantcli.kernels.Orders`.
#[derive(Clone, Copy, Debug)]
pub struct OrderList<'a> {
    /// Bar whose close the order is decided at; it works from the next bar.
    pub bar: &'a [i64],
    pub symbol: &'a [i64],
    /// Signed shares: positive buys, negative sells.
    pub quantity: &'a [f64],
    /// 0 market, 1 limit, 2 stop, 3 stop-limit.
    pub order_type: &'a [i64],
    pub limit_price: &'a [f64],
    pub stop_price: &'a [f64],
    /// 0 DAY, 1 GTC, 2 IOC.
    pub time_in_force: &'a [i64],
}

/// What drives the trading.
#[derive(Clone, Copy, Debug)]
pub enum Signal<'a> {
    /// `(n_bars, n_symbols)` fractions of equity; NaN holds.
    TargetWeights(&'a [f64]),
    /// `(n_bars, n_symbols)` signed shares; NaN holds.
    TargetPositions(&'a [f64]),
    Orders(OrderList<'a>),
}

/// Cost and impact parameters; see `quantcli.kernels.CostModel` for the formulas.
#[derive(Clone, Debug)]
pub struct CostModel {
    pub commission_per_share: f64,
    pub commission_minimum: f64,
    /// Cap on commission as a fraction of notional; infinity for none.
    pub commission_maximum_fraction: f64,
    pub commission_bps: f64,
    /// Ascending monthly share volumes at which each tier starts (first is 0); empty for the
    /// flat `commission_per_share`.
    pub tier_volumes: Vec<f64>,
    pub tier_rates: Vec<f64>,
    pub slippage_bps: f64,
    pub spread_bps: f64,
    pub volume_slippage: f64,
    pub square_root_impact: f64,
    pub temporary_impact: f64,
    pub permanent_impact: f64,
    /// Largest fraction of a bar's volume one symbol may trade in it; infinity for no cap.
    pub participation_rate: f64,
    pub borrow_rate: f64,
    pub bars_per_year: f64,
}

/// Leverage and margin; see `quantcli.kernels.MarginRules`.
#[derive(Clone, Copy, Debug)]
pub struct MarginRules {
    pub max_leverage: f64,
    pub initial_margin: f64,
    pub maintenance_margin: f64,
}

/// Everything else about a run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub initial_cash: f64,
    pub rebalance_band: f64,
    pub fill_at_close: bool,
}

/// Why a fill happened.
pub const REASON_SIGNAL: i64 = 0;
pub const REASON_LIQUIDATION: i64 = 1;

/// One array per fill field, in fill order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FillLog {
    pub bar: Vec<i64>,
    pub symbol: Vec<i64>,
    pub quantity: Vec<f64>,
    pub price: Vec<f64>,
    pub commission: Vec<f64>,
    pub slippage: Vec<f64>,
    pub impact: Vec<f64>,
    pub reason: Vec<i64>,
    /// Row of the order list, or -1 for orders made from targets and liquidations.
    pub order: Vec<i64>,
}

/// Run totals of each cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostTotals {
    pub commission: f64,
    pub slippage: f64,
    pub impact: f64,
    pub borrow: f64,
}

/// Counters a report should show.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunFlags {
    pub margin_calls: u64,
    pub orders_cut: u64,
    pub orders_rejected: u64,
}

/// Per-bar account history (`positions` row-major `(n_bars, n_symbols)`) and the fills.
#[derive(Clone, Debug, PartialEq)]
pub struct PortfolioRun {
    pub equity: Vec<f64>,
    pub cash: Vec<f64>,
    pub positions: Vec<f64>,
    pub fills: FillLog,
    pub costs: CostTotals,
    pub flags: RunFlags,
}
