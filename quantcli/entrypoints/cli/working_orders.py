"""A working order `quantcli cancel|replace` may change: checked against the ledger, with the
execution engine over the account's broker (paper: the simulated book; live: IB)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import attrs

from quantcli.adapters.storage import SqliteLedger
from quantcli.application.trading.execution_engine import AppliedEvents, ExecutionEngine
from quantcli.domain.errors import ExecutionError
from quantcli.domain.orders import Order

# Between two looks at the broker's events while waiting for its confirmation.
_POLL_SECONDS = 0.05


@attrs.frozen
class WorkingOrder:
    """An account's working order, with the engine that can change it."""

    order: Order
    engine: ExecutionEngine
    at: datetime  # when the change happens: paper, the last finished bar; live, the wall clock
    snapshot_at: datetime  # the stamp a refreshed portfolio snapshot keeps (the last bar)
    confirm_within: float = 0.0  # seconds to wait for the broker's confirmation

    def book_until(self, client_order_id: str, confirmed: Callable[[Order], bool]) -> Order:
        """Book the broker's events until `confirmed` holds for the order or the wait is over;
        returns the order as booked. Fills booked on the way refresh the portfolio snapshot."""
        deadline = time.monotonic() + self.confirm_within
        filled = False
        while True:
            filled = bool(self._apply_own_events().fills) or filled
            order = self.engine.order(client_order_id)
            assert order is not None  # the engine placed or holds it
            if confirmed(order) or time.monotonic() >= deadline:
                break
            time.sleep(_POLL_SECONDS)
        if filled:
            save_snapshot(self.engine, self.snapshot_at)
        return order

    def _apply_own_events(self) -> AppliedEvents:
        """Book the events of the orders this command holds. The broker also reports the
        account's other working orders; their events are left for the next session, whose
        recovery books them from the broker's record (a fill is never lost, only deferred)."""
        own = [
            event
            for event in self.engine.broker.drain_events()
            if self.engine.order(event.client_order_id) is not None
        ]
        return self.engine.apply_events(own)


def save_snapshot(engine: ExecutionEngine, as_of: datetime) -> None:
    """The ledger's portfolio snapshot (what `quantcli positions` and IB's reconciliation read)
    after fills were booked, still stamped with the last finished bar, as a session's heartbeat."""
    with engine.ledger.atomic():
        engine.ledger.save_portfolio(engine.account, engine.portfolio, as_of)


def ledger_order(
    ledger: SqliteLedger, client_order_id: str, account: str, action: str
) -> tuple[Order, Decimal]:
    """The ledger's open order of `account` and the account's opening cash, or a refusal
    naming the order."""
    order = ledger.order(client_order_id)
    if order is None:
        raise ExecutionError(f"order {client_order_id}: no such order in the ledger")
    if order.account != account:
        raise ExecutionError(
            f"order {client_order_id} belongs to account {order.account or '(none)'}, "
            f"not {account}: give --account {order.account}"
        )
    if order.status.is_terminal:
        raise ExecutionError(
            f"order {client_order_id} is {order.status.value}, not working: nothing to {action}"
        )
    opening_cash = ledger.opening_cash(account)
    if opening_cash is None:
        raise ExecutionError(f"order {client_order_id}: account {account} was never opened")
    return order, opening_cash
