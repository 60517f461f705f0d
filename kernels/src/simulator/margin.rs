//! Leverage limit at order time; mirrored in Decimal by `quantcli.domain.margin`.

/// The tighter of `max_leverage` and `1 / initial_margin` (an initial margin fraction f allows
/// gross exposure up to equity / f); infinity when neither binds.
pub fn leverage_limit(max_leverage: f64, initial_margin: f64) -> f64 {
    if initial_margin > 0.0 {
        max_leverage.min(1.0 / initial_margin)
    } else {
        max_leverage
    }
}

/// The part of `quantity` that keeps gross exposure within `limit × equity`, valued at `mark`.
///
/// An order that does not grow the symbol's absolute position always passes. One that does is
/// cut to the largest whole-share position the headroom allows; 0 means rejected (nothing fits,
/// or the cut would reverse the order's direction).
pub fn leverage_cap(
    held: f64,
    quantity: f64,
    mark: f64,
    equity: f64,
    gross: f64,
    limit: f64,
) -> f64 {
    let target = held + quantity;
    if target.abs() <= held.abs() {
        return quantity;
    }
    let headroom = limit * equity - (gross - held.abs() * mark);
    let allowed = if headroom > 0.0 {
        (headroom / mark).floor()
    } else {
        0.0
    };
    if target.abs() <= allowed {
        return quantity;
    }
    let cut = target.clamp(-allowed, allowed) - held;
    if cut * quantity <= 0.0 {
        0.0
    } else {
        cut
    }
}

/// True when equity is below `maintenance_margin × gross` with something held.
pub fn is_margin_call(equity: f64, gross: f64, maintenance_margin: f64) -> bool {
    gross > 0.0 && equity < maintenance_margin * gross
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_margin_tightens_the_leverage_limit() {
        assert_eq!(leverage_limit(f64::INFINITY, 0.5), 2.0);
        assert_eq!(leverage_limit(1.5, 0.5), 1.5);
        assert!(leverage_limit(f64::INFINITY, 0.0).is_infinite());
    }

    #[test]
    fn orders_are_cut_to_the_headroom_or_rejected() {
        // Equity 1 000, limit 2: gross may reach 2 000. 150 shares at 10 = 1 500 fits.
        assert_eq!(leverage_cap(0.0, 150.0, 10.0, 1000.0, 0.0, 2.0), 150.0);
        // 250 shares would be 2 500: cut to 200.
        assert_eq!(leverage_cap(0.0, 250.0, 10.0, 1000.0, 0.0, 2.0), 200.0);
        // Another symbol already uses 1 950: 5 shares fit.
        assert_eq!(leverage_cap(0.0, -50.0, 10.0, 1000.0, 1950.0, 2.0), -5.0);
        // Nothing fits: rejected.
        assert_eq!(leverage_cap(0.0, 50.0, 10.0, 1000.0, 2000.0, 2.0), 0.0);
        // Reducing always passes.
        assert_eq!(
            leverage_cap(300.0, -100.0, 10.0, 1000.0, 3000.0, 2.0),
            -100.0
        );
        // A flip from +100 to -300 with room for 200: cut to -200.
        assert_eq!(
            leverage_cap(100.0, -400.0, 10.0, 1000.0, 1000.0, 2.0),
            -300.0
        );
        // Held 300 over the limit, buying more: the clamp would sell, so rejected.
        assert_eq!(leverage_cap(300.0, 10.0, 10.0, 1000.0, 3000.0, 2.0), 0.0);
    }

    #[test]
    fn margin_call_below_maintenance() {
        assert!(is_margin_call(249.0, 1000.0, 0.25));
        assert!(!is_margin_call(250.0, 1000.0, 0.25));
        assert!(!is_margin_call(-5.0, 0.0, 0.25));
    }
}
