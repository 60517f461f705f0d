//! The bar loop; the module docs of `simulator` list the order of events.
use super::costs::{
    borrow_fee, commission, linear_impact, participation_capacity, slippage_fraction,
    square_root_impact, tier_rate,
};
use super::margin::{is_margin_call, leverage_cap, leverage_limit};
use super::matching::{rule_price, BarQuote, RulePrice, WorkingOrder};
use super::validate::validate;
use super::{
    Bars, CostModel, MarginRules, OrderList, PortfolioRun, RunOptions, Signal, REASON_LIQUIDATION,
    REASON_SIGNAL,
};
use crate::error::KernelError;

/// Runs the account through every bar; see `quantcli.kernels.simulate_portfolio`.
pub fn simulate_portfolio(
    bars: &Bars<'_>,
    signal: &Signal<'_>,
    costs: &CostModel,
    margin: &MarginRules,
    options: &RunOptions,
) -> Result<PortfolioRun, KernelError> {
    validate(bars, signal, costs, margin, options)?;
    let mut engine = Engine::new(bars, signal, costs, margin, options);
    for bar in 0..bars.n_bars {
        engine.step(bar);
    }
    Ok(engine.run)
}

struct Engine<'a> {
    bars: &'a Bars<'a>,
    signal: &'a Signal<'a>,
    costs: &'a CostModel,
    options: &'a RunOptions,
    maintenance_margin: f64,
    leverage_limit: f64,
    cash: f64,
    position: Vec<f64>,
    /// Last close of each symbol times its permanent-impact factor; 0 before its first bar.
    last_mark: Vec<f64>,
    /// Cumulative permanent impact: every later price of the symbol is multiplied by it.
    impact_factor: Vec<f64>,
    /// Prices the current phase values holdings at (open or last mark, then close).
    marks: Vec<f64>,
    /// Shares each symbol traded in the current bar, for the participation cap.
    traded: Vec<f64>,
    /// Positions still to liquidate after a margin call (symbols without a bar wait for one).
    liquidate: Vec<bool>,
    margin_call: bool,
    book: Vec<WorkingOrder>,
    /// Order-list rows in decision-bar order (stable), and the next one to place.
    order_rows: Vec<usize>,
    next_order: usize,
    monthly_volume: f64,
    /// Equity and gross exposure at `marks`, kept up to date fill by fill for the leverage check.
    equity_at_marks: f64,
    gross_at_marks: f64,
    run: PortfolioRun,
}

impl<'a> Engine<'a> {
    fn new(
        bars: &'a Bars<'a>,
        signal: &'a Signal<'a>,
        costs: &'a CostModel,
        margin: &'a MarginRules,
        options: &'a RunOptions,
    ) -> Self {
        let n = bars.n_symbols;
        let mut order_rows = Vec::new();
        if let Signal::Orders(list) = signal {
            order_rows = (0..list.bar.len()).collect();
            order_rows.sort_by_key(|&row| list.bar[row]); // stable: submission order within a bar
        }
        Engine {
            bars,
            signal,
            costs,
            options,
            maintenance_margin: margin.maintenance_margin,
            leverage_limit: leverage_limit(margin.max_leverage, margin.initial_margin),
            cash: options.initial_cash,
            position: vec![0.0; n],
            last_mark: vec![0.0; n],
            impact_factor: vec![1.0; n],
            marks: vec![0.0; n],
            traded: vec![0.0; n],
            liquidate: vec![false; n],
            margin_call: false,
            book: Vec::new(),
            order_rows,
            next_order: 0,
            monthly_volume: 0.0,
            equity_at_marks: 0.0,
            gross_at_marks: 0.0,
            run: PortfolioRun {
                equity: Vec::with_capacity(bars.n_bars),
                cash: Vec::with_capacity(bars.n_bars),
                positions: Vec::with_capacity(bars.n_bars * n),
                fills: Default::default(),
                costs: Default::default(),
                flags: Default::default(),
            },
        }
    }

    fn step(&mut self, bar: usize) {
        let n = self.bars.n_symbols;
        let row = bar * n;
        if bar > 0 && self.bars.month[bar] != self.bars.month[bar - 1] {
            self.monthly_volume = 0.0;
        }
        self.traded.fill(0.0);
        self.open_phase(bar, row);
        for s in 0..n {
            let close = self.bars.close[row + s];
            if !close.is_nan() {
                self.last_mark[s] = close * self.impact_factor[s];
            }
        }
        if self.options.fill_at_close {
            self.close_phase(bar, row);
        }
        self.end_of_bar();
    }

    fn open_phase(&mut self, bar: usize, row: usize) {
        let n = self.bars.n_symbols;
        // Quotes for the whole phase: fills in it move only later prices (from the close on).
        let quotes: Vec<Option<BarQuote>> = (0..n)
            .map(|s| {
                let i = row + s;
                let f = self.impact_factor[s];
                (!self.bars.open[i].is_nan()).then(|| BarQuote {
                    open: self.bars.open[i] * f,
                    high: self.bars.high[i] * f,
                    low: self.bars.low[i] * f,
                })
            })
            .collect();
        for ((mark, quote), &last) in self.marks.iter_mut().zip(&quotes).zip(&self.last_mark) {
            *mark = quote.map_or(last, |q| q.open);
        }
        let liquidation_bar = std::mem::take(&mut self.margin_call);
        if liquidation_bar {
            self.book.clear();
            for s in 0..n {
                self.liquidate[s] |= self.position[s] != 0.0;
            }
        }
        self.value_at_marks();
        for (s, quote) in quotes.iter().enumerate() {
            if let (true, Some(quote)) = (self.liquidate[s], quote) {
                self.liquidate[s] = false;
                let held = self.position[s];
                if held != 0.0 {
                    let price = RulePrice {
                        price: quote.open,
                        adjusted: true,
                    };
                    self.fill(bar, s, -held, price, REASON_LIQUIDATION, -1);
                }
            }
        }
        if !self.options.fill_at_close && bar > 0 {
            self.place_orders(bar, bar - 1, liquidation_bar);
        }
        let mut book = std::mem::take(&mut self.book);
        for order in &mut book {
            if let Some(quote) = quotes[order.symbol] {
                self.match_order(bar, order, &quote);
            }
        }
        book.retain(|order| order.remaining != 0.0);
        self.book = book;
    }

    /// With `fill_at_close`: this bar's signal fills at its own close (look-ahead).
    fn close_phase(&mut self, bar: usize, row: usize) {
        self.marks.copy_from_slice(&self.last_mark);
        self.value_at_marks();
        let start = self.book.len();
        self.place_orders(bar, bar, false);
        let mut book = std::mem::take(&mut self.book);
        for order in &mut book[start..] {
            if !self.bars.close[row + order.symbol].is_nan() {
                let close = self.last_mark[order.symbol];
                let quote = BarQuote {
                    open: close,
                    high: close,
                    low: close,
                };
                self.match_order(bar, order, &quote);
            }
        }
        book.retain(|order| order.remaining != 0.0);
        self.book = book;
    }

    fn end_of_bar(&mut self) {
        if self.costs.borrow_rate > 0.0 {
            let mut short_value = 0.0;
            for (&held, &mark) in self.position.iter().zip(&self.last_mark) {
                if held < 0.0 {
                    short_value -= held * mark;
                }
            }
            let fee = borrow_fee(
                short_value,
                self.costs.borrow_rate,
                self.costs.bars_per_year,
            );
            self.cash -= fee;
            self.run.costs.borrow += fee;
        }
        let mut equity = self.cash;
        let mut gross = 0.0;
        for (&held, &mark) in self.position.iter().zip(&self.last_mark) {
            equity += held * mark;
            gross += held.abs() * mark;
        }
        self.run.equity.push(equity);
        self.run.cash.push(self.cash);
        self.run.positions.extend_from_slice(&self.position);
        if self.maintenance_margin > 0.0 && is_margin_call(equity, gross, self.maintenance_margin) {
            self.run.flags.margin_calls += 1;
            self.margin_call = true;
        }
    }

    /// Equity and gross exposure at `marks`, only needed while a leverage limit applies.
    fn value_at_marks(&mut self) {
        if self.leverage_limit.is_finite() {
            self.equity_at_marks = self.cash;
            self.gross_at_marks = 0.0;
            for (&held, &mark) in self.position.iter().zip(&self.marks) {
                self.equity_at_marks += held * mark;
                self.gross_at_marks += held.abs() * mark;
            }
        }
    }

    /// Puts the signal decided at `decision` on the book as orders trading at `bar`.
    fn place_orders(&mut self, bar: usize, decision: usize, skip: bool) {
        let n = self.bars.n_symbols;
        let (targets, in_weights) = match self.signal {
            Signal::TargetWeights(w) => (w, true),
            Signal::TargetPositions(p) => (p, false),
            Signal::Orders(list) => return self.place_listed(list, decision, skip),
        };
        if skip {
            return;
        }
        // Summed in symbol order starting from cash; the Python reference relies on this order.
        let mut equity = self.cash;
        for (&held, &mark) in self.position.iter().zip(&self.marks) {
            equity += held * mark;
        }
        // A fraction of equity that is not positive sizes nothing (a long weight would sell):
        // every position is held, as the paper session's risk check refuses every order then.
        if in_weights && equity <= 0.0 {
            return;
        }
        for s in 0..n {
            let target = targets[decision * n + s];
            if self.bars.open[bar * n + s].is_nan() || target.is_nan() {
                continue;
            }
            let price = self.marks[s];
            let target = if in_weights {
                (target * equity / price).trunc()
            } else {
                target
            };
            let held = self.position[s];
            let delta = target - held;
            if delta == 0.0 || within_band(held, target, delta * price, equity, self.options) {
                continue;
            }
            self.book.push(WorkingOrder::market_day(s, delta));
        }
    }

    fn place_listed(&mut self, list: &OrderList<'_>, decision: usize, skip: bool) {
        while let Some(&row) = self.order_rows.get(self.next_order) {
            if list.bar[row] as usize > decision {
                break;
            }
            self.next_order += 1;
            if !skip {
                self.book.push(WorkingOrder {
                    symbol: list.symbol[row] as usize,
                    remaining: list.quantity[row],
                    order_type: list.order_type[row],
                    limit_price: list.limit_price[row],
                    stop_price: list.stop_price[row],
                    time_in_force: list.time_in_force[row],
                    bars_matched: 0,
                    stop_triggered: false,
                    origin: row as i64,
                });
            }
        }
    }

    /// Matches one order against one bar: price rule, participation cap, leverage, expiry.
    fn match_order(&mut self, bar: usize, order: &mut WorkingOrder, quote: &BarQuote) {
        order.bars_matched += 1;
        if let Some(price) = rule_price(order, quote) {
            let s = order.symbol;
            let volume = self.bars.volume[bar * self.bars.n_symbols + s];
            let capacity = participation_capacity(self.costs.participation_rate, volume);
            let room = (capacity - self.traded[s]).max(0.0);
            let mut quantity = order.remaining;
            if quantity.abs() > room {
                quantity = room.copysign(quantity);
            }
            let mut cut = false;
            if quantity != 0.0 && self.leverage_limit.is_finite() {
                let allowed = leverage_cap(
                    self.position[s],
                    quantity,
                    self.marks[s],
                    self.equity_at_marks,
                    self.gross_at_marks,
                    self.leverage_limit,
                );
                if allowed != quantity {
                    cut = true;
                    if allowed == 0.0 {
                        self.run.flags.orders_rejected += 1;
                    } else {
                        self.run.flags.orders_cut += 1;
                    }
                    quantity = allowed;
                }
            }
            if quantity != 0.0 {
                self.fill(bar, s, quantity, price, REASON_SIGNAL, order.origin);
                order.remaining -= quantity;
            }
            if cut {
                order.remaining = 0.0;
            }
        }
        if order.expired() {
            order.remaining = 0.0;
        }
    }

    fn fill(
        &mut self,
        bar: usize,
        s: usize,
        quantity: f64,
        at: RulePrice,
        reason: i64,
        origin: i64,
    ) {
        let costs = self.costs;
        let i = bar * self.bars.n_symbols + s;
        let volume = self.bars.volume[i];
        let shares = quantity.abs();
        let participation = if volume > 0.0 { shares / volume } else { 0.0 };
        let (slip, impact) = if at.adjusted {
            (
                slippage_fraction(
                    costs.slippage_bps,
                    costs.spread_bps,
                    costs.volume_slippage,
                    participation,
                ),
                square_root_impact(
                    costs.square_root_impact,
                    self.bars.volatility[i],
                    participation,
                ) + linear_impact(costs.temporary_impact, participation),
            )
        } else {
            (0.0, 0.0)
        };
        let side = quantity.signum();
        let price = at.price * (1.0 + side * (slip + impact));
        let rate = if costs.tier_volumes.is_empty() {
            costs.commission_per_share
        } else {
            tier_rate(&costs.tier_volumes, &costs.tier_rates, self.monthly_volume)
        };
        let fee = commission(
            shares,
            price,
            rate,
            costs.commission_minimum,
            costs.commission_maximum_fraction,
            costs.commission_bps,
        );
        let slippage_cost = shares * at.price * slip;
        let impact_cost = shares * at.price * impact;
        let held = self.position[s];
        if self.leverage_limit.is_finite() {
            let mark = self.marks[s];
            self.equity_at_marks += quantity * (mark - price) - fee;
            self.gross_at_marks += ((held + quantity).abs() - held.abs()) * mark;
        }
        self.cash -= quantity * price + fee;
        self.position[s] = held + quantity;
        self.monthly_volume += shares;
        self.traded[s] += shares;
        if costs.permanent_impact > 0.0 {
            self.impact_factor[s] *=
                1.0 + side * linear_impact(costs.permanent_impact, participation);
        }
        let log = &mut self.run.fills;
        log.bar.push(bar as i64);
        log.symbol.push(s as i64);
        log.quantity.push(quantity);
        log.price.push(price);
        log.commission.push(fee);
        log.slippage.push(slippage_cost);
        log.impact.push(impact_cost);
        log.reason.push(reason);
        log.order.push(origin);
        let totals = &mut self.run.costs;
        totals.commission += fee;
        totals.slippage += slippage_cost;
        totals.impact += impact_cost;
    }
}

/// True for a small resize of a position that stays on the same side; opening, closing and
/// flipping always trade.
fn within_band(held: f64, target: f64, notional: f64, equity: f64, options: &RunOptions) -> bool {
    let keeps_side = held != 0.0 && target != 0.0 && held.signum() == target.signum();
    keeps_side && notional.abs() < options.rebalance_band * equity
}
