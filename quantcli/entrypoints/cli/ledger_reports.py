"""`quantcli orders` and `quantcli pnl`: what the ledger holds, as tables."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import click

from quantcli.domain.errors import DataError
from quantcli.domain.orders import Order
from quantcli.entrypoints.cli.output import count, money, quantity, table
from quantcli.entrypoints.cli.trading_workflows import account_marks, load_account, marked_at
from quantcli.entrypoints.container import Container


def _note(order: Order) -> str:
    notes = []
    if order.replaces:
        notes.append(f"replaces {order.replaces}")
    if order.reject_reason:
        notes.append(order.reject_reason)
    if order.cancel_reason:
        notes.append(order.cancel_reason)
    return "; ".join(notes)


def _price(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.4f}"


def show_orders(container: Container, account: str, only_open: bool) -> list[Order]:
    ledger = container.ledger()
    orders = ledger.orders(account=account)
    if only_open:
        orders = [order for order in orders if order.status.is_open]
    fills = Counter(fill.client_order_id for fill in ledger.fills(account))
    what = "open orders" if only_open else "orders"
    click.echo(f"Account {account}: {count(len(orders))} {what}")
    if not orders:
        return orders
    rows = [
        (
            f"{order.created_at:%Y-%m-%d %H:%M}",
            order.client_order_id,
            order.symbol,
            order.side.value,
            order.order_type.value,
            order.time_in_force.value,
            quantity(order.quantity),
            quantity(order.filled_quantity),
            _price(order.average_fill_price),
            _price(order.limit_price),
            _price(order.stop_price),
            order.status.value,
            fills[order.client_order_id],
            order.broker_order_id or "",
            _note(order),
        )
        for order in orders
    ]
    headers = (
        "created",
        "client order id",
        "symbol",
        "side",
        "type",
        "tif",
        "quantity",
        "filled",
        "avg price",
        "limit",
        "stop",
        "status",
        "fills",
        "broker id",
        "note",
    )
    click.echo(table(headers, rows))
    return orders


def show_pnl(container: Container, account: str, days: int) -> Decimal:
    """Realized and unrealized P&L by symbol, the totals, and the last `days` days' P&L."""
    ledger = container.ledger()
    portfolio = load_account(container, account)
    opening = ledger.opening_cash(account)
    held = sorted(s for s, p in portfolio.positions.items() if not p.is_flat)
    marks, as_of = account_marks(container, account, held)
    rows = []
    for symbol, position in sorted(portfolio.positions.items()):
        unrealized = position.unrealized_pnl(marks[symbol]) if symbol in held else Decimal(0)
        rows.append(
            (
                symbol,
                quantity(position.quantity),
                money(position.realized_pnl),
                money(unrealized),
                money(position.realized_pnl + unrealized),
            )
        )
    realized = portfolio.realized_pnl
    unrealized = portfolio.unrealized_pnl(marks)
    equity = portfolio.equity(marks)
    click.echo(f"Account {account}: P&L by symbol (open positions {marked_at(as_of)})")
    if rows:
        click.echo(table(("symbol", "quantity", "realized", "unrealized", "total"), rows))
    click.echo(
        f"Realized {money(realized)}, unrealized {money(unrealized)}, commissions "
        f"{money(portfolio.total_commission)}; equity {money(equity)}"
        + ("" if opening is None else f", total P&L {money(equity - opening)} on {money(opening)}")
    )
    history = ledger.equity_history(account)
    if not history:
        raise DataError(f"no equity recorded for account {account}: run `quantcli paper` first")
    closes: dict[str, Decimal] = {}
    for point in history:
        closes[f"{point.timestamp:%Y-%m-%d}"] = point.equity  # the day's last point wins
    previous = opening if opening is not None else history[0].equity
    daily = []
    for day, close in closes.items():
        daily.append((day, money(close), money(close - previous)))
        previous = close
    click.echo(f"Daily P&L (last {min(days, len(daily))} of {len(daily)} days):")
    click.echo(table(("date", "equity", "P&L"), daily[-days:]))
    return equity
