"""Translation between ib_async's objects and QuantCLI's domain types; no I/O here."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import ib_async

from quantcli.adapters.brokers.ibkr.records import AccountSummary, BrokerPosition, Quote
from quantcli.domain.errors import BrokerError, ValidationError
from quantcli.domain.fills import Fill
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide, OrderType, TimeInForce, to_decimal

# TWS message codes (https://www.interactivebrokers.com/campus/ibkr-api-page/tws-api-message-codes/).
CLIENT_ID_IN_USE = 326
ORDER_CANCELLED = 202
CONNECTIVITY_LOST = 1100
RESTORED_DATA_LOST = 1101
RESTORED_DATA_KEPT = 1102
# Data farm status notices: TWS sends them at every login and whenever a farm reconnects. They
# say nothing about this session, so they are logged and never raised.
FARM_STATUS_CODES = frozenset({2103, 2104, 2105, 2106, 2107, 2108, 2119, 2158})

_IB_LOG_PREFIX = re.compile(r"^(?:Error|Warning) -?\d+, reqId -?\d+: ")

WORKING_STATUSES = frozenset({"PreSubmitted", "Submitted"})
CANCELLED_STATUSES = frozenset({"Cancelled", "ApiCancelled", "Inactive"})
DONE_STATUSES = CANCELLED_STATUSES | {"Filled"}

_IB_ORDER_TYPES = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
}
# Executions say BOT/SLD, orders BUY/SELL.
_IB_SIDES = {
    "BOT": OrderSide.BUY,
    "BUY": OrderSide.BUY,
    "SLD": OrderSide.SELL,
    "SELL": OrderSide.SELL,
}
_STOCK_ASSET_CLASSES = frozenset({"equity", "etf", "stock"})
_SUMMARY_TAGS = {
    "net_liquidation": "NetLiquidation",
    "total_cash": "TotalCashValue",
    "buying_power": "BuyingPower",
    "available_funds": "AvailableFunds",
    "excess_liquidity": "ExcessLiquidity",
}


@attrs.frozen
class BrokerOrder:
    """An order as the broker sees it, in plain terms; `client_order_id` is IB's orderRef."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    filled_quantity: Decimal
    ib_order_type: str
    ib_status: str


def exact(value: float | Decimal | None, what: str) -> Decimal:
    """A number from IB as an exact decimal, integral values without a trailing ".0"."""
    if value is None or value >= ib_async.util.UNSET_DOUBLE:
        raise BrokerError(f"{what}: IB sent no value")
    try:
        result = to_decimal(value, what)
    except ValidationError as exc:
        raise BrokerError(str(exc)) from exc
    integral = result.to_integral_value()
    return integral if result == integral else result


def optional_price(value: float | None) -> Decimal | None:
    """A ticker field as a decimal; IB's "no value" markers (nan, -1, unset) become None."""
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    if value >= ib_async.util.UNSET_DOUBLE:
        return None
    return exact(value, "tick")


def optional_size(value: float | None) -> Decimal | None:
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return exact(value, "tick size")


def ib_contract(
    symbol: str, instrument: Instrument | None, exchange: str, currency: str
) -> ib_async.Contract:
    """The unqualified contract for a symbol: a stock unless the instrument says otherwise."""
    if instrument is None:
        return ib_async.Stock(symbol, exchange, currency)
    if instrument.asset_class.lower() not in _STOCK_ASSET_CLASSES:
        # Futures and options need an expiry, FX a pair: not modelled by Instrument yet.
        raise BrokerError(
            f"symbol {symbol}: asset class {instrument.asset_class!r} has no IB contract mapping "
            f"(supported: {', '.join(sorted(_STOCK_ASSET_CLASSES))})"
        )
    return ib_async.Stock(symbol, instrument.exchange or exchange, instrument.currency or currency)


def ib_order(order: Order, account: str) -> ib_async.Order:
    """Our order as an IB order; the client order id travels in orderRef, to be found again."""
    ib = ib_async.Order(
        action=order.side.value,
        totalQuantity=float(order.quantity),
        orderType=_IB_ORDER_TYPES[order.order_type],
        tif=order.time_in_force.value,
        orderRef=order.client_order_id,
        account=account,
    )
    if order.limit_price is not None:
        ib.lmtPrice = float(order.limit_price)
    if order.stop_price is not None:
        ib.auxPrice = float(order.stop_price)
    return ib


def order_type_of(ib_type: str) -> OrderType | None:
    for ours, theirs in _IB_ORDER_TYPES.items():
        if ib_type.upper() in (theirs, theirs.replace(" ", "")):
            return ours
    return None


def side_of(action: str, what: str) -> OrderSide:
    try:
        return _IB_SIDES[action.upper()]
    except KeyError:
        raise BrokerError(f"{what}: IB side {action!r} is neither buy nor sell") from None


def broker_order_id(trade: ib_async.Trade) -> str:
    """IB's permanent order id; before IB assigned one, "<client id>-<order id>"."""
    order = trade.order
    if order.permId:
        return str(order.permId)
    return f"{order.clientId}-{order.orderId}"


def broker_filled(trade: ib_async.Trade) -> Decimal:
    """How much of the order the broker says is filled (live status or completed-order record)."""
    filled: float | Decimal = trade.orderStatus.filled
    completed = trade.order.filledQuantity
    if completed and completed < ib_async.util.UNSET_DOUBLE:
        filled = max(filled, completed)
    return exact(filled, f"order {trade.order.orderRef} filled")


def broker_order(trade: ib_async.Trade) -> BrokerOrder:
    ref = trade.order.orderRef or f"IB-{broker_order_id(trade)}"
    return BrokerOrder(
        client_order_id=ref,
        broker_order_id=broker_order_id(trade),
        symbol=trade.contract.symbol,
        side=side_of(trade.order.action, f"order {ref}"),
        quantity=exact(trade.order.totalQuantity, f"order {ref} quantity"),
        filled_quantity=broker_filled(trade),
        ib_order_type=trade.order.orderType,
        ib_status=trade.orderStatus.status,
    )


def order_from_trade(trade: ib_async.Trade, created_at: datetime) -> Order:
    """Rebuild our Order from the broker's record of it (an order we did not know locally)."""
    ib = trade.order
    what = f"IB order {ib.orderRef or broker_order_id(trade)}"
    order_type = order_type_of(ib.orderType)
    if order_type is None:
        raise BrokerError(f"{what}: IB order type {ib.orderType!r} has no QuantCLI equivalent")
    try:
        time_in_force = TimeInForce(ib.tif or "DAY")
    except ValueError:
        raise BrokerError(f"{what}: time in force {ib.tif!r} is not DAY, GTC or IOC") from None
    needs_limit = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    return Order(
        client_order_id=ib.orderRef or f"IB-{broker_order_id(trade)}",
        symbol=trade.contract.symbol,
        side=side_of(ib.action, what),
        quantity=exact(ib.totalQuantity, f"{what} quantity"),
        created_at=created_at,
        order_type=order_type,
        time_in_force=time_in_force,
        limit_price=exact(ib.lmtPrice, f"{what} limit") if needs_limit else None,
        stop_price=exact(ib.auxPrice, f"{what} stop") if needs_stop else None,
        broker_order_id=broker_order_id(trade),
    )


def fill_from_ib(fill: ib_async.Fill, client_order_id: str, commission: float) -> Fill:
    """One IB execution with its commission as our Fill; the execId is the fill id."""
    execution = fill.execution
    what = f"execution {execution.execId}"
    when = execution.time if execution.time.tzinfo is not None else fill.time
    try:
        return Fill(
            fill_id=execution.execId,
            client_order_id=client_order_id,
            symbol=fill.contract.symbol,
            side=side_of(execution.side, what),
            quantity=exact(execution.shares, f"{what} shares"),
            price=exact(execution.price, f"{what} price"),
            commission=exact(abs(commission), f"{what} commission"),
            timestamp=when.astimezone(UTC),
        )
    except ValidationError as exc:
        raise BrokerError(f"{what}: {exc}") from exc


def has_commission(fill: ib_async.Fill) -> bool:
    """Whether IB's commission report for this execution has arrived."""
    return fill.commissionReport.execId == fill.execution.execId


def position_from_ib(position: ib_async.Position) -> BrokerPosition:
    symbol = position.contract.symbol
    return BrokerPosition(
        account=position.account,
        symbol=symbol,
        quantity=exact(position.position, f"position {symbol}"),
        average_cost=exact(position.avgCost, f"position {symbol} average cost"),
    )


def account_summary_from(values: Iterable[ib_async.AccountValue], account: str) -> AccountSummary:
    """The account summary tags of one account; figures in the account's base currency."""
    by_tag: dict[str, str] = {}
    currency = ""
    for value in values:
        if value.account != account or value.modelCode:
            continue
        by_tag[value.tag] = value.value
        if value.tag == "NetLiquidation" and value.currency:
            currency = value.currency

    def figure(tag: str) -> Decimal | None:
        raw = by_tag.get(tag)
        if raw is None or raw == "":
            return None
        try:
            return to_decimal(raw, f"account {account} {tag}")
        except (ValidationError, ArithmeticError):
            raise BrokerError(f"account {account}: {tag} value {raw!r} is not a number") from None

    return AccountSummary(
        account=account,
        currency=currency,
        values=dict(by_tag),
        **{name: figure(tag) for name, tag in _SUMMARY_TAGS.items()},
    )


def quote_from_ticker(symbol: str, ticker: ib_async.Ticker, now: datetime) -> Quote:
    return Quote(
        symbol=symbol,
        bid=optional_price(ticker.bid),
        ask=optional_price(ticker.ask),
        last=optional_price(ticker.last),
        bid_size=optional_size(ticker.bidSize),
        ask_size=optional_size(ticker.askSize),
        last_size=optional_size(ticker.lastSize),
        timestamp=now,
    )


def error_reason(trade: ib_async.Trade) -> tuple[int, str] | None:
    """The most recent IB error logged against an order, as (code, IB's own words)."""
    for entry in reversed(trade.log):
        if entry.errorCode:
            # ib_async logs "Error 201, reqId 4: <TWS text>, contract: ..."; keep the TWS text.
            text = _IB_LOG_PREFIX.sub("", entry.message).split(", contract: ")[0]
            return entry.errorCode, text
    return None
