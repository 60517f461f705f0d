//! Input checks for the simulator; every error names the argument at fault.
use super::matching::{GTC, IOC, LIMIT, MARKET, STOP, STOP_LIMIT};
use super::{Bars, CostModel, MarginRules, OrderList, RunOptions, Signal};
use crate::error::KernelError;

pub fn validate(
    bars: &Bars<'_>,
    signal: &Signal<'_>,
    costs: &CostModel,
    margin: &MarginRules,
    options: &RunOptions,
) -> Result<(), KernelError> {
    let cells = bars.n_bars.checked_mul(bars.n_symbols);
    let mut panels: Vec<(&'static str, &[f64])> = vec![
        ("open", bars.open),
        ("high", bars.high),
        ("low", bars.low),
        ("close", bars.close),
        ("volume", bars.volume),
        ("volatility", bars.volatility),
    ];
    match signal {
        Signal::TargetWeights(w) => panels.push(("target_weights", w)),
        Signal::TargetPositions(p) => panels.push(("target_positions", p)),
        Signal::Orders(list) => validate_orders(list, bars)?,
    }
    for (name, values) in &panels {
        if cells != Some(values.len()) {
            let reason = format!(
                "holds {} values, not {} bars x {} symbols",
                values.len(),
                bars.n_bars,
                bars.n_symbols
            );
            return Err(invalid(name, reason));
        }
    }
    if bars.month.len() != bars.n_bars {
        let reason = format!(
            "holds {} values, not {} bars",
            bars.month.len(),
            bars.n_bars
        );
        return Err(invalid("month", reason));
    }
    let needs_volume = costs.participation_rate.is_finite()
        || costs.volume_slippage > 0.0
        || costs.square_root_impact > 0.0
        || costs.temporary_impact > 0.0
        || costs.permanent_impact > 0.0;
    let n = bars.n_symbols;
    for i in 0..cells.unwrap_or(0) {
        let has_bar = !bars.open[i].is_nan();
        for (name, values) in &panels[..4] {
            let p = values[i];
            if has_bar && !(p.is_finite() && p > 0.0) {
                let rule = "prices of a bar must be positive and finite";
                return Err(bad_cell(name, n, i, p, rule));
            }
            if !has_bar && !p.is_nan() {
                return Err(bad_cell(
                    name,
                    n,
                    i,
                    p,
                    "must be NaN where open is NaN (no bar)",
                ));
            }
        }
        let v = bars.volume[i];
        if has_bar && !(v.is_finite() && v >= 0.0) {
            return Err(bad_cell("volume", n, i, v, "must be finite and >= 0"));
        }
        if has_bar && needs_volume && v <= 0.0 {
            let rule = "must be > 0 when a participation cap or volume-based cost is set";
            return Err(bad_cell("volume", n, i, v, rule));
        }
        let sigma = bars.volatility[i];
        if has_bar && !(sigma.is_finite() && sigma >= 0.0) {
            return Err(bad_cell(
                "volatility",
                n,
                i,
                sigma,
                "must be finite and >= 0",
            ));
        }
        if let Some((name, targets)) = panels.get(6) {
            if targets[i].is_infinite() {
                let rule = "targets must be finite, or NaN to hold";
                return Err(bad_cell(name, n, i, targets[i], rule));
            }
        }
    }
    if !options.initial_cash.is_finite() {
        let reason = format!("must be finite, got {}", options.initial_cash);
        return Err(invalid("initial_cash", reason));
    }
    let finite_rates = [
        ("commission_per_share", costs.commission_per_share),
        ("commission_minimum", costs.commission_minimum),
        ("commission_bps", costs.commission_bps),
        ("slippage_bps", costs.slippage_bps),
        ("spread_bps", costs.spread_bps),
        ("volume_slippage", costs.volume_slippage),
        ("square_root_impact", costs.square_root_impact),
        ("temporary_impact", costs.temporary_impact),
        ("permanent_impact", costs.permanent_impact),
        ("borrow_rate", costs.borrow_rate),
        ("rebalance_band", options.rebalance_band),
        ("initial_margin", margin.initial_margin),
        ("maintenance_margin", margin.maintenance_margin),
    ];
    for (name, value) in finite_rates {
        if !(value.is_finite() && value >= 0.0) {
            return Err(invalid(
                name,
                format!("must be finite and >= 0, got {value}"),
            ));
        }
    }
    let maybe_infinite = [
        (
            "commission_maximum_fraction",
            costs.commission_maximum_fraction,
            0.0,
        ),
        (
            "participation_rate",
            costs.participation_rate,
            f64::MIN_POSITIVE,
        ),
        ("max_leverage", margin.max_leverage, f64::MIN_POSITIVE),
        ("bars_per_year", costs.bars_per_year, f64::MIN_POSITIVE),
    ];
    for (name, value, least) in maybe_infinite {
        if value.is_nan() || value < least {
            let bound = if least > 0.0 { "> 0" } else { ">= 0" };
            return Err(invalid(name, format!("must be {bound}, got {value}")));
        }
    }
    if !costs.bars_per_year.is_finite() {
        return Err(invalid("bars_per_year", "must be finite".to_string()));
    }
    validate_tiers(costs)
}

fn validate_tiers(costs: &CostModel) -> Result<(), KernelError> {
    let (starts, rates) = (&costs.tier_volumes, &costs.tier_rates);
    if starts.len() != rates.len() {
        let reason = format!("{} tier starts but {} rates", starts.len(), rates.len());
        return Err(invalid("commission_tiers", reason));
    }
    if starts.is_empty() {
        return Ok(());
    }
    if starts[0] != 0.0 {
        let reason = format!("the first tier must start at 0 shares, not {}", starts[0]);
        return Err(invalid("commission_tiers", reason));
    }
    if starts
        .windows(2)
        .any(|w| !(w[1] > w[0] && w[1].is_finite()))
    {
        let reason = "tier starts must be finite and strictly increasing".to_string();
        return Err(invalid("commission_tiers", reason));
    }
    if let Some(rate) = rates.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
        let reason = format!("tier rates must be finite and >= 0, got {rate}");
        return Err(invalid("commission_tiers", reason));
    }
    Ok(())
}

fn validate_orders(list: &OrderList<'_>, bars: &Bars<'_>) -> Result<(), KernelError> {
    let rows = list.bar.len();
    let columns: [(&'static str, usize); 6] = [
        ("orders.symbol", list.symbol.len()),
        ("orders.quantity", list.quantity.len()),
        ("orders.order_type", list.order_type.len()),
        ("orders.limit_price", list.limit_price.len()),
        ("orders.stop_price", list.stop_price.len()),
        ("orders.time_in_force", list.time_in_force.len()),
    ];
    for (name, len) in columns {
        if len != rows {
            return Err(invalid(
                name,
                format!("holds {len} rows, orders.bar holds {rows}"),
            ));
        }
    }
    for row in 0..rows {
        let at = |what: String| format!("row {row}: {what}");
        let bar = list.bar[row];
        if bar < 0 || bar as usize >= bars.n_bars {
            let what = format!("bar {bar} outside 0..{}", bars.n_bars);
            return Err(invalid("orders.bar", at(what)));
        }
        let symbol = list.symbol[row];
        if symbol < 0 || symbol as usize >= bars.n_symbols {
            let what = format!("symbol {symbol} outside 0..{}", bars.n_symbols);
            return Err(invalid("orders.symbol", at(what)));
        }
        let quantity = list.quantity[row];
        if !(quantity.is_finite() && quantity != 0.0) {
            let what = format!("quantity {quantity} must be finite and non-zero");
            return Err(invalid("orders.quantity", at(what)));
        }
        let kind = list.order_type[row];
        if !(MARKET..=STOP_LIMIT).contains(&kind) {
            let what =
                format!("unknown order type code {kind} (0 market, 1 limit, 2 stop, 3 stop-limit)");
            return Err(invalid("orders.order_type", at(what)));
        }
        let tif = list.time_in_force[row];
        if !(0..=IOC).contains(&tif) {
            let what = format!("unknown time in force code {tif} (0 DAY, {GTC} GTC, {IOC} IOC)");
            return Err(invalid("orders.time_in_force", at(what)));
        }
        let needs = [
            (
                "orders.limit_price",
                list.limit_price[row],
                kind == LIMIT || kind == STOP_LIMIT,
            ),
            (
                "orders.stop_price",
                list.stop_price[row],
                kind == STOP || kind == STOP_LIMIT,
            ),
        ];
        for (name, price, needed) in needs {
            if needed && !(price.is_finite() && price > 0.0) {
                let what = format!("{price} must be positive and finite for order type {kind}");
                return Err(invalid(name, at(what)));
            }
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
    let reason = format!("value at bar {bar}, symbol {symbol} is {value}; {rule}");
    invalid(name, reason)
}

fn invalid(name: &'static str, reason: String) -> KernelError {
    KernelError::Invalid { name, reason }
}
