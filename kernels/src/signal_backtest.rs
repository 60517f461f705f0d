//! Single-instrument backtest driven by entry/exit events, all-in sizing: the semantics of
//! backtesting.py (`exclusive_orders`, next-open fills, whole shares) and of vectorbt's
//! `Portfolio.from_signals` (same-bar close fills, fractional shares), chosen by `SignalRules`.
//!
//! Events: +1 go long, -1 go short, 0 go flat, NaN nothing. An event towards the side already
//! held does nothing. Going to the other side first closes the position, then opens all-in.
use crate::error::KernelError;

/// When an event decided at bar t trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// At bar t+1's open (backtesting.py's default); an event on the last bar never trades.
    NextOpen,
    /// At bar t's own close (vectorbt's default).
    SameClose,
}

/// How an all-in entry is sized from the cash after closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizing {
    /// floor(cash × fraction / (price × (1 + rate) + fixed / fraction)), as backtesting.py does.
    WholeShares,
    /// (cash × fraction − fixed) / (price × (1 + rate)), as vectorbt does.
    Fractional,
}

#[derive(Clone, Copy, Debug)]
pub struct SignalRules {
    pub fill: Fill,
    pub sizing: Sizing,
    /// Commission per fill: fixed + rate × |shares| × price.
    pub commission_rate: f64,
    pub commission_fixed: f64,
    /// Share of cash an entry may use (backtesting.py: 1 − machine epsilon).
    pub cash_fraction: f64,
    /// When false, a −1 event only closes a long position.
    pub allow_short: bool,
}

/// One round trip; `exit_bar` is `None` while the trade is still open at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct Trade {
    pub size: f64,
    pub entry_bar: usize,
    pub entry_price: f64,
    pub exit_bar: Option<usize>,
    pub exit_price: f64,
    pub commission: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SignalBacktest {
    /// Cash plus the position marked at each bar's close.
    pub equity: Vec<f64>,
    /// Shares held at each bar's close (negative short).
    pub position: Vec<f64>,
    pub trades: Vec<Trade>,
}

/// Runs the events over one instrument's bars.
pub fn signal_backtest(
    open: &[f64],
    close: &[f64],
    events: &[f64],
    initial_cash: f64,
    rules: &SignalRules,
) -> Result<SignalBacktest, KernelError> {
    validate(open, close, events, initial_cash, rules)?;
    let mut account = Account {
        cash: initial_cash,
        position: 0.0,
        trades: Vec::new(),
        rules: *rules,
    };
    let n = close.len();
    let mut result = SignalBacktest {
        equity: Vec::with_capacity(n),
        position: Vec::with_capacity(n),
        trades: Vec::new(),
    };
    for bar in 0..n {
        match rules.fill {
            Fill::NextOpen if bar > 0 => account.act(events[bar - 1], open[bar], bar),
            Fill::SameClose => account.act(events[bar], close[bar], bar),
            Fill::NextOpen => {}
        }
        result
            .equity
            .push(account.cash + account.position * close[bar]);
        result.position.push(account.position);
    }
    result.trades = account.trades;
    Ok(result)
}

struct Account {
    cash: f64,
    position: f64,
    trades: Vec<Trade>,
    rules: SignalRules,
}

impl Account {
    fn commission(&self, shares: f64, price: f64) -> f64 {
        self.rules.commission_fixed + self.rules.commission_rate * shares.abs() * price
    }

    fn act(&mut self, event: f64, price: f64, bar: usize) {
        if event.is_nan() {
            return;
        }
        let side = if event > 0.0 {
            1.0
        } else if event < 0.0 && self.rules.allow_short {
            -1.0
        } else {
            0.0
        };
        // Not `signum`: Rust's signum of 0.0 is 1.0, which would make a flat account look long.
        let held = if self.position > 0.0 {
            1.0
        } else if self.position < 0.0 {
            -1.0
        } else {
            0.0
        };
        if side == held {
            return;
        }
        if self.position != 0.0 {
            self.close(price, bar);
        }
        if side != 0.0 {
            self.open(side, price, bar);
        }
    }

    fn close(&mut self, price: f64, bar: usize) {
        let fee = self.commission(self.position, price);
        self.cash += self.position * price - fee;
        if let Some(trade) = self.trades.last_mut() {
            trade.exit_bar = Some(bar);
            trade.exit_price = price;
            trade.commission += fee;
        }
        self.position = 0.0;
    }

    fn open(&mut self, side: f64, price: f64, bar: usize) {
        let rules = self.rules;
        let per_share = price * (1.0 + rules.commission_rate);
        let shares = match rules.sizing {
            Sizing::WholeShares => {
                let cost = per_share + rules.commission_fixed / rules.cash_fraction;
                (self.cash * rules.cash_fraction / cost).floor()
            }
            Sizing::Fractional => {
                (self.cash * rules.cash_fraction - rules.commission_fixed) / per_share
            }
        };
        if shares <= 0.0 || !shares.is_finite() {
            return;
        }
        let size = side * shares;
        let fee = self.commission(size, price);
        self.cash -= size * price + fee;
        self.position = size;
        self.trades.push(Trade {
            size,
            entry_bar: bar,
            entry_price: price,
            exit_bar: None,
            exit_price: f64::NAN,
            commission: fee,
        });
    }
}

fn validate(
    open: &[f64],
    close: &[f64],
    events: &[f64],
    initial_cash: f64,
    rules: &SignalRules,
) -> Result<(), KernelError> {
    let invalid = |name: &'static str, reason: String| Err(KernelError::Invalid { name, reason });
    for (name, values) in [("open", open), ("events", events)] {
        if values.len() != close.len() {
            return invalid(
                name,
                format!("has {} values but close has {}", values.len(), close.len()),
            );
        }
    }
    for (name, values) in [("open", open), ("close", close)] {
        if let Some(i) = values.iter().position(|&p| !(p.is_finite() && p > 0.0)) {
            return invalid(
                name,
                format!("value at {i} is {}; prices must be positive", values[i]),
            );
        }
    }
    if let Some(i) = events.iter().position(|e| e.is_infinite()) {
        return invalid("events", format!("value at {i} is infinite"));
    }
    if !(initial_cash.is_finite() && initial_cash > 0.0) {
        return invalid(
            "initial_cash",
            format!("must be positive, got {initial_cash}"),
        );
    }
    let rates = [
        ("commission_rate", rules.commission_rate),
        ("commission_fixed", rules.commission_fixed),
    ];
    for (name, value) in rates {
        if !(value.is_finite() && value >= 0.0) {
            return invalid(name, format!("must be finite and >= 0, got {value}"));
        }
    }
    if !(rules.cash_fraction > 0.0 && rules.cash_fraction <= 1.0) {
        return invalid(
            "cash_fraction",
            format!("must be in (0, 1], got {}", rules.cash_fraction),
        );
    }
    Ok(())
}
