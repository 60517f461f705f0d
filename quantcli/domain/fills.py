"""Executions reported by a broker."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.domain.bar import require_utc
from quantcli.domain.errors import ExecutionError
from quantcli.domain.trading_types import OrderSide


@attrs.frozen
class Fill:
    """One execution of (part of) an order; `commission` is in account currency, never < 0."""

    fill_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    commission: Decimal
    timestamp: datetime

    def __attrs_post_init__(self) -> None:
        require_utc(self.timestamp, f"fill {self.fill_id}")
        if self.quantity <= 0:
            raise ExecutionError(f"fill {self.fill_id}: quantity {self.quantity} is not positive")
        if self.price <= 0:
            raise ExecutionError(f"fill {self.fill_id}: price {self.price} is not positive")
        if self.commission < 0:
            raise ExecutionError(f"fill {self.fill_id}: commission {self.commission} is negative")

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity * self.side.sign

    @property
    def cash_flow(self) -> Decimal:
        """Cash the fill moves: buys pay price × quantity, sells receive it; commission is paid."""
        return -self.signed_quantity * self.price - self.commission
