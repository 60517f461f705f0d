//! Target-weight backtest: weights decided at a bar's close trade at the next bar's open.
//!
//! The rules mirror the simulated broker (`quantcli.domain.costs`), which applies them in Decimal.
use crate::error::KernelError;

/// Commission and slippage, all non-negative.
#[derive(Clone, Copy, Debug)]
pub struct Costs {
    pub commission_per_share: f64,
    pub commission_minimum: f64,
    pub commission_bps: f64,
    pub slippage_bps: f64,
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
    let mut cash = initial_cash;
    let mut position = vec![0.0; n_symbols];
    // 0 until a symbol's first finite close: a holding nobody has priced yet is worth nothing.
    let mut last_close = vec![0.0; n_symbols];
    for bar in 0..n_bars {
        let row = bar * n_symbols..(bar + 1) * n_symbols;
        let (mut notional, mut commission) = (0.0, 0.0);
        if bar > 0 {
            let open = &panel.open[row.clone()];
            let weights = &panel.target_weights[row.start - n_symbols..row.start];
            // Summed in symbol order starting from cash; the Python reference relies on this order.
            let mut equity_at_open = cash;
            for s in 0..n_symbols {
                let mark = if open[s].is_nan() {
                    last_close[s]
                } else {
                    open[s]
                };
                equity_at_open += position[s] * mark;
            }
            for s in 0..n_symbols {
                let (price, weight) = (open[s], weights[s]);
                if price.is_nan() || weight.is_nan() {
                    continue;
                }
                let delta = (weight * equity_at_open / price).trunc() - position[s];
                if delta == 0.0 {
                    continue;
                }
                let shares = delta.abs();
                let fill_price = price * (1.0 + delta.signum() * costs.slippage_bps / BPS);
                let fee = (costs.commission_per_share * shares).max(costs.commission_minimum)
                    + costs.commission_bps / BPS * shares * fill_price;
                cash -= delta * fill_price + fee;
                position[s] += delta;
                notional += shares * fill_price;
                commission += fee;
                sim.trade_count += 1;
            }
        }
        let mut equity = cash;
        for (s, &close) in panel.close[row].iter().enumerate() {
            if !close.is_nan() {
                last_close[s] = close;
            }
            equity += position[s] * last_close[s];
        }
        sim.equity.push(equity);
        sim.cash.push(cash);
        sim.positions.extend_from_slice(&position);
        sim.traded_notional.push(notional);
        sim.commission.push(commission);
    }
    Ok(sim)
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
