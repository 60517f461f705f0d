"""Per-fill cost formulas in Decimal; `kernels/src/simulator` mirrors them in float64.

Price adjustments are fractions of the reference price, moved against the trader; Q is a fill's
shares, V the bar's volume and p = Q / V its participation.
"""

from __future__ import annotations

import itertools
from decimal import Decimal, localcontext

import attrs

from quantcli.domain.costs import BPS, _non_negative
from quantcli.domain.errors import ValidationError
from quantcli.domain.trading_types import OrderSide


def _non_negative_or_none(
    instance: object, attribute: attrs.Attribute[Decimal | None], value: Decimal | None
) -> None:
    if value is not None:
        _non_negative(instance, attribute, value)  # type: ignore[arg-type]


@attrs.frozen
class CommissionTier:
    """A per-share rate that applies once the month's volume reaches `from_shares`."""

    from_shares: Decimal = attrs.field(validator=_non_negative)
    per_share: Decimal = attrs.field(validator=_non_negative)


def _tiers_start_at_zero(
    _instance: object,
    _attribute: attrs.Attribute[tuple[CommissionTier, ...]],
    value: tuple[CommissionTier, ...],
) -> None:
    if value and value[0].from_shares != 0:
        raise ValidationError(f"tiers must start at 0 shares, not {value[0].from_shares}")
    starts = [tier.from_shares for tier in value]
    if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
        raise ValidationError(f"tier starts {starts} must be strictly increasing")


@attrs.frozen
class PerShareCommission:
    """min(max(rate x Q, minimum), maximum_fraction x notional) + bps x notional / 10 000.

    With tiers (IBKR tiered) the rate is that of the last tier whose start is at or below the
    month's volume before the fill; the fill is priced whole at that rate. Without, `per_share`.
    IBKR fixed is per_share 0.005, minimum 1, maximum_fraction 0.01.
    """

    per_share: Decimal = attrs.field(default=Decimal("0.005"), validator=_non_negative)
    minimum: Decimal = attrs.field(default=Decimal("1.00"), validator=_non_negative)
    maximum_fraction: Decimal | None = attrs.field(default=None, validator=_non_negative_or_none)
    bps: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    tiers: tuple[CommissionTier, ...] = attrs.field(default=(), validator=_tiers_start_at_zero)

    def rate(self, monthly_volume: Decimal) -> Decimal:
        if not self.tiers:
            return self.per_share
        return [tier for tier in self.tiers if tier.from_shares <= monthly_volume][-1].per_share

    def commission(
        self, quantity: Decimal, price: Decimal, monthly_volume: Decimal = Decimal(0)
    ) -> Decimal:
        shares = abs(quantity)
        if shares == 0:
            return Decimal(0)
        notional = shares * price
        fee = max(self.rate(monthly_volume) * shares, self.minimum)
        if self.maximum_fraction is not None:
            fee = min(fee, self.maximum_fraction * notional)
        return fee + self.bps * notional / BPS


@attrs.frozen
class SlippageCosts:
    """Fixed bps + half the quoted spread (spread_bps / 2) + volume_k x p, as a price fraction."""

    fixed_bps: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    spread_bps: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    volume_k: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    def fraction(self, participation: Decimal) -> Decimal:
        return self.fixed_bps / BPS + self.spread_bps / (2 * BPS) + self.volume_k * participation


@attrs.frozen
class MarketImpact:
    """Square-root law Y x sigma_daily x sqrt(p) plus Almgren-Chriss temporary eta x p on the fill;
    permanent gamma x p multiplies the symbol's later prices by (1 ± gamma x p)."""

    square_root_y: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    temporary_eta: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    permanent_gamma: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    def temporary_fraction(self, participation: Decimal, daily_volatility: Decimal) -> Decimal:
        with localcontext() as context:
            context.prec = 34
            root = participation.sqrt()
        return self.square_root_y * daily_volatility * root + self.temporary_eta * participation

    def permanent_factor(self, participation: Decimal, side: OrderSide) -> Decimal:
        return 1 + side.sign * self.permanent_gamma * participation


def participation(shares: Decimal, volume: Decimal) -> Decimal:
    """Q / V, 0 for a bar without volume."""
    return abs(shares) / volume if volume > 0 else Decimal(0)


def adjusted_fill_price(reference: Decimal, side: OrderSide, fraction: Decimal) -> Decimal:
    """reference x (1 ± fraction): buys pay more, sells receive less."""
    return reference * (1 + side.sign * fraction)


def participation_capacity(rate: Decimal | None, volume: Decimal) -> Decimal | None:
    """Whole shares one symbol may trade in a bar, floor(rate x V); None for no cap."""
    if rate is None:
        return None
    if rate <= 0:
        raise ValidationError(f"participation rate {rate} must be > 0")
    return (rate * volume).to_integral_value(rounding="ROUND_FLOOR")


def borrow_fee(short_value: Decimal, annual_rate: Decimal, bars_per_year: Decimal) -> Decimal:
    """One bar's fee on the market value of shorts held at its close."""
    if annual_rate < 0 or bars_per_year <= 0:
        raise ValidationError(
            f"annual_rate {annual_rate} must be >= 0 and bars_per_year {bars_per_year} > 0"
        )
    return short_value * annual_rate / bars_per_year
