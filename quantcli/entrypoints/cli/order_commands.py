"""`quantcli cancel|replace`: change an account's working order between sessions.

Both act as a session would: the account is restored from its ledger, the order is changed at
the account's broker through the execution engine, and the broker's events are booked in the
ledger, so the next session finds the two agreeing. A paper account's broker is its simulated
book (durable, like a real broker's); with `--live`, IB (see live_orders). A paper account's
order changes only while no session trades the account (each process holds its own copy of the
book): the command takes the account's session lock, and is refused while a session holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any

import click

from quantcli.application.risk.risk_engine import RiskEngineCheck
from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import restore_account
from quantcli.domain.errors import ExecutionError, RiskError, ValidationError
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderStatus, to_decimal
from quantcli.entrypoints.cli.accounts import known_account
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.live_orders import live_working_order
from quantcli.entrypoints.cli.trading_workflows import last_closes
from quantcli.entrypoints.cli.working_orders import WorkingOrder, ledger_order
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import build_risk_engine

_ACCOUNT_HELP = "Ledger account the order belongs to (default: paper.account)."


class PositiveDecimal(click.ParamType):
    """An exact positive number: quantities and prices never go through a float."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            number = to_decimal(str(value).strip())
        except ValidationError:
            self.fail(f"{value!r} is not a number", param, ctx)
        if number <= 0:
            self.fail(f"{value} is not positive", param, ctx)
        return number


def describe(order: Order) -> str:
    """e.g. "BUY 10 AAA LIMIT 101.00" or "SELL 5 BBB STOP_LIMIT 9.50 stop 9.60"."""
    parts = [order.side.value, f"{order.quantity:f}", order.symbol, order.order_type.value]
    if order.limit_price is not None:
        parts.append(_price(order.limit_price))
    if order.stop_price is not None:
        parts.append(f"stop {_price(order.stop_price)}")
    return " ".join(parts)


def _price(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"))
    return f"{cents}" if cents == value else f"{value:f}"


def paper_working_order(
    container: Container, client_order_id: str, account: str, action: str
) -> WorkingOrder:
    """The paper account's working order, checked against the ledger and the simulated
    broker's book; nothing is written before every check has passed."""
    ledger = container.ledger()
    order, opening_cash = ledger_order(ledger, client_order_id, account, action)
    broker = container.broker(account=account)
    state = broker.lookup_order(client_order_id)
    if state is not None and state.order.status.is_terminal:
        raise ExecutionError(
            f"order {client_order_id} is already {state.order.status.value} at the broker; "
            f"run `quantcli paper --account {account}` to book that first"
        )
    if state is None and order.broker_order_id is not None:
        raise ExecutionError(
            f"order {client_order_id} is not in account {account}'s simulated broker book: "
            "only paper orders change without --live (an order at IB: add --live)"
        )
    restored = restore_account(ledger, account, opening_cash)
    engine = ExecutionEngine(account, broker, ledger, restored.portfolio, restored.open_orders)
    # Paper time is the replayed bars' time: a change between runs happens at the last
    # finished bar, the time the simulated broker stamps it with.
    at = max(restored.last_bar or order.created_at, order.created_at)
    snapshot_at = restored.last_bar or at
    return WorkingOrder(engine.orders[client_order_id], engine, at, snapshot_at=snapshot_at)


def working_order(
    container: Container, client_order_id: str, account: str, action: str, *, live: bool
) -> AbstractContextManager[WorkingOrder]:
    """The working order of a paper account, or with `live` of a live account at IB."""
    if live:
        return live_working_order(container, client_order_id, account, action)
    return _idle_paper_working_order(container, client_order_id, account, action)


@contextmanager
def _idle_paper_working_order(
    container: Container, client_order_id: str, account: str, action: str
) -> Iterator[WorkingOrder]:
    """The paper order, with every session held off its account until the change is booked."""
    with container.session_lock().idle(account) as idle:
        if not idle:
            raise ExecutionError(
                f"cannot {action} order {client_order_id}: a paper session is trading account "
                f"{account}; {action} it after the session stops, or trip the kill switch "
                "(`quantcli kill`), which the session acts on at its next bar"
            )
        yield paper_working_order(container, client_order_id, account, action)


def cancel_order(
    container: Container, client_order_id: str, account: str, *, live: bool = False
) -> Order:
    """Cancel a working order and book the broker's confirmation; returns it."""
    with working_order(container, client_order_id, account, "cancel", live=live) as working:
        before = describe(working.order)
        working.engine.cancel(client_order_id, working.at, "cancelled by request (quantcli cancel)")
        order = working.book_until(client_order_id, lambda o: o.status.is_terminal)
    done = f"{order.filled_quantity:f} of {order.quantity:f} filled"
    if order.status.is_open:
        click.echo(f"Cancel of {client_order_id} ({before}) sent; not yet confirmed: {done}")
    else:
        click.echo(f"Cancelled {client_order_id} ({before}): {done}")
    return order


def replace_order(
    container: Container,
    client_order_id: str,
    account: str,
    *,
    quantity: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    live: bool = False,
) -> Order:
    """Change a working order's total quantity or prices; returns the order carrying on."""
    changes = {"quantity": quantity, "limit_price": limit_price, "stop_price": stop_price}
    with working_order(container, client_order_id, account, "replace", live=live) as working:
        old = working.order
        before = describe(old)
        if quantity is not None:  # before anything is asked or sent
            working.engine.check_quantity(client_order_id, old.symbol, quantity)
        if all(value is None or value == getattr(old, key) for key, value in changes.items()):
            raise ExecutionError(f"order {client_order_id}: the replace changes nothing ({before})")
        _check_risk(container, working, quantity, limit_price, stop_price)
        new_id = working.engine.replace(
            client_order_id,
            working.at,
            quantity=quantity,
            limit_price=limit_price,
            stop_price=stop_price,
        )

        def confirmed(order: Order) -> bool:
            if new_id != client_order_id:  # cancel-then-new: sent once the cancel is confirmed
                return order.status is not OrderStatus.NEW
            amended = all(v is None or getattr(order, k) == v for k, v in changes.items())
            return amended or order.status.is_terminal

        new = working.book_until(new_id, confirmed)
    if not confirmed(new):
        click.echo(f"Replace of {client_order_id} ({before}) sent; not yet confirmed")
    elif new_id == client_order_id:
        click.echo(f"Replaced {client_order_id}: {before} -> {describe(new)} (modified in place)")
    else:
        click.echo(
            f"Replaced {client_order_id} ({before}) with {new_id} ({describe(new)}): "
            f"{new.status.value}"
        )
    return new


def _check_risk(
    container: Container,
    working: WorkingOrder,
    quantity: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
) -> None:
    """A replace that moves a price or adds shares is a new decision: the pre-trade rules
    (price collar, exposure ...) judge what would then still work, at the last close."""
    old = working.order
    if limit_price is None and stop_price is None and (quantity or 0) <= old.quantity:
        return  # only fewer shares: less risk, never refused
    portfolio = working.engine.portfolio
    marks = last_closes(container, sorted({*portfolio.positions, old.symbol}))
    if old.symbol not in marks:
        raise RiskError(f"order {old.client_order_id}: no stored close of {old.symbol} to check")
    remaining = (quantity or old.quantity) - old.filled_quantity
    if remaining <= 0:
        return  # the amendment itself refuses it, naming the order
    probe = Order(
        client_order_id=old.client_order_id,
        symbol=old.symbol,
        side=old.side,
        quantity=remaining,
        created_at=old.created_at,
        order_type=old.order_type,
        time_in_force=old.time_in_force,
        limit_price=limit_price or old.limit_price,
        stop_price=stop_price or old.stop_price,
        account=old.account,
    )
    check = RiskEngineCheck(build_risk_engine(container.settings()))
    reason = check.reject_reason(probe, marks[old.symbol], portfolio, marks, working.at)
    if reason is not None:
        raise RiskError(f"order {old.client_order_id}: replace refused by risk: {reason}")


_LIVE_HELP = (
    "The order is at Interactive Brokers (a live account, trading.broker: ibkr): change it "
    "there; needs --account."
)


def _account(app: AppContext, account: str | None, live: bool) -> str:
    if live and not account:
        raise click.UsageError("--live needs --account ID: the live account the order belongs to")
    return known_account(app.container, account or app.settings.backtest.paper.account)


@click.command()
@click.argument("client_order_id")
@click.option("--account", help=_ACCOUNT_HELP)
@click.option("--live", is_flag=True, help=_LIVE_HELP)
@click.pass_obj
def cancel(app: AppContext, client_order_id: str, account: str | None, live: bool) -> None:
    """Cancel a working order at its broker and in the ledger.

    A paper account's order is cancelled at its simulated broker; with --live, a live
    account's order at IB, waiting (trading.ibkr.request_timeout) for IB's confirmation.
    """
    account = _account(app, account, live)
    cancel_order(app.container, client_order_id, account, live=live)


@click.command()
@click.argument("client_order_id")
@click.option(
    "--quantity",
    type=PositiveDecimal(),
    help="New total quantity, shares already filled included.",
)
@click.option("--limit-price", type=PositiveDecimal(), help="New limit price.")
@click.option("--stop-price", type=PositiveDecimal(), help="New stop price.")
@click.option("--account", help=_ACCOUNT_HELP)
@click.option("--live", is_flag=True, help=_LIVE_HELP)
@click.pass_obj
def replace(
    app: AppContext,
    client_order_id: str,
    *,
    quantity: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    account: str | None,
    live: bool,
) -> None:
    """Change a working order: its quantity, limit or stop price.

    The simulated broker and IB (--live) modify the order in place; a broker that cannot
    cancels it and sends a linked `<id>-R<n>` order for the rest. Moving a price or adding
    shares passes the pre-trade risk checks first.
    """
    if quantity is None and limit_price is None and stop_price is None:
        raise click.UsageError("give at least one of --quantity, --limit-price, --stop-price")
    replace_order(
        app.container,
        client_order_id,
        _account(app, account, live),
        quantity=quantity,
        limit_price=limit_price,
        stop_price=stop_price,
        live=live,
    )
