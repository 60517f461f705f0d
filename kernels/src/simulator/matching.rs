//! The simulated broker's matching rules (`quantcli.adapters.brokers.simulated`), in float64.

pub const MARKET: i64 = 0;
pub const LIMIT: i64 = 1;
pub const STOP: i64 = 2;
pub const STOP_LIMIT: i64 = 3;

pub const DAY: i64 = 0;
pub const GTC: i64 = 1;
pub const IOC: i64 = 2;

/// The prices of a bar an order is matched against; a fill at the close uses the close for all
/// three, so the same rules apply to it.
#[derive(Clone, Copy, Debug)]
pub struct BarQuote {
    pub open: f64,
    pub high: f64,
    pub low: f64,
}

/// An order on the book.
#[derive(Clone, Copy, Debug)]
pub struct WorkingOrder {
    pub symbol: usize,
    /// Signed shares still to fill.
    pub remaining: f64,
    pub order_type: i64,
    pub limit_price: f64,
    pub stop_price: f64,
    pub time_in_force: i64,
    /// Bars (with a bar for its symbol) this order has been matched against.
    pub bars_matched: u32,
    /// A triggered STOP_LIMIT works as a LIMIT order from then on.
    pub stop_triggered: bool,
    /// Row in the order list, or -1.
    pub origin: i64,
}

impl WorkingOrder {
    pub fn market_day(symbol: usize, quantity: f64) -> Self {
        WorkingOrder {
            symbol,
            remaining: quantity,
            order_type: MARKET,
            limit_price: f64::NAN,
            stop_price: f64::NAN,
            time_in_force: DAY,
            bars_matched: 0,
            stop_triggered: false,
            origin: -1,
        }
    }

    pub fn is_buy(&self) -> bool {
        self.remaining > 0.0
    }

    /// DAY and IOC orders end after the first bar they were matched against.
    pub fn expired(&self) -> bool {
        self.time_in_force != GTC && self.bars_matched >= 1
    }
}

/// A fill's reference price and whether slippage and temporary impact move it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RulePrice {
    pub price: f64,
    pub adjusted: bool,
}

/// Where the order fills on this bar, or None; may trigger a stop-limit.
pub fn rule_price(order: &mut WorkingOrder, bar: &BarQuote) -> Option<RulePrice> {
    let buy = order.is_buy();
    if order.order_type == MARKET {
        return Some(RulePrice {
            price: bar.open,
            adjusted: true,
        });
    }
    if order.order_type == LIMIT || order.stop_triggered {
        return limit_fill_price(buy, order.limit_price, bar).map(|price| RulePrice {
            price,
            adjusted: false,
        });
    }
    let trigger = stop_trigger_price(buy, order.stop_price, bar)?;
    if order.order_type == STOP {
        return Some(RulePrice {
            price: trigger,
            adjusted: true,
        });
    }
    order.stop_triggered = true;
    satisfies_limit(buy, trigger, order.limit_price).then_some(RulePrice {
        price: trigger,
        adjusted: false,
    })
}

/// The open if it is at or better than the limit, else the limit if the bar trades through it.
pub fn limit_fill_price(buy: bool, limit: f64, bar: &BarQuote) -> Option<f64> {
    if buy {
        if bar.open <= limit {
            return Some(bar.open);
        }
        (bar.low <= limit).then_some(limit)
    } else {
        if bar.open >= limit {
            return Some(bar.open);
        }
        (bar.high >= limit).then_some(limit)
    }
}

/// The open if the bar gaps through the stop, else the stop if the bar reaches it.
pub fn stop_trigger_price(buy: bool, stop: f64, bar: &BarQuote) -> Option<f64> {
    if buy {
        if bar.open >= stop {
            return Some(bar.open);
        }
        (bar.high >= stop).then_some(stop)
    } else {
        if bar.open <= stop {
            return Some(bar.open);
        }
        (bar.low <= stop).then_some(stop)
    }
}

fn satisfies_limit(buy: bool, price: f64, limit: f64) -> bool {
    if buy {
        price <= limit
    } else {
        price >= limit
    }
}
