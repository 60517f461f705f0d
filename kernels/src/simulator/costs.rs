//! Per-fill cost formulas, each mirrored in Decimal by `quantcli.domain.cost_models`.
//!
//! Price adjustments are fractions of the reference price, moved against the trader.

const BPS: f64 = 1e4;

/// `min(max(rate × shares, minimum), maximum_fraction × notional) + bps × notional / 1e4`,
/// with notional = shares × price (IBKR fixed: rate 0.005, minimum 1, maximum 1%).
pub fn commission(
    shares: f64,
    price: f64,
    rate: f64,
    minimum: f64,
    maximum_fraction: f64,
    bps: f64,
) -> f64 {
    if shares == 0.0 {
        return 0.0;
    }
    let by_share = (rate * shares).max(minimum);
    // An infinite fraction means no cap; skipping it avoids inf × 0.
    let capped = if maximum_fraction.is_finite() {
        by_share.min(maximum_fraction * shares * price)
    } else {
        by_share
    };
    capped + bps / BPS * shares * price
}

/// The per-share rate of the last tier starting at or below the month's volume before this fill
/// (IBKR tiered: a fill is priced whole by the volume already traded this month).
pub fn tier_rate(tier_volumes: &[f64], tier_rates: &[f64], monthly_volume: f64) -> f64 {
    let tier = tier_volumes
        .iter()
        .rposition(|&start| start <= monthly_volume)
        .unwrap_or(0);
    tier_rates[tier]
}

/// Fixed bps + half the quoted spread + `volume_k` × participation.
pub fn slippage_fraction(
    fixed_bps: f64,
    spread_bps: f64,
    volume_k: f64,
    participation: f64,
) -> f64 {
    fixed_bps / BPS + spread_bps / (2.0 * BPS) + scaled(volume_k, participation)
}

/// `coefficient × x`, but 0 for a zero coefficient even when `x` is infinite: a bar with a
/// vanishing volume (shares / 1e-310 overflows) must not turn a model that is switched off into
/// NaN prices.
fn scaled(coefficient: f64, x: f64) -> f64 {
    if coefficient == 0.0 {
        0.0
    } else {
        coefficient * x
    }
}

/// Square-root law: `y × σ_daily × sqrt(Q / V)`.
pub fn square_root_impact(y: f64, daily_volatility: f64, participation: f64) -> f64 {
    scaled(y * daily_volatility, participation.sqrt())
}

/// Almgren–Chriss linear impact, temporary (η) or permanent (γ): `coefficient × Q / V`.
pub fn linear_impact(coefficient: f64, participation: f64) -> f64 {
    scaled(coefficient, participation)
}

/// One bar's borrow fee on `short_value` (positive) at an annual rate.
pub fn borrow_fee(short_value: f64, annual_rate: f64, bars_per_year: f64) -> f64 {
    short_value * annual_rate / bars_per_year
}

/// Whole shares one symbol may trade in a bar: `floor(rate × volume)`, infinite for no cap.
pub fn participation_capacity(rate: f64, volume: f64) -> f64 {
    if rate.is_infinite() {
        f64::INFINITY
    } else {
        (rate * volume).floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switched_off_model_costs_nothing_even_at_infinite_participation() {
        assert_eq!(slippage_fraction(0.0, 0.0, 0.0, f64::INFINITY), 0.0);
        assert_eq!(square_root_impact(0.0, 0.02, f64::INFINITY), 0.0);
        assert_eq!(linear_impact(0.0, f64::INFINITY), 0.0);
        assert_eq!(linear_impact(0.5, 0.1), 0.05);
    }

    #[test]
    fn ibkr_fixed_commission_hits_minimum_rate_and_maximum() {
        // 100 × 0.005 = 0.50 -> minimum 1.00
        assert_eq!(commission(100.0, 50.0, 0.005, 1.0, 0.01, 0.0), 1.0);
        // 1 000 × 0.005 = 5.00 (cap 1% of 50 000 = 500)
        assert_eq!(commission(1000.0, 50.0, 0.005, 1.0, 0.01, 0.0), 5.0);
        // 1 000 × 0.005 = 5.00, but 1% of 1 000 × 0.10 = 1.00 caps it
        assert_eq!(commission(1000.0, 0.1, 0.005, 1.0, 0.01, 0.0), 1.0);
        assert_eq!(commission(0.0, 50.0, 0.005, 1.0, 0.01, 3.0), 0.0);
    }

    #[test]
    fn tiers_price_a_fill_by_volume_already_traded() {
        let starts = [0.0, 300_000.0, 3_000_000.0];
        let rates = [0.0035, 0.002, 0.0015];
        assert_eq!(tier_rate(&starts, &rates, 0.0), 0.0035);
        assert_eq!(tier_rate(&starts, &rates, 299_999.0), 0.0035);
        assert_eq!(tier_rate(&starts, &rates, 300_000.0), 0.002);
        assert_eq!(tier_rate(&starts, &rates, 5e6), 0.0015);
    }

    #[test]
    fn slippage_and_impact_fractions() {
        // 2 bps + 10 / 2 bps + 0.1 × 0.01 = 0.0002 + 0.0005 + 0.001
        assert!((slippage_fraction(2.0, 10.0, 0.1, 0.01) - 0.0017).abs() < 1e-15);
        // 0.5 × 0.02 × sqrt(0.04) = 0.002
        assert!((square_root_impact(0.5, 0.02, 0.04) - 0.002).abs() < 1e-15);
        assert_eq!(linear_impact(0.1, 0.25), 0.025);
        // 10 000 short × 5% / 250 = 2
        assert_eq!(borrow_fee(10_000.0, 0.05, 250.0), 2.0);
        assert_eq!(participation_capacity(0.1, 1234.0), 123.0);
        assert!(participation_capacity(f64::INFINITY, 0.0).is_infinite());
    }
}
