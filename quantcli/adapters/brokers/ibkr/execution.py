"""Orders at IB: place, modify, cancel, look up, and IB's order callbacks as our order events.

Every order carries its client order id in IB's `orderRef`; that is how it is found again after
a reconnect or a crash. An id IB already has is never placed a second time: `submit_order`
refuses it and `lookup_order` returns IB's copy of that order, with its fills.

Events (Fill, OrderCancelled, OrderRejected, OrderAmended) are reported for the orders this
adapter follows: the ones it placed, and the ones it adopted from IB (through `lookup_order`, a
cancel, or the reconciliation of the caller's open orders). Adoption hands over IB's state at
that moment as a snapshot; events follow for what happens afterwards, so nothing is counted
twice. For followed orders, executions missed while the socket was down are reported after the
reconnect like live ones.

A fill becomes a Fill event when its commission report arrives (the fee is part of the record);
a cancellation or rejection waits until every fill IB counted has been reported, so the order's
state machine always sees the fills first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

import attrs
import ib_async

from quantcli.adapters.brokers.ibkr import parsing
from quantcli.adapters.brokers.ibkr.client import ConnectionState, IbkrClient
from quantcli.adapters.brokers.ibkr.errors import IbkrNotConnected, IbkrTimeout
from quantcli.adapters.brokers.ibkr.reconciliation import (
    LocalBook,
    ReconciliationReport,
    reconcile,
)
from quantcli.application.common.ports import Clock
from quantcli.application.trading.ports import (
    BrokerEvent,
    BrokerOrderState,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
)
from quantcli.domain.errors import BrokerError, ExecutionError
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderStatus

logger = logging.getLogger(__name__)

# Order messages IB sends as notes while the order stays live; anything else refuses a request.
_NOTE_CODES = frozenset({399, 404, 10167})
# A modify or cancel request refused (duplicate id, cannot modify/cancel, order not found): the
# order is still as it was at IB, whatever status ib_async guessed from the error.
_REQUEST_REFUSED_CODES = frozenset({103, 104, 105, 135, 161, 10147, 10148, 10149})

Ending = tuple[Literal["cancelled", "rejected"], str]


@attrs.define
class _TrackedOrder:
    """Our copy of an order at IB, kept in step with it, and what has been reported."""

    order: Order
    fills: list[Fill] = attrs.Factory(list)
    reported_exec_ids: set[str] = attrs.Factory(set)
    cancel_requested: bool = False
    # A cancellation or rejection seen at IB, held back until the fills IB counted are reported.
    ending: Ending | None = None


@attrs.frozen
class _OrderError:
    order_id: int
    code: int
    message: str


class IbkrExecution:
    """Order handling on one IbkrClient; every method runs on the client's event loop."""

    def __init__(self, client: IbkrClient, clock: Clock) -> None:
        self._client = client
        self._ib = client.ib
        self._clock = clock
        self._tracked: dict[str, _TrackedOrder] = {}
        self._events: list[BrokerEvent] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._acks: dict[str, int] = {}
        self._errors: list[_OrderError] = []
        self._ib.openOrderEvent += self._on_open_order
        self._ib.orderStatusEvent += self._on_order_status
        self._ib.execDetailsEvent += self._on_exec_details
        self._ib.commissionReportEvent += self._on_commission_report
        client.error_listeners.append(self._on_error)
        client.state_listeners.append(self._on_state)

    # -- requests ------------------------------------------------------------------------------

    async def submit_order(self, order: Order) -> str:
        """Place a NEW order and wait for IB's acknowledgement; returns IB's order id."""
        ref = order.client_order_id
        if order.status is not OrderStatus.NEW:
            raise BrokerError(
                f"order {ref}: only NEW orders can be submitted, this one is {order.status.value}"
            )
        self._client.require_connected()
        existing = self._trade_for(ref)
        if existing is not None or ref in self._tracked:
            where = (
                f"as IB order {parsing.broker_order_id(existing)} ({existing.orderStatus.status})"
                if existing is not None
                else "in this session"
            )
            raise BrokerError(
                f"order {ref}: IB already has this client order id {where}; not placed again "
                "(lookup_order returns IB's copy)"
            )
        contract = await self._client.contract(order.symbol)
        self._client.require_connected()
        self._tracked[ref] = _TrackedOrder(attrs.evolve(order))
        ib_order = parsing.ib_order(order, self._client.account)
        try:
            self._send(f"order {ref}", self._ib.placeOrder, contract, ib_order)
        except BrokerError:
            del self._tracked[ref]
            raise
        await self._wait(lambda: self._acknowledged(ref), f"acknowledgement of order {ref}")
        trade = self._trade_for(ref)
        assert trade is not None  # placeOrder registered it
        return parsing.broker_order_id(trade)

    async def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Change a working order in place; once IB accepts, an OrderAmended event follows."""
        ref = client_order_id
        self._client.require_connected()
        tracked, trade = self._live(ref, "modify")
        if quantity is None and limit_price is None and stop_price is None:
            raise BrokerError(f"cannot modify order {ref}: no quantity or price to change")
        try:
            # On a copy: a change the order itself refuses never reaches IB.
            attrs.evolve(tracked.order).amend(self._clock.now(), quantity, limit_price, stop_price)
        except ExecutionError as error:
            raise BrokerError(f"cannot modify order {ref}: {error}") from error
        ib_order = trade.order
        before = (ib_order.totalQuantity, ib_order.lmtPrice, ib_order.auxPrice)
        if quantity is not None:
            ib_order.totalQuantity = float(quantity)
        if limit_price is not None:
            ib_order.lmtPrice = float(limit_price)
        if stop_price is not None:
            ib_order.auxPrice = float(stop_price)
        acks, errors = self._acks.get(ref, 0), len(self._errors)
        try:
            self._send(
                f"modification of order {ref}", self._ib.placeOrder, trade.contract, ib_order
            )
            await self._wait(
                lambda: self._acks.get(ref, 0) > acks or bool(self._error_since(ib_order, errors)),
                f"acknowledgement of the modification of order {ref}",
            )
            refused = self._error_since(ib_order, errors)
            if refused is not None:
                raise BrokerError(
                    f"IB refused to modify order {ref}: error {refused.code}: {refused.message}"
                )
        except BrokerError:
            ib_order.totalQuantity, ib_order.lmtPrice, ib_order.auxPrice = before
            raise
        now = self._clock.now()
        try:
            tracked.order.amend(now, quantity, limit_price, stop_price)
        except ExecutionError:
            # A fill landed between the check and IB's answer: IB's copy is the truth now.
            logger.exception("order %s: IB accepted a modification our copy refuses", ref)
        self._events.append(OrderAmended(ref, now, quantity, limit_price, stop_price))
        self._notify()

    async def cancel_order(self, client_order_id: str) -> None:
        """Ask IB to cancel and wait until it confirms; the OrderCancelled event follows."""
        ref = client_order_id
        self._client.require_connected()
        tracked, trade = self._live(ref, "cancel")
        tracked.cancel_requested = True
        errors = len(self._errors)
        self._send(f"cancellation of order {ref}", self._ib.cancelOrder, trade.order)

        def settled() -> bool:
            current = self._trade_for(ref)
            done = current is not None and current.isDone()
            return done or self._error_since(trade.order, errors) is not None

        await self._wait(settled, f"confirmation of the cancellation of order {ref}")
        refused = self._error_since(trade.order, errors)
        if refused is not None and refused.code in _REQUEST_REFUSED_CODES:
            tracked.cancel_requested = False
            raise BrokerError(
                f"IB refused to cancel order {ref}: error {refused.code}: {refused.message}"
            )

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        """IB's copy of an order and its fills; None if IB never received it.

        An order this adapter did not follow yet is adopted: its events follow from now on.
        """
        self._client.require_connected()
        trade = self._trade_for(client_order_id)
        if trade is None:
            return None
        tracked = self._tracked.get(client_order_id) or self._adopt(trade, template=None)
        return BrokerOrderState(attrs.evolve(tracked.order), tuple(tracked.fills))

    def drain_events(self) -> list[BrokerEvent]:
        events, self._events = self._events, []
        return events

    def open_orders(self) -> list[Order]:
        """Copies of the followed orders that are still open, oldest first."""
        return [attrs.evolve(t.order) for t in self._tracked.values() if t.order.status.is_open]

    def broker_open_orders(self) -> list[parsing.BrokerOrder]:
        """Every open order IB reported to this session, followed or not."""
        self._client.require_connected()
        return [parsing.broker_order(t) for t in self._ib.openTrades()]

    async def reconcile(self, local: LocalBook | None, reconnect: bool) -> ReconciliationReport:
        """Compare `local` (default: the followed orders) with IB, then follow `local`'s orders.

        The report shows the books as they were at the (re)connect. Local open orders IB has
        are followed from then on; executions of followed orders missed while disconnected are
        reported as events now.
        """
        self._client.require_connected()
        if local is None:
            local = LocalBook(open_orders=self.open_orders())
        positions = await self._client.positions(refresh=False)
        broker_orders = []
        for trade in self._ib.trades():
            try:
                broker_orders.append(parsing.broker_order(trade))
            except BrokerError as exc:
                logger.warning("reconciliation skips an IB order: %s", exc)
        report = reconcile(local, broker_orders, positions, self._clock.now(), reconnect)
        for order in local.open_orders:
            theirs = self._trade_for(order.client_order_id)
            if theirs is None or order.client_order_id in self._tracked:
                continue
            try:
                self._adopt(theirs, template=order)
            except BrokerError as exc:
                logger.warning("order %s is not followed: %s", order.client_order_id, exc)
        for tracked in list(self._tracked.values()):
            if tracked.order.status.is_open:
                self._catch_up(tracked)
        return report

    # -- bookkeeping ---------------------------------------------------------------------------

    def _trade_for(self, ref: str) -> ib_async.Trade | None:
        """IB's record of the order with this orderRef; a live one wins over a finished one."""
        found: ib_async.Trade | None = None
        for trade in self._ib.trades():
            if trade.order.orderRef != ref:
                continue
            if found is None or (found.isDone() and not trade.isDone()):
                found = trade
        return found

    def _live(self, ref: str, action: str) -> tuple[_TrackedOrder, ib_async.Trade]:
        """The followed order and IB's trade for a modify or cancel, or a BrokerError."""
        trade = self._trade_for(ref)
        if trade is None:
            raise BrokerError(f"cannot {action} order {ref}: IB does not know it")
        tracked = self._tracked.get(ref) or self._adopt(trade, template=None)
        if trade.isDone() or not tracked.order.status.is_open:
            state = trade.orderStatus.status if trade.isDone() else tracked.order.status.value
            raise BrokerError(f"cannot {action} order {ref}: it is already {state}")
        return tracked, trade

    def _acknowledged(self, ref: str) -> bool:
        trade = self._trade_for(ref)
        tracked = self._tracked.get(ref)
        if trade is None or tracked is None:
            return False
        return (
            bool(trade.order.permId)
            or trade.isDone()
            or tracked.order.status is not OrderStatus.NEW
        )

    def _executions(self, ref: str) -> list[ib_async.Fill]:
        fills = [f for f in self._ib.fills() if f.execution.orderRef == ref]
        fills.sort(key=lambda f: (f.execution.cumQty, f.execution.time))
        return fills

    def _adopt(self, trade: ib_async.Trade, template: Order | None) -> _TrackedOrder:
        """Follow an order IB has, starting from IB's state of it (no events for the past)."""
        broker = parsing.order_from_trade(trade, self._clock.now())
        if template is not None:
            broker = attrs.evolve(broker, created_at=template.created_at, account=template.account)
        tracked = _TrackedOrder(broker)
        for fill in self._executions(broker.client_order_id):
            if parsing.has_commission(fill):
                self._apply_fill(tracked, fill, fill.commissionReport.commission, emit=False)
        self._tracked[broker.client_order_id] = tracked
        self._apply_status(tracked, trade, emit=False)
        return tracked

    def _catch_up(self, tracked: _TrackedOrder) -> None:
        """Report what IB knows of a followed order and we have not reported (after a gap)."""
        ref = tracked.order.client_order_id
        for fill in self._executions(ref):
            if parsing.has_commission(fill):
                self._apply_fill(tracked, fill, fill.commissionReport.commission, emit=True)
        trade = self._trade_for(ref)
        if trade is not None:
            self._apply_status(tracked, trade, emit=True)

    def _apply_fill(
        self, tracked: _TrackedOrder, fill: ib_async.Fill, commission: float, emit: bool
    ) -> None:
        exec_id = fill.execution.execId
        if exec_id in tracked.reported_exec_ids:
            return
        tracked.reported_exec_ids.add(exec_id)
        order = tracked.order
        try:
            ours = parsing.fill_from_ib(fill, order.client_order_id, commission)
        except BrokerError:
            logger.exception(
                "IB execution %s of order %s is unusable", exec_id, order.client_order_id
            )
            return
        if ours.quantity > order.remaining_quantity or not order.status.is_open:
            logger.error(
                "IB execution %s (%s) of order %s exceeds its remaining %s; not reported",
                exec_id,
                ours.quantity,
                order.client_order_id,
                order.remaining_quantity,
            )
            return
        if order.status is OrderStatus.NEW:
            order.submit(ours.timestamp)
        order.apply_fill(ours)
        tracked.fills.append(ours)
        if emit:
            self._events.append(ours)
            self._notify()
        self._settle(tracked, None, emit)

    def _apply_status(self, tracked: _TrackedOrder, trade: ib_async.Trade, emit: bool) -> None:
        order = tracked.order
        status = trade.orderStatus.status
        broker_id = parsing.broker_order_id(trade)
        if order.status is OrderStatus.NEW and (
            status in parsing.WORKING_STATUSES or status == "Filled"
        ):
            order.submit(self._clock.now(), broker_id)
        elif order.status.is_open and trade.order.permId and broker_id != order.broker_order_id:
            order.broker_order_id = broker_id
        if status in parsing.CANCELLED_STATUSES and order.status.is_open and tracked.ending is None:
            error = parsing.error_reason(trade)
            if error is not None and error[0] in _REQUEST_REFUSED_CODES:
                return  # a refused modify or cancel: the order is still live at IB
            tracked.ending = self._ending(tracked, status, error)
        self._settle(tracked, trade, emit)

    def _ending(self, tracked: _TrackedOrder, status: str, error: tuple[int, str] | None) -> Ending:
        order = tracked.order
        described = f"IB error {error[0]}: {error[1]}" if error else f"IB status {status}"
        refused = (
            error is not None
            and error[0] != parsing.ORDER_CANCELLED
            and not tracked.cancel_requested
            and order.filled_quantity == 0
        )
        if order.status is OrderStatus.NEW or refused:
            return "rejected", described
        if tracked.cancel_requested:
            return "cancelled", "cancelled by request"
        return "cancelled", f"cancelled by IB ({described})"

    def _settle(self, tracked: _TrackedOrder, trade: ib_async.Trade | None, emit: bool) -> None:
        """Apply a held-back cancellation or rejection once IB's fills are all reported."""
        order = tracked.order
        if tracked.ending is None or not order.status.is_open:
            return
        trade = trade or self._trade_for(order.client_order_id)
        if trade is not None and parsing.broker_filled(trade) > order.filled_quantity:
            return
        kind, reason = tracked.ending
        now = self._clock.now()
        event: BrokerEvent
        if kind == "rejected" and order.filled_quantity == 0:
            order.reject(reason, now)
            event = OrderRejected(order.client_order_id, reason, now)
        else:
            order.cancel(now, reason)
            event = OrderCancelled(order.client_order_id, reason, now)
        if emit:
            self._events.append(event)
            self._notify()

    def _error_since(self, ib_order: ib_async.Order, index: int) -> _OrderError | None:
        for error in self._errors[index:]:
            if error.order_id == ib_order.orderId and error.code not in _NOTE_CODES:
                return error
        return None

    # -- ib_async callbacks (on the event loop; they must never raise) -------------------------

    def _on_open_order(self, trade: ib_async.Trade) -> None:
        ref = trade.order.orderRef
        self._acks[ref] = self._acks.get(ref, 0) + 1
        tracked = self._tracked.get(ref)
        if tracked is not None:
            self._guarded(self._apply_status, tracked, trade, True)
        self._notify()

    def _on_order_status(self, trade: ib_async.Trade) -> None:
        tracked = self._tracked.get(trade.order.orderRef)
        if tracked is not None:
            self._guarded(self._apply_status, tracked, trade, True)
        self._notify()

    def _on_exec_details(self, trade: ib_async.Trade, fill: ib_async.Fill) -> None:
        # The Fill event waits for the commission report, which carries the fee.
        self._notify()

    def _on_commission_report(
        self, trade: ib_async.Trade, fill: ib_async.Fill, report: ib_async.CommissionReport
    ) -> None:
        tracked = self._tracked.get(fill.execution.orderRef or trade.order.orderRef)
        if tracked is not None:
            self._guarded(self._apply_fill, tracked, fill, report.commission, True)
        self._notify()

    def _on_error(self, req_id: int, code: int, message: str) -> None:
        if req_id > 0:
            self._errors.append(_OrderError(req_id, code, message))
            del self._errors[:-1000]
            self._notify()

    def _on_state(self, state: ConnectionState) -> None:
        # Waiters re-check the connection: a lost session fails them at once.
        self._notify()

    def _guarded(self, handler: Callable[..., None], *args: object) -> None:
        try:
            handler(*args)
        except Exception:
            logger.exception("IBKR order callback failed")

    # -- sending and waiting -------------------------------------------------------------------

    def _send(self, what: str, request: Callable[..., object], *args: object) -> None:
        try:
            request(*args)
        except ConnectionError as exc:
            raise IbkrNotConnected(f"{self._client.where}: cannot send {what}: {exc}") from exc

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self, ready: Callable[[], bool], what: str) -> None:
        loop = asyncio.get_running_loop()
        timeout = self._client.config.request_timeout
        deadline = loop.time() + timeout
        while not ready():
            self._client.require_connected()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise IbkrTimeout(f"{self._client.where}: no {what} within {timeout:g} s")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)
