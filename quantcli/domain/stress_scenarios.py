"""Stress scenarios: configured price shocks applied to the book's positions, P&L per scenario.

A shock is a fractional price move keyed by a symbol, by "sector:<name>" or by "*" (all); the
most specific key that matches a symbol applies (symbol, then its sector, then "*"), they do
not add up. A symbol nothing matches is not moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from quantcli.domain.errors import ValidationError
from quantcli.domain.positions import Portfolio

ALL = "*"
SECTOR_PREFIX = "sector:"
ZERO = Decimal(0)


def _valid_shocks(
    instance: StressScenario, _attribute: attrs.Attribute[Any], shocks: Mapping[str, Decimal]
) -> None:
    for key, shock in shocks.items():
        where = f"stress scenario {instance.name!r}: {key}"
        if not key or key == SECTOR_PREFIX:
            raise ValidationError(f"{where}: a shock needs a symbol, sector:<name> or *")
        if not shock.is_finite() or shock < -1:
            raise ValidationError(f"{where}: shock {shock} is not a finite move >= -1")


@attrs.frozen
class StressScenario:
    """A named set of price shocks, e.g. {"*": -0.30, "sector:tech": -0.45}."""

    name: str
    shocks: Mapping[str, Decimal] = attrs.field(hash=False, validator=_valid_shocks)

    def shock_for(self, symbol: str, sectors: Mapping[str, str]) -> Decimal:
        if symbol in self.shocks:
            return self.shocks[symbol]
        sector = sectors.get(symbol)
        if sector is not None and f"{SECTOR_PREFIX}{sector}" in self.shocks:
            return self.shocks[f"{SECTOR_PREFIX}{sector}"]
        return self.shocks.get(ALL, ZERO)


@attrs.frozen
class StressResult:
    """A scenario's P&L on the book, in total and by symbol."""

    scenario: str
    pnl: Decimal
    pnl_by_symbol: Mapping[str, Decimal] = attrs.field(hash=False)


def position_values(portfolio: Portfolio, marks: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Signed market value of every open position at `marks`."""
    values: dict[str, Decimal] = {}
    for symbol, position in portfolio.positions.items():
        if position.is_flat:
            continue
        if symbol not in marks:
            raise ValidationError(f"marks: no last price for {symbol}, which the portfolio holds")
        values[symbol] = position.market_value(marks[symbol])
    return values


def stress_pnl(
    scenarios: Iterable[StressScenario],
    values: Mapping[str, Decimal],
    sectors: Mapping[str, str] | None = None,
) -> tuple[StressResult, ...]:
    """Each scenario's P&L: Σ market value × shock (a short gains when its price falls)."""
    sector_map = sectors or {}
    results = []
    for scenario in scenarios:
        by_symbol = {
            symbol: value * scenario.shock_for(symbol, sector_map)
            for symbol, value in values.items()
        }
        results.append(StressResult(scenario.name, sum(by_symbol.values(), ZERO), by_symbol))
    return tuple(results)
