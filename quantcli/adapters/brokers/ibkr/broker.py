"""The Interactive Brokers adapter: an asyncio API, and the synchronous Broker port over it.

`AsyncIbkrBroker` must be used on the event loop ib_async runs on. `IbkrBroker` owns such a loop
on a background thread and waits for each call with a timeout derived from `IbkrConfig`, so no
call can hang. Callbacks (`local_book`, `on_reconciliation`, `on_quote`) run on the loop thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import TypeVar

import ib_async

from quantcli.adapters.brokers.ibkr import parsing
from quantcli.adapters.brokers.ibkr.client import ConnectionState, IbkrClient
from quantcli.adapters.brokers.ibkr.config import IbkrConfig
from quantcli.adapters.brokers.ibkr.execution import IbkrExecution
from quantcli.adapters.brokers.ibkr.loop_thread import EventLoopThread
from quantcli.adapters.brokers.ibkr.market_data import IbkrMarketData, QuoteListener
from quantcli.adapters.brokers.ibkr.parsing import BrokerOrder
from quantcli.adapters.brokers.ibkr.reconciliation import LocalBook, ReconciliationReport
from quantcli.adapters.brokers.ibkr.records import AccountSummary, BrokerPosition, Quote
from quantcli.application.common.ports import Clock
from quantcli.application.trading.ports import BrokerEvent, BrokerOrderState
from quantcli.domain.bar import Bar
from quantcli.domain.errors import BrokerError
from quantcli.domain.instrument import Instrument
from quantcli.domain.orders import Order

logger = logging.getLogger(__name__)

T = TypeVar("T")

LocalBookSource = Callable[[], LocalBook]
ReconciliationListener = Callable[[ReconciliationReport], None]


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AsyncIbkrBroker:
    """IBKR through ib_async, as coroutines on ib_async's event loop.

    Plain (non-async) methods only read state kept on that loop; call them from it too.
    """

    def __init__(
        self,
        config: IbkrConfig,
        *,
        instruments: Mapping[str, Instrument] | None = None,
        local_book: LocalBookSource | None = None,
        on_reconciliation: ReconciliationListener | None = None,
        on_quote: QuoteListener | None = None,
        clock: Clock | None = None,
        ib: ib_async.IB | None = None,
    ) -> None:
        self.config = config
        self._clock = clock or _UtcClock()
        self._local_book = local_book
        self._on_reconciliation = on_reconciliation
        self.client = IbkrClient(config, instruments, ib)
        self.market_data = IbkrMarketData(self.client, self._clock, on_quote)
        self.execution = IbkrExecution(self.client, self._clock)
        self.client.on_session_start = self._session_started
        self.client.on_data_lost = self.market_data.resubscribe
        self.last_reconciliation: ReconciliationReport | None = None

    @property
    def state(self) -> ConnectionState:
        return self.client.state

    @property
    def account(self) -> str:
        """The IB account traded (the configured one, or the login's only one)."""
        return self.client.account

    @property
    def supports_modify(self) -> bool:
        return True

    def is_connected(self) -> bool:
        return self.client.is_connected

    async def connect(self) -> ReconciliationReport:
        """Connect (retrying with backoff) and reconcile; returns the reconciliation report."""
        await self.client.connect()
        assert self.last_reconciliation is not None  # the session hook reconciled
        return self.last_reconciliation

    async def close(self) -> None:
        await self.client.close()

    async def submit_order(self, order: Order) -> str:
        return await self.execution.submit_order(order)

    async def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        await self.execution.modify_order(client_order_id, quantity, limit_price, stop_price)

    async def cancel_order(self, client_order_id: str) -> None:
        await self.execution.cancel_order(client_order_id)

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        return self.execution.lookup_order(client_order_id)

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        """IB sees the market itself: bars do not move orders here."""

    def drain_events(self) -> list[BrokerEvent]:
        return self.execution.drain_events()

    def open_orders(self) -> list[Order]:
        return self.execution.open_orders()

    def broker_open_orders(self) -> list[BrokerOrder]:
        return self.execution.broker_open_orders()

    async def positions(self, account: str | None = None) -> dict[str, Decimal]:
        """Signed quantity per symbol (flat ones left out).

        `account` may name any IB account this login manages; any other name (a QuantCLI
        account label) means the account this adapter trades.
        """
        return _signed_quantities(await self.broker_positions(account))

    async def broker_positions(self, account: str | None = None) -> list[BrokerPosition]:
        """IB's positions with their average cost; `account` as for `positions`."""
        await self.client.positions(refresh=True)
        wanted = account if account in self.client.ib.managedAccounts() else self.account
        return [
            parsing.position_from_ib(p) for p in self.client.ib.positions(wanted) if p.position != 0
        ]

    async def account_summary(self) -> AccountSummary:
        return await self.client.account_summary()

    async def buying_power(self) -> Decimal:
        summary = await self.client.account_summary()
        if summary.buying_power is None:
            raise BrokerError(f"account {summary.account}: IB reported no BuyingPower")
        return summary.buying_power

    async def subscribe_market_data(self, symbol: str) -> None:
        await self.market_data.subscribe(symbol)

    def unsubscribe_market_data(self, symbol: str) -> None:
        self.market_data.unsubscribe(symbol)

    def latest_quote(self, symbol: str) -> Quote | None:
        return self.market_data.latest_quote(symbol)

    async def reconcile(self, local: LocalBook | None = None) -> ReconciliationReport:
        """Reconcile now; `local` defaults to the `local_book` source, then to our own orders."""
        if local is None and self._local_book is not None:
            local = self._local_book()
        report = await self.execution.reconcile(local, reconnect=False)
        self._publish(report)
        return report

    async def _session_started(self, reconnected: bool) -> None:
        self.market_data.restore()
        local = self._local_book() if self._local_book is not None else None
        report = await self.execution.reconcile(local, reconnect=reconnected)
        self._publish(report)

    def _publish(self, report: ReconciliationReport) -> None:
        self.last_reconciliation = report
        if report.is_clean:
            logger.info("IBKR reconciliation: books agree")
        else:
            logger.warning("IBKR reconciliation: %s", report.describe())
        if self._on_reconciliation is not None:
            try:
                self._on_reconciliation(report)
            except Exception:
                logger.exception("reconciliation listener failed")


def _signed_quantities(positions: list[BrokerPosition]) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for position in positions:
        held[position.symbol] = held.get(position.symbol, Decimal(0)) + position.quantity
    return {symbol: quantity for symbol, quantity in sorted(held.items()) if quantity != 0}


class IbkrBroker:
    """The Broker port for Interactive Brokers: a synchronous facade over AsyncIbkrBroker.

    Each call runs on the adapter's own event-loop thread and is waited for at most the inner
    timeouts plus a second. The callbacks given here run on that thread: they must not call
    this facade (that would wait on itself; it raises BrokerError instead).
    """

    # Slack on top of the inner (already bounded) waits before the facade gives up itself.
    _MARGIN = 1.0

    def __init__(
        self,
        config: IbkrConfig,
        *,
        instruments: Mapping[str, Instrument] | None = None,
        local_book: LocalBookSource | None = None,
        on_reconciliation: ReconciliationListener | None = None,
        on_quote: QuoteListener | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self._thread = EventLoopThread(name=f"ibkr-client-{config.client_id}")
        self._thread.start()
        self._async = self._thread.call(
            lambda: AsyncIbkrBroker(
                config,
                instruments=instruments,
                local_book=local_book,
                on_reconciliation=on_reconciliation,
                on_quote=on_quote,
                clock=clock,
            ),
            timeout=5.0,
            what="creating the IBKR client",
        )

    def __enter__(self) -> IbkrBroker:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def async_broker(self) -> AsyncIbkrBroker:
        """The asynchronous adapter; only for code running on its event loop thread."""
        return self._async

    @property
    def state(self) -> ConnectionState:
        return self._async.state

    @property
    def last_reconciliation(self) -> ReconciliationReport | None:
        return self._async.last_reconciliation

    def connect(self) -> ReconciliationReport:
        """Connect (retrying with backoff) and reconcile; returns the reconciliation report."""
        return self._thread.run(
            self._async.connect(), self.config.connect_deadline + self._MARGIN, "IBKR connect"
        )

    def close(self) -> None:
        """Disconnect and stop the loop thread; the broker cannot be used afterwards."""
        if self._thread.is_running:
            try:
                self._thread.run(self._async.close(), self._deadline(1), "IBKR close")
            finally:
                self._thread.stop()

    # -- the Broker port -----------------------------------------------------------------------

    @property
    def supports_modify(self) -> bool:
        return True

    def is_connected(self) -> bool:
        return self._thread.is_running and self._call(self._async.is_connected, "is_connected")

    def submit_order(self, order: Order) -> str:
        """Place a NEW order; a client order id IB already has is refused (BrokerError)."""
        what = f"submit order {order.client_order_id}"
        return self._thread.run(self._async.submit_order(order), self._deadline(2), what)

    def cancel_order(self, client_order_id: str) -> None:
        """Cancel at IB and wait for its confirmation; the OrderCancelled event follows."""
        what = f"cancel order {client_order_id}"
        self._thread.run(self._async.cancel_order(client_order_id), self._deadline(1), what)

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        """Change a working order in place; OrderAmended follows once IB accepted."""
        coroutine = self._async.modify_order(client_order_id, quantity, limit_price, stop_price)
        self._thread.run(coroutine, self._deadline(1), f"modify order {client_order_id}")

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        """IB's copy of the order and its fills, or None if IB never received it."""
        return self._call(
            lambda: self._async.lookup_order(client_order_id), f"look up {client_order_id}"
        )

    def positions(self, account: str) -> dict[str, Decimal]:
        """Signed quantity per symbol IB holds (see AsyncIbkrBroker.positions for `account`)."""
        return self._thread.run(self._async.positions(account), self._deadline(1), "positions")

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        """IB sees the market itself: bars do not move orders here."""

    def drain_events(self) -> list[BrokerEvent]:
        return self._call(self._async.drain_events, "drain events")

    def open_orders(self) -> list[Order]:
        return self._call(self._async.open_orders, "open orders")

    # -- beyond the port -----------------------------------------------------------------------

    def broker_open_orders(self) -> list[BrokerOrder]:
        return self._call(self._async.broker_open_orders, "broker open orders")

    def broker_positions(self, account: str | None = None) -> list[BrokerPosition]:
        return self._thread.run(
            self._async.broker_positions(account), self._deadline(1), "positions"
        )

    def account_summary(self) -> AccountSummary:
        return self._thread.run(self._async.account_summary(), self._deadline(1), "account summary")

    def buying_power(self) -> Decimal:
        return self._thread.run(self._async.buying_power(), self._deadline(1), "buying power")

    def subscribe_market_data(self, symbol: str) -> None:
        coroutine = self._async.subscribe_market_data(symbol)
        self._thread.run(coroutine, self._deadline(1), f"subscribe market data {symbol}")

    def unsubscribe_market_data(self, symbol: str) -> None:
        self._call(lambda: self._async.unsubscribe_market_data(symbol), f"unsubscribe {symbol}")

    def latest_quote(self, symbol: str) -> Quote | None:
        return self._call(lambda: self._async.latest_quote(symbol), f"quote {symbol}")

    def reconcile(self, local: LocalBook | None = None) -> ReconciliationReport:
        return self._thread.run(self._async.reconcile(local), self._deadline(2), "IBKR reconcile")

    def _deadline(self, requests: int) -> float:
        return requests * self.config.request_timeout + self._MARGIN

    def _call(self, function: Callable[[], T], what: str) -> T:
        return self._thread.call(function, self._deadline(0), what)
