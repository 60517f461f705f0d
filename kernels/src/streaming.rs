//! Streaming indicators: one bar at a time, O(1) each, equal to the batch kernels on the same
//! history (same warm-up, same NaN rules).
use crate::rsi::{split_change, strength_index};
use crate::ta_volatility::true_range;

/// The last `period` values with their sum and squared deviations.
///
/// Sums are updated incrementally and recomputed from the buffer every `period` updates (and
/// after a NaN leaves), so rounding never accumulates: O(1) amortised.
#[derive(Clone, Debug)]
pub struct Window {
    buffer: Vec<f64>,
    next: usize,
    seen: usize,
    nans: usize,
    sum: f64,
    m2: f64,
    since_refresh: usize,
    stale: bool,
}

impl Window {
    pub fn new(period: usize) -> Self {
        Window {
            buffer: vec![0.0; period],
            next: 0,
            seen: 0,
            nans: 0,
            sum: 0.0,
            m2: 0.0,
            since_refresh: 0,
            stale: true,
        }
    }

    pub fn period(&self) -> usize {
        self.buffer.len()
    }

    /// Adds a value; true once the window is full and free of NaN.
    pub fn push(&mut self, value: f64) -> bool {
        let period = self.buffer.len();
        let full = self.seen >= period;
        let old = self.buffer[self.next];
        self.buffer[self.next] = value;
        self.next = (self.next + 1) % period;
        self.seen += 1;
        if full && old.is_nan() {
            self.nans -= 1;
        }
        if value.is_nan() {
            self.nans += 1;
        }
        if self.seen < period || self.nans > 0 {
            self.stale = true;
            return false;
        }
        self.since_refresh += 1;
        if self.stale || !full || self.since_refresh >= period {
            self.refresh();
        } else {
            let p = period as f64;
            let old_mean = self.sum / p;
            self.sum += value - old;
            let new_mean = self.sum / p;
            self.m2 += (value - old) * (value - new_mean + old - old_mean);
            if self.m2 < 0.0 {
                self.m2 = 0.0;
            }
        }
        true
    }

    fn refresh(&mut self) {
        let p = self.buffer.len() as f64;
        self.sum = self.buffer.iter().sum();
        let mean = self.sum / p;
        self.m2 = self.buffer.iter().map(|v| (v - mean) * (v - mean)).sum();
        self.since_refresh = 0;
        self.stale = false;
    }

    pub fn mean(&self) -> f64 {
        self.sum / self.buffer.len() as f64
    }

    pub fn std(&self, ddof: usize) -> f64 {
        (self.m2 / (self.buffer.len() - ddof) as f64).sqrt()
    }
}

/// Streaming SMA; NaN until `period` values and while the window holds a NaN.
#[derive(Clone, Debug)]
pub struct SmaState(pub Window);

impl SmaState {
    pub fn update(&mut self, value: f64) -> f64 {
        if self.0.push(value) {
            self.0.mean()
        } else {
            f64::NAN
        }
    }
}

/// Streaming rolling standard deviation with `ddof`.
#[derive(Clone, Debug)]
pub struct StdState {
    pub window: Window,
    pub ddof: usize,
}

impl StdState {
    pub fn update(&mut self, value: f64) -> f64 {
        if self.window.push(value) {
            self.window.std(self.ddof)
        } else {
            f64::NAN
        }
    }
}

/// Streaming Bollinger Bands (SMA middle, population std).
#[derive(Clone, Debug)]
pub struct BollingerState {
    pub window: Window,
    pub nbdev_up: f64,
    pub nbdev_down: f64,
}

impl BollingerState {
    /// (upper, middle, lower).
    pub fn update(&mut self, value: f64) -> (f64, f64, f64) {
        if !self.window.push(value) {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let mid = self.window.mean();
        let std = self.window.std(0);
        (mid + self.nbdev_up * std, mid, mid - self.nbdev_down * std)
    }
}

/// Streaming TA-Lib EMA: skips leading NaNs, seeds with the mean of the first `period` values.
#[derive(Clone, Debug)]
pub struct EmaState {
    period: usize,
    count: usize,
    level: f64,
}

impl EmaState {
    pub fn new(period: usize) -> Self {
        EmaState {
            period,
            count: 0,
            level: 0.0,
        }
    }

    pub fn update(&mut self, value: f64) -> f64 {
        if self.count == 0 && value.is_nan() {
            return f64::NAN;
        }
        self.count += 1;
        if self.count < self.period {
            self.level += value;
            return f64::NAN;
        }
        if self.count == self.period {
            self.level = (self.level + value) / self.period as f64;
        } else {
            let alpha = 2.0 / (self.period + 1) as f64;
            self.level = self.level * (1.0 - alpha) + value * alpha;
        }
        self.level
    }
}

/// Streaming Wilder RSI, operation for operation the batch kernel.
#[derive(Clone, Debug)]
pub struct RsiState {
    period: usize,
    changes: usize,
    previous: f64,
    gain: f64,
    loss: f64,
}

impl RsiState {
    pub fn new(period: usize) -> Self {
        RsiState {
            period,
            changes: 0,
            previous: f64::NAN,
            gain: 0.0,
            loss: 0.0,
        }
    }

    pub fn update(&mut self, close: f64) -> f64 {
        if self.previous.is_nan() && self.changes == 0 {
            self.previous = close;
            return f64::NAN;
        }
        let (up, down) = split_change(close - self.previous);
        self.previous = close;
        self.changes += 1;
        let n = self.period as f64;
        if self.changes <= self.period {
            self.gain += up;
            self.loss += down;
            if self.changes < self.period {
                return f64::NAN;
            }
            self.gain /= n;
            self.loss /= n;
        } else {
            let (keep, weight) = ((n - 1.0) / n, 1.0 / n);
            self.gain = self.gain * keep + up * weight;
            self.loss = self.loss * keep + down * weight;
        }
        strength_index(self.gain, self.gain + self.loss)
    }
}

/// Streaming Wilder ATR, operation for operation the batch kernel (NaN sticks).
#[derive(Clone, Debug)]
pub struct AtrState {
    period: usize,
    ranges: usize,
    previous_close: f64,
    started: bool,
    broken: bool,
    level: f64,
}

impl AtrState {
    pub fn new(period: usize) -> Self {
        AtrState {
            period,
            ranges: 0,
            previous_close: f64::NAN,
            started: false,
            broken: false,
            level: 0.0,
        }
    }

    pub fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let gap = high.is_nan() || low.is_nan() || close.is_nan();
        if !self.started {
            if gap {
                return f64::NAN;
            }
            self.started = true;
            self.previous_close = close;
            return f64::NAN;
        }
        if gap || self.broken {
            self.broken = true;
            return f64::NAN;
        }
        let range = true_range(high, low, self.previous_close);
        self.previous_close = close;
        self.ranges += 1;
        let p = self.period as f64;
        if self.ranges < self.period {
            self.level += range;
            return f64::NAN;
        }
        if self.ranges == self.period {
            self.level = (self.level + range) / p;
        } else {
            self.level = self.level * ((p - 1.0) / p) + range * (1.0 / p);
        }
        self.level
    }
}
