"""Sizing: fixed fraction, volatility target and fractional Kelly, capped, into share quantities."""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType

import pytest

from quantcli.application.strategy.order_sizing import SignalSizer, SizingMethod, SizingPolicy
from quantcli.application.trading.run_trading_session import TradingSession
from quantcli.domain.bar import Bar
from quantcli.domain.errors import ValidationError
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.signals import Signal

T0 = datetime(2024, 1, 2, tzinfo=UTC)
EQUITY = Decimal(100_000)
CLOSES = [100.0, 102.0, 99.0, 101.0, 104.0]


def signal(weight: float, probability: float = 0.6, symbol: str = "AAA") -> Signal:
    return Signal(symbol, T0, weight, probability)


def observed(policy: SizingPolicy, closes: list[float] = CLOSES) -> SignalSizer:
    sizer = SignalSizer(policy)
    for n, close in enumerate(closes):
        moment = T0 + timedelta(days=n)
        sizer.observe({"AAA": Bar("AAA", moment, close, close, close, close, 1e6)})
    return sizer


def realized_volatility(closes: list[float], bars_per_year: float = 252.0) -> float:
    returns = [b / a - 1 for a, b in itertools.pairwise(closes)]
    return statistics.stdev(returns) * math.sqrt(bars_per_year)


@pytest.mark.parametrize(("weight", "expected"), [(0.03, 0.03), (0.2, 0.05), (-0.2, -0.05)])
def test_fixed_fraction_takes_the_signal_weight_capped(weight: float, expected: float) -> None:
    sizer = SignalSizer(SizingPolicy(max_weight=0.05))
    assert sizer.target_weight(signal(weight)) == expected


def test_fixed_fraction_orders_whole_shares_toward_zero_less_what_is_held() -> None:
    sizer = SignalSizer(SizingPolicy(max_weight=0.05))
    # 5 % of 100 000 at 33 = 151.5 → 151 shares, 40 already held.
    assert sizer.order_quantity(signal(0.05), Decimal(40), EQUITY, Decimal(33)) == Decimal(111)
    assert sizer.order_quantity(signal(-0.05), Decimal(40), EQUITY, Decimal(33)) == Decimal(-191)


def test_volatility_target_scales_by_realized_volatility() -> None:
    policy = SizingPolicy(
        SizingMethod.VOLATILITY_TARGET, max_weight=1.0, target_volatility=0.10, volatility_window=4
    )
    sizer = observed(policy)
    volatility = realized_volatility(CLOSES)

    assert sizer.annualized_volatility("AAA") == pytest.approx(volatility, rel=1e-12)
    assert sizer.target_weight(signal(0.05)) == pytest.approx(0.10 / volatility, rel=1e-12)
    assert sizer.target_weight(signal(-0.05)) == pytest.approx(-0.10 / volatility, rel=1e-12)
    quantity = sizer.order_quantity(signal(0.05), Decimal(0), EQUITY, Decimal(104))
    assert quantity == Decimal(int(0.10 / volatility * 100_000 / 104))


def test_volatility_target_is_capped_and_flat_without_history() -> None:
    policy = SizingPolicy(SizingMethod.VOLATILITY_TARGET, max_weight=0.05, target_volatility=5.0)
    assert observed(policy).target_weight(signal(0.05)) == 0.05
    assert observed(policy, [100.0, 101.0]).target_weight(signal(0.05)) == 0.0
    assert observed(policy).target_weight(signal(0.0)) == 0.0


def test_volatility_window_keeps_only_the_last_returns() -> None:
    policy = SizingPolicy(SizingMethod.VOLATILITY_TARGET, volatility_window=2)
    sizer = observed(policy)
    assert sizer.annualized_volatility("AAA") == pytest.approx(realized_volatility(CLOSES[-3:]))


@pytest.mark.parametrize(
    ("probability", "weight", "expected"),
    [
        (0.6, 0.05, 0.25 * (0.6 - 0.4)),  # kelly 0.2, a quarter of it
        (0.9, 0.05, 0.10),  # capped
        (0.45, 0.05, 0.0),  # the edge is against the long the strategy chose
        (0.3, -0.05, -0.10),  # short side: capped at -max_weight
        (0.6, 0.0, 0.0),  # flat signal
    ],
)
def test_fractional_kelly_from_the_probability_on_the_signals_side(
    probability: float, weight: float, expected: float
) -> None:
    policy = SizingPolicy(SizingMethod.FRACTIONAL_KELLY, max_weight=0.10, kelly_fraction=0.25)
    sizer = SignalSizer(policy)
    assert sizer.target_weight(signal(weight, probability)) == pytest.approx(expected)


def test_the_rebalance_band_skips_small_same_side_resizes() -> None:
    sizer = SignalSizer(SizingPolicy(max_weight=1.0, rebalance_band=0.01))
    # Target 100 shares at 50 (5 000); held 95: the 250 resize is under 1 % of 100 000.
    assert sizer.order_quantity(signal(0.05), Decimal(95), EQUITY, Decimal(50)) == 0
    assert sizer.order_quantity(signal(0.05), Decimal(70), EQUITY, Decimal(50)) == Decimal(30)


@pytest.mark.parametrize(
    "field", ["max_weight", "target_volatility", "volatility_window", "kelly_fraction"]
)
def test_non_positive_parameters_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=f"sizing {field}"):
        SizingPolicy(**{field: 0})  # type: ignore[arg-type]


def test_a_session_sizes_its_orders_by_its_policy(fakes: ModuleType) -> None:
    ledger = fakes.FakeLedger()
    policy = SizingPolicy(SizingMethod.FRACTIONAL_KELLY, max_weight=0.10, kelly_fraction=0.5)
    session = TradingSession(
        account="acct",
        broker=fakes.FakeBroker(ledger),
        ledger=ledger,
        limits=RiskLimits(),
        signal_source=lambda moment: [Signal("AAA", moment, 0.05, 0.56)],
        portfolio=Portfolio(cash=EQUITY),
        sizing=policy,
    )

    session.on_bars(T0, {"AAA": Bar("AAA", T0, 50.0, 50.0, 50.0, 50.0, 1e6)})

    (order,) = session.broker.submitted
    # Kelly 0.56 - 0.44 = 0.12, half of it 0.06: 6 000 / 50 = 120 shares.
    assert order.quantity == Decimal(120)
