"""`quantcli kill` with no session running: the working paper orders are cancelled at once.

A running session cancels its own orders at its next bar; an account no session is trading
would keep its working orders at the simulated broker until the next `quantcli paper`. The
kill command cancels those itself, as `quantcli cancel` would: at the account's simulated book
and in the ledger, stamped with the account's last finished bar. Orders at a live broker are
left alone (`quantcli cancel ID --live`), and so is an account a session is trading now.
"""

from __future__ import annotations

import attrs

from quantcli.application.trading.execution_engine import ExecutionEngine
from quantcli.application.trading.reconcile_positions import restore_account
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderStatus
from quantcli.entrypoints.cli.working_orders import save_snapshot
from quantcli.entrypoints.container import Container


@attrs.frozen
class IdleCancels:
    """What the kill command did to one account's working orders."""

    account: str
    cancelled: tuple[str, ...] = ()
    session_running: bool = False  # a session holds the account: it cancels them itself


def cancel_idle_paper_orders(container: Container, reason: str) -> list[IdleCancels]:
    """Cancel every working paper order of every account no session is trading; an account
    a session is trading is named and left to it."""
    ledger = container.ledger()
    results = []
    for account in ledger.accounts():
        with container.session_lock().idle(account) as idle:
            if not idle:
                results.append(IdleCancels(account, session_running=True))
                continue
            if not any(o.status.is_open for o in ledger.orders(account=account)):
                continue
            cancelled = _cancel_paper_orders(container, account, reason)
        if cancelled:
            results.append(IdleCancels(account, cancelled))
    return results


def _cancel_paper_orders(container: Container, account: str, reason: str) -> tuple[str, ...]:
    ledger = container.ledger()
    opening_cash = ledger.opening_cash(account)
    if opening_cash is None:
        return ()
    broker = container.broker(account=account)
    restored = restore_account(ledger, account, opening_cash)
    # Paper orders are those working in the simulated book, and replacements waiting on one
    # of them. One the book finished while the ledger has it open is the next session's to
    # book (its recovery settles it), not ours to cancel.
    in_book = {
        order_id
        for order_id in restored.open_orders
        if (state := broker.lookup_order(order_id)) is not None
        and not state.order.status.is_terminal
    }
    paper = {
        order_id: order
        for order_id, order in restored.open_orders.items()
        if order_id in in_book or _waits_on(order, in_book)
    }
    if not paper:
        return ()
    candidates = list(paper)  # the engine drops finished orders from its dict
    engine = ExecutionEngine(account, broker, ledger, restored.portfolio, paper)
    # Paper time is the replayed bars' time, as for `quantcli cancel`.
    at = max([o.created_at for o in paper.values()] + [t for t in (restored.last_bar,) if t])
    engine.cancel_all(at, reason)
    own = [e for e in broker.drain_events() if engine.order(e.client_order_id) is not None]
    if engine.apply_events(own).fills:
        save_snapshot(engine, restored.last_bar or at)
    return tuple(
        order_id
        for order_id in candidates
        if (order := engine.order(order_id)) is not None and order.status is OrderStatus.CANCELLED
    )


def _waits_on(order: Order, parents: set[str]) -> bool:
    return order.status is OrderStatus.NEW and order.replaces in parents
