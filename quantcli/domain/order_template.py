"""How a sized signal goes out: a market order, or a marketable limit that caps slippage.

A LIMIT template prices a buy `limit_offset_bps` above the last close and a sell as far
below it: the order still crosses the market at once, but never fills worse than that.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

from quantcli.domain.errors import ValidationError
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderType, TimeInForce, to_decimal

BPS = Decimal(10_000)
PENNY = Decimal("0.01")
SUB_PENNY = Decimal("0.0001")
_TEMPLATE_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT})


def tick_size(price: Decimal) -> Decimal:
    """The minimum price increment a limit price at `price` may be quoted in.

    Instruments carry no tick size yet, so this is the US equity rule (Reg NMS Rule 612):
    whole cents at or above $1.00, $0.0001 below. A finer limit would be refused by the
    exchange, and rounding a sub-dollar price to a cent could move it by over 1 %.
    """
    return PENNY if price >= 1 else SUB_PENNY


def round_to_tick(price: Decimal, side: OrderSide) -> Decimal:
    """`price` on the tick grid, rounded toward the trader: a buy down, a sell up, so the
    rounding never pays more (or receives less) than the unrounded limit allows."""
    tick = tick_size(price)
    rounding = ROUND_FLOOR if side is OrderSide.BUY else ROUND_CEILING
    return (price / tick).to_integral_value(rounding=rounding) * tick


def _supported_type(_instance: Any, _attribute: Any, value: OrderType) -> None:
    if value not in _TEMPLATE_TYPES:
        raise ValidationError(f"order template: type {value.value} is not MARKET or LIMIT")


def _offset(value: Decimal | float | int | str) -> Decimal:
    return to_decimal(value, "order template: limit_offset_bps")


def _offset_in_range(_instance: Any, _attribute: Any, value: Decimal) -> None:
    # At 100 % a sell's limit would be zero or negative.
    if not 0 <= value < BPS:
        raise ValidationError(f"order template: limit_offset_bps {value} is not in [0, {BPS})")


@attrs.frozen
class OrderTemplate:
    """Order type, time in force and limit offset for the orders signals become.

    The default, a MARKET DAY order, is what sessions sent before templates existed.
    """

    order_type: OrderType = attrs.field(default=OrderType.MARKET, validator=_supported_type)
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_offset_bps: Decimal = attrs.field(
        default=Decimal(0), converter=_offset, validator=_offset_in_range
    )

    def limit_price(self, side: OrderSide, last_price: Decimal) -> Decimal | None:
        """last × (1 ± offset) on the tick grid, buys above and sells below; None for MARKET."""
        if self.order_type is OrderType.MARKET:
            return None
        if last_price <= 0:
            raise ValidationError(f"order template: last price {last_price} is not positive")
        offset = self.limit_offset_bps / BPS
        raw = last_price * (1 + offset) if side is OrderSide.BUY else last_price * (1 - offset)
        price = round_to_tick(raw, side)
        if price <= 0:
            raise ValidationError(
                f"order template: {side.value} limit at {raw} rounds to {price}, not a price"
            )
        return price

    def build(
        self,
        *,
        client_order_id: str,
        symbol: str,
        side: OrderSide,
        quantity: Decimal,
        last_price: Decimal,
        created_at: datetime,
        account: str | None = None,
    ) -> Order:
        """A NEW order of this template's type and time in force, priced off `last_price`."""
        return Order(
            client_order_id=client_order_id,
            symbol=symbol,
            side=side,
            quantity=quantity,
            created_at=created_at,
            order_type=self.order_type,
            time_in_force=self.time_in_force,
            limit_price=self.limit_price(side, last_price),
            account=account,
        )


MARKET_DAY = OrderTemplate()
