"""Positions and the portfolio, with exact cash and P&L arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from quantcli.domain.errors import ExecutionError
from quantcli.domain.fills import Fill

ZERO = Decimal(0)
# A partial close releases a pro-rata share of the cost basis. The share is rounded to this fixed
# quantum so that it, the basis left open and realized P&L stay short enough for every later sum
# to be exact; whatever the rounding moves stays in the open basis, so nothing is lost.
BASIS_QUANTUM = Decimal("1e-12")


@attrs.define
class Position:
    """A long (quantity > 0) or short (quantity < 0) position at an average cost."""

    symbol: str
    quantity: Decimal = ZERO
    average_cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    # The exact signed cost of the open quantity (quantity × average cost before rounding).
    # average_cost is a quotient, so it is rounded to the Decimal context; keeping the sum it
    # comes from makes realized + unrealized P&L agree with cash to the last digit. It is left
    # out of equality so a position rebuilt from (quantity, average_cost) still compares equal.
    cost_basis: Decimal = attrs.field(
        default=attrs.Factory(lambda self: self.quantity * self.average_cost, takes_self=True),
        eq=False,
    )

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    def apply_fill(self, fill: Fill) -> None:
        """Move the position by a fill: extend at a blended cost, reduce realizing P&L, or flip."""
        if fill.symbol != self.symbol:
            raise ExecutionError(f"fill {fill.fill_id} for {fill.symbol} applied to {self.symbol}")
        delta = fill.signed_quantity
        if self.quantity == 0 or (self.quantity > 0) == (delta > 0):
            self.cost_basis += fill.price * delta
            self.quantity += delta
            self.average_cost = self.cost_basis / self.quantity
            return
        closed = min(abs(delta), abs(self.quantity))
        direction = Decimal(1) if self.quantity > 0 else Decimal(-1)
        if closed == abs(self.quantity):
            released = self.cost_basis
        else:
            released = (self.cost_basis * closed / abs(self.quantity)).quantize(BASIS_QUANTUM)
        self.realized_pnl += fill.price * closed * direction - released
        self.cost_basis -= released
        self.quantity += delta
        if self.quantity == 0:
            self.average_cost = ZERO
        elif (self.quantity > 0) != (direction > 0):
            # The fill flipped the position: the remainder opens at the fill price.
            self.cost_basis = fill.price * self.quantity
            self.average_cost = fill.price

    def market_value(self, mark_price: Decimal) -> Decimal:
        return self.quantity * mark_price

    def unrealized_pnl(self, mark_price: Decimal) -> Decimal:
        return self.quantity * mark_price - self.cost_basis


@attrs.define
class Portfolio:
    """Cash plus positions; every fill moves both exactly."""

    cash: Decimal
    positions: dict[str, Position] = attrs.Factory(dict)
    total_commission: Decimal = ZERO

    def position(self, symbol: str) -> Position:
        return self.positions.get(symbol) or Position(symbol)

    def quantity(self, symbol: str) -> Decimal:
        held = self.positions.get(symbol)
        return held.quantity if held is not None else ZERO

    def apply_fill(self, fill: Fill) -> None:
        position = self.positions.setdefault(fill.symbol, Position(fill.symbol))
        position.apply_fill(fill)
        self.cash += fill.cash_flow
        self.total_commission += fill.commission

    def apply_fills(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            self.apply_fill(fill)

    def _mark(self, symbol: str, marks: Mapping[str, Decimal]) -> Decimal:
        try:
            return marks[symbol]
        except KeyError:
            raise ExecutionError(f"no mark price for {symbol}, which the portfolio holds") from None

    def equity(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Cash plus the market value of every open position at `marks`."""
        return self.cash + sum(
            (
                p.market_value(self._mark(s, marks))
                for s, p in self.positions.items()
                if not p.is_flat
            ),
            ZERO,
        )

    def gross_exposure(self, marks: Mapping[str, Decimal]) -> Decimal:
        return sum(
            (
                abs(p.market_value(self._mark(s, marks)))
                for s, p in self.positions.items()
                if not p.is_flat
            ),
            ZERO,
        )

    def net_exposure(self, marks: Mapping[str, Decimal]) -> Decimal:
        return sum(
            (
                p.market_value(self._mark(s, marks))
                for s, p in self.positions.items()
                if not p.is_flat
            ),
            ZERO,
        )

    @property
    def realized_pnl(self) -> Decimal:
        return sum((p.realized_pnl for p in self.positions.values()), ZERO)

    def unrealized_pnl(self, marks: Mapping[str, Decimal]) -> Decimal:
        return sum(
            (
                p.unrealized_pnl(self._mark(s, marks))
                for s, p in self.positions.items()
                if not p.is_flat
            ),
            ZERO,
        )
