"""What the IBKR adapter reports besides orders and fills: quotes, positions, account figures."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from quantcli.domain.quotes import Quote

__all__ = ["AccountSummary", "BrokerPosition", "Quote"]


@attrs.frozen
class BrokerPosition:
    """A position as the broker books it; `average_cost` includes commissions, as IB reports it."""

    account: str
    symbol: str
    quantity: Decimal
    average_cost: Decimal


@attrs.frozen
class AccountSummary:
    """The account's headline figures in `currency`; `values` keeps every tag IB sent."""

    account: str
    currency: str
    net_liquidation: Decimal | None
    total_cash: Decimal | None
    buying_power: Decimal | None
    available_funds: Decimal | None
    excess_liquidity: Decimal | None
    values: Mapping[str, str] = attrs.field(factory=dict)
