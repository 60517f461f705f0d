//! Target-weight backtest: weights decided at a bar's close trade at the next bar's open.
//!
//! The rules mirror the simulated broker (`quantcli.domain.costs`), which applies them in Decimal.
use crate::error::KernelError;

/// Commission, slippage and the no-trade band, all non-negative.
#[derive(Clone, Copy, Debug)]
pub struct Costs {
    pub commission_per_share: f64,
    pub commission_minimum: f64,
    pub commission_bps: f64,
    pub slippage_bps: f64,
    /// A resize that keeps the position's side is skipped when worth less than this fraction
    /// of equity; opening, closing and flipping always trade.
    pub rebalance_band: f64,
}

/// Row-major `(n_bars, n_symbols)` price and weight panels.
#[derive(Clone, Copy, Debug)]
pub struct Panel<'a> {
    pub n_bars: usize,
    pub n_symbols: usize,
    pub open: &'a [f64],
    pub close: &'a [f64],
    pub target_weights: &'a [f64],
}

/// Per-bar account history; `positions` is row-major `(n_bars, n_symbols)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    pub equity: Vec<f64>,
    pub cash: Vec<f64>,
    pub positions: Vec<f64>,
    pub traded_notional: Vec<f64>,
    pub commission: Vec<f64>,
    pub trade_count: u64,
}

const BPS: f64 = 1e4;

/// Runs the account through every bar; see `quantcli.kernels.simulate_target_weights`.
pub fn simulate_target_weights(
    panel: &Panel<'_>,
    initial_cash: f64,
    costs: &Costs,
) -> Result<Simulation, KernelError> {
    validate(panel, initial_cash, costs)?;
    let (n_bars, n_symbols) = (panel.n_bars, panel.n_symbols);
    let mut sim = Simulation {
        equity: Vec::with_capacity(n_bars),
        cash: Vec::with_capacity(n_bars),
        positions: Vec::with_capacity(n_bars * n_symbols),
        traded_notional: Vec::with_capacity(n_bars),
        commission: Vec::with_capacity(n_bars),
        trade_count: 0,
    };
    let mut account = Account::new(initial_cash, n_symbols);
    for bar in 0..n_bars {
        let row = bar * n_symbols..(bar + 1) * n_symbols;
        let mut fills = Fills::default();
        if bar > 0 {
            let decided = &panel.target_weights[row.start - n_symbols..row.start];
            fills = account.rebalance(&panel.open[row.clone()], decided, costs);
        }
        sim.equity.push(account.mark_to_close(&panel.close[row]));
        sim.cash.push(account.cash);
        sim.positions.extend_from_slice(&account.position);
        sim.traded_notional.push(fills.notional);
        sim.commission.push(fills.commission);
        sim.trade_count += fills.count;
    }
    Ok(sim)
}

/// Cash, whole-share positions and the last finite close of each symbol.
struct Account {
    cash: f64,
    position: Vec<f64>,
    /// 0 until a symbol's first finite close: a holding nobody has priced yet is worth nothing.
    last_close: Vec<f64>,
}

/// What one bar's rebalance traded.
#[derive(Default)]
struct Fills {
    notional: f64,
    commission: f64,
    count: u64,
}

impl Account {
    fn new(cash: f64, n_symbols: usize) -> Self {
        Account {
            cash,
            position: vec![0.0; n_symbols],
            last_close: vec![0.0; n_symbols],
        }
    }

    /// Trades every symbol with a price and a weight towards trunc(weight × equity / open).
    fn rebalance(&mut self, open: &[f64], weights: &[f64], costs: &Costs) -> Fills {
        // Summed in symbol order starting from cash; the Python reference relies on this order.
        let mut equity_at_open = self.cash;
        for ((&held, &price), &last_close) in self.position.iter().zip(open).zip(&self.last_close) {
            equity_at_open += held * if price.is_nan() { last_close } else { price };
        }
        let mut fills = Fills::default();
        for ((held, &price), &weight) in self.position.iter_mut().zip(open).zip(weights) {
            if price.is_nan() || weight.is_nan() {
                continue;
            }
            let target = (weight * equity_at_open / price).trunc();
            let delta = target - *held;
            if delta == 0.0 || within_band(*held, target, delta * price, equity_at_open, costs) {
                continue;
            }
            let shares = delta.abs();
            let fill_price = price * (1.0 + delta.signum() * costs.slippage_bps / BPS);
            let fee = (costs.commission_per_share * shares).max(costs.commission_minimum)
                + costs.commission_bps / BPS * shares * fill_price;
            self.cash -= delta * fill_price + fee;
            *held += delta;
            fills.notional += shares * fill_price;
            fills.commission += fee;
            fills.count += 1;
        }
        fills
    }

    /// Equity at the close, remembering each finite close for later NaN bars.
    fn mark_to_close(&mut self, close: &[f64]) -> f64 {
        let mut equity = self.cash;
        for ((&held, last_close), &price) in
            self.position.iter().zip(&mut self.last_close).zip(close)
        {
            if !price.is_nan() {
                *last_close = price;
            }
            equity += held * *last_close;
        }
        equity
    }
}

/// True for a small resize of a position that stays on the same side.
fn within_band(held: f64, target: f64, notional: f64, equity: f64, costs: &Costs) -> bool {
    let keeps_side = held != 0.0 && target != 0.0 && held.signum() == target.signum();
    keeps_side && notional.abs() < costs.rebalance_band * equity
}

fn validate(panel: &Panel<'_>, initial_cash: f64, costs: &Costs) -> Result<(), KernelError> {
    let cells = panel.n_bars.checked_mul(panel.n_symbols);
    let arrays = [
        ("open", panel.open),
        ("close", panel.close),
        ("target_weights", panel.target_weights),
    ];
    for (name, values) in arrays {
        if cells != Some(values.len()) {
            let (bars, symbols) = (panel.n_bars, panel.n_symbols);
            let reason = format!(
                "holds {} values, not {bars} bars x {symbols} symbols",
                values.len()
            );
            return Err(invalid(name, reason));
        }
    }
    for (name, values) in &arrays[..2] {
        let bad = values
            .iter()
            .position(|&p| !(p.is_nan() || (p.is_finite() && p > 0.0)));
        if let Some(i) = bad {
            let rule = "prices must be positive and finite, or NaN";
            return Err(bad_cell(name, panel.n_symbols, i, values[i], rule));
        }
    }
    if let Some(i) = panel.target_weights.iter().position(|w| w.is_infinite()) {
        let (weight, rule) = (
            panel.target_weights[i],
            "weights must be finite, or NaN to hold",
        );
        return Err(bad_cell("target_weights", panel.n_symbols, i, weight, rule));
    }
    if !initial_cash.is_finite() {
        return Err(invalid(
            "initial_cash",
            format!("must be finite, got {initial_cash}"),
        ));
    }
    let rates = [
        ("commission_per_share", costs.commission_per_share),
        ("commission_minimum", costs.commission_minimum),
        ("commission_bps", costs.commission_bps),
        ("slippage_bps", costs.slippage_bps),
        ("rebalance_band", costs.rebalance_band),
    ];
    for (name, value) in rates {
        if !(value.is_finite() && value >= 0.0) {
            return Err(invalid(
                name,
                format!("must be finite and >= 0, got {value}"),
            ));
        }
    }
    Ok(())
}

fn bad_cell(
    name: &'static str,
    n_symbols: usize,
    index: usize,
    value: f64,
    rule: &str,
) -> KernelError {
    let (bar, symbol) = (index / n_symbols, index % n_symbols);
    invalid(
        name,
        format!("value at bar {bar}, symbol {symbol} is {value}; {rule}"),
    )
}

fn invalid(name: &'static str, reason: String) -> KernelError {
    KernelError::Invalid { name, reason }
}
