"""`quantcli cancel|replace --live`: change a live account's working order at IB.

The order is IB's copy, found by its client order id (IB's orderRef) after the connect. What IB
did with it while QuantCLI was away (fills, a change, its end) is booked first, as `quantcli
live` recovery would; an order IB does not know, or one it has already finished, is refused by
name. Run these while no `quantcli live` session trades the account: IB refuses a second
connection under the same client id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import recover_orders, restore_account
from quantcli.domain.errors import ExecutionError
from quantcli.domain.orders import Order
from quantcli.entrypoints.cli.working_orders import WorkingOrder, ledger_order, save_snapshot
from quantcli.entrypoints.container import Container
from quantcli.entrypoints.trading_providers import PAPER_BROKER_FILE, require_live_broker

if TYPE_CHECKING:
    from quantcli.adapters.brokers.ibkr import IbkrBroker


@contextmanager
def live_working_order(
    container: Container, client_order_id: str, account: str, action: str
) -> Iterator[WorkingOrder]:
    """The live account's working order at IB, connected until the `with` block ends; nothing
    is written before the order is known to be working at IB."""
    settings = container.settings()
    require_live_broker(settings)
    ledger = container.ledger()
    _refuse_paper_order(container, ledger.order(client_order_id))
    _, opening_cash = ledger_order(ledger, client_order_id, account, action)
    broker: IbkrBroker = container.live_broker(account=account)
    with closing(broker):
        report = broker.connect()
        ib_account = broker.async_broker.account
        click.echo(f"Connected to IB account {ib_account}; reconciliation: {report.describe()}")
        if broker.lookup_order(client_order_id) is None:
            raise ExecutionError(
                f"order {client_order_id}: IB account {ib_account} has no order under this "
                f"client order id; nothing to {action} at IB"
            )
        restored = restore_account(ledger, account, opening_cash)
        # Only this order (and a replacement waiting for it): the account's other orders are
        # left to `quantcli live` recovery.
        chain = {
            o.client_order_id: o
            for o in restored.open_orders.values()
            if client_order_id in (o.client_order_id, o.replaces)
        }
        engine = ExecutionEngine(account, broker, ledger, restored.portfolio, chain)
        snapshot_at = restored.last_bar or datetime.now(UTC)
        _book_what_ib_did(engine, client_order_id, snapshot_at, action)
        yield WorkingOrder(
            engine.orders[client_order_id],
            engine,
            at=datetime.now(UTC),
            snapshot_at=snapshot_at,
            confirm_within=settings.trading.ibkr.request_timeout,
        )


def _refuse_paper_order(container: Container, order: Order | None) -> None:
    """A paper order lives in its account's simulated broker book, never at IB."""
    if order is None or not order.account:
        return
    if not (container.settings().quantcli.data_dir / PAPER_BROKER_FILE).exists():
        return
    if container.broker(account=order.account).lookup_order(order.client_order_id) is None:
        return
    raise ExecutionError(
        f"order {order.client_order_id} is a paper order of account {order.account} (in its "
        "simulated broker book), not an order at IB: leave out --live"
    )


def _book_what_ib_did(
    engine: ExecutionEngine, client_order_id: str, snapshot_at: datetime, action: str
) -> None:
    """Book IB's fills, change or end of the order the ledger has not seen; refuse an order
    IB has finished."""
    recovery = recover_orders(engine, None, resubmit=False)
    for line in recovery.lines():
        click.echo(f"Booked from IB: {line}")
    if recovery.fills_recovered:
        save_snapshot(engine, snapshot_at)
    order = engine.order(client_order_id)
    assert order is not None  # recovery settles it, never forgets it
    if order.status.is_terminal:
        raise ExecutionError(
            f"order {client_order_id} is already {order.status.value} at IB "
            f"({order.filled_quantity:f} of {order.quantity:f} filled, booked in the ledger "
            f"now): nothing to {action}"
        )
