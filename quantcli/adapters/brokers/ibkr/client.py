"""The session with TWS / IB Gateway: connect with retry and backoff, reconnect, route IB messages.

Everything here runs on one asyncio loop, the one ib_async runs on. Every wait is bounded by
`IbkrConfig.connect_timeout` or `request_timeout`; ib_async's exceptions (asyncio timeouts,
ConnectionError, OSError) become BrokerError subclasses at this boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import ib_async

from quantcli.adapters.brokers.ibkr import parsing
from quantcli.adapters.brokers.ibkr.config import IbkrConfig
from quantcli.adapters.brokers.ibkr.errors import IbkrClientIdInUse, IbkrNotConnected, IbkrTimeout
from quantcli.adapters.brokers.ibkr.records import AccountSummary, BrokerPosition
from quantcli.domain.errors import BrokerError, ConfigError
from quantcli.domain.instrument import Instrument

logger = logging.getLogger(__name__)

T = TypeVar("T")
SessionHook = Callable[[bool], Awaitable[None]]
ErrorListener = Callable[[int, int, str], None]


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


class _AttemptFailed(Exception):
    """Raised inside one connection attempt when the gateway hung up before the API was ready."""

    def __init__(self, client_id_in_use: bool, detail: str) -> None:
        super().__init__(detail)
        self.client_id_in_use = client_id_in_use
        self.detail = detail


class IbkrClient:
    """One ib_async `IB` session kept alive: (re)connects, qualifies contracts, answers requests."""

    def __init__(
        self,
        config: IbkrConfig,
        instruments: Mapping[str, Instrument] | None = None,
        ib: ib_async.IB | None = None,
    ) -> None:
        self.config = config
        self.ib = ib if ib is not None else ib_async.IB()
        self.state = ConnectionState.DISCONNECTED
        self.account = config.account
        self.reconnects = 0
        # Set by the owner: runs after every (re)connect (argument: is it a reconnect).
        self.on_session_start: SessionHook | None = None
        # Set by the owner: TWS lost and restored its link to IB and dropped market data (1101).
        self.on_data_lost: Callable[[], None] | None = None
        self.error_listeners: list[ErrorListener] = []
        self.state_listeners: list[Callable[[ConnectionState], None]] = []
        self._instruments = dict(instruments or {})
        self._contracts: dict[str, ib_async.Contract] = {}
        self._reconnect_task: asyncio.Task[None] | None = None
        self._failure: BrokerError | None = None
        self._attempt_failure: asyncio.Future[_AttemptFailed] | None = None
        self.ib.errorEvent += self._on_error
        self.ib.disconnectedEvent += self._on_disconnected
        self.ib.client.apiError += self._on_api_error
        self.ib.client.conn.disconnected += self._on_socket_closed

    @property
    def where(self) -> str:
        return (
            f"IB gateway {self.config.host}:{self.config.port} (client id {self.config.client_id})"
        )

    @property
    def is_connected(self) -> bool:
        return self.state is ConnectionState.CONNECTED and self.ib.isConnected()

    def require_connected(self) -> None:
        if self.is_connected:
            return
        if self.state is ConnectionState.FAILED and self._failure is not None:
            raise IbkrNotConnected(f"{self.where}: reconnecting gave up: {self._failure}")
        if self.state is ConnectionState.RECONNECTING:
            raise IbkrNotConnected(f"{self.where}: connection lost, reconnecting")
        raise IbkrNotConnected(f"{self.where}: not connected (call connect() first)")

    async def connect(self) -> None:
        """Connect, retrying with backoff; then run the session hook (reconciliation)."""
        if self.is_connected:
            return
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            # One session at a time: this connect replaces a reconnect still under way.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.ib.disconnect()
        self._set_state(ConnectionState.CONNECTING)
        self._failure = None
        attempts = self.config.max_reconnect_attempts
        last: BrokerError | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self.config.backoff(attempt - 1))
            try:
                await self._connect_once()
            except IbkrClientIdInUse:
                # Retrying cannot help while the other session holds the id: a person must act.
                self._set_state(ConnectionState.DISCONNECTED)
                raise
            except ConfigError:
                self._set_state(ConnectionState.DISCONNECTED)
                raise
            except BrokerError as exc:
                last = exc
                logger.warning("connect attempt %d/%d failed: %s", attempt, attempts, exc)
                continue
            self._set_state(ConnectionState.CONNECTED)
            await self._start_session(reconnected=False)
            return
        self._set_state(ConnectionState.DISCONNECTED)
        assert last is not None
        raise type(last)(f"{self.where}: no connection after {attempts} attempt(s); last: {last}")

    async def close(self) -> None:
        """Disconnect on purpose: no reconnect follows."""
        self._set_state(ConnectionState.CLOSED)
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.ib.disconnect()

    async def request(self, start: Callable[[], Awaitable[T]], what: str) -> T:
        """Send a request (the `start` callable) and wait for its answer at most request_timeout."""
        self.require_connected()
        timeout = self.config.request_timeout
        try:
            return await asyncio.wait_for(start(), timeout)
        except TimeoutError:
            raise IbkrTimeout(f"{self.where}: no answer to {what} within {timeout:g} s") from None
        except ConnectionError as exc:
            raise IbkrNotConnected(f"{self.where}: connection lost during {what} ({exc})") from exc

    async def contract(self, symbol: str) -> ib_async.Contract:
        """The qualified contract (with IB's conId) of a symbol, asked once and then cached."""
        cached = self._contracts.get(symbol)
        if cached is not None:
            return cached
        config = self.config
        wanted = parsing.ib_contract(
            symbol, self._instruments.get(symbol), config.exchange, config.currency
        )
        found = await self.request(
            lambda: self.ib.qualifyContractsAsync(wanted), f"contract details of {symbol}"
        )
        contract = found[0] if found else None
        if not isinstance(contract, ib_async.Contract) or not contract.conId:
            raise BrokerError(
                f"symbol {symbol}: IB has no unique {wanted.secType} contract on "
                f"{wanted.exchange} in {wanted.currency}"
            )
        self._contracts[symbol] = contract
        return contract

    async def positions(self, refresh: bool = True) -> list[BrokerPosition]:
        """The account's non-zero positions; `refresh` asks IB again instead of using the cache."""
        if refresh:
            await self.request(self.ib.reqPositionsAsync, "positions")
        else:
            self.require_connected()
        return [
            parsing.position_from_ib(p) for p in self.ib.positions(self.account) if p.position != 0
        ]

    async def account_summary(self) -> AccountSummary:
        values = await self.request(
            lambda: self.ib.accountSummaryAsync(self.account), "account summary"
        )
        return parsing.account_summary_from(values, self.account)

    async def _connect_once(self) -> None:
        config = self.config
        loop = asyncio.get_running_loop()
        self._attempt_failure = loop.create_future()
        attempt = asyncio.ensure_future(
            self.ib.connectAsync(
                config.host,
                config.port,
                clientId=config.client_id,
                timeout=config.connect_timeout,
                account=config.account,
                # An unanswered startup request must fail the attempt, not just be logged.
                raiseSyncErrors=True,
            )
        )
        try:
            done, _ = await asyncio.wait(
                {attempt, self._attempt_failure},
                timeout=config.attempt_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:
            attempt.cancel()
            self.ib.disconnect()
            raise
        finally:
            failure, self._attempt_failure = self._attempt_failure, None
        if attempt not in done:
            attempt.cancel()
            with contextlib.suppress(BaseException):
                await attempt
            self.ib.disconnect()
            if failure.done():
                raise self._attempt_error(failure.result())
            raise IbkrTimeout(
                f"{self.where}: connecting took longer than {config.attempt_timeout:g} s"
            )
        # The attempt's own outcome wins: a close seen after it ended is its own cleanup.
        try:
            attempt.result()
            if not self.ib.isConnected():
                raise ConnectionError("the gateway closed the connection right after the startup")
            self._choose_account()
        except ConfigError:
            self.ib.disconnect()
            raise
        except BaseException as exc:
            self.ib.disconnect()
            raise self._translate_connect_error(exc) from exc
        self.ib.reqMarketDataType(int(config.market_data_type))
        logger.info(
            "connected to %s, account %s, server version %d",
            self.where,
            self.account,
            self.ib.client.serverVersion(),
        )

    def _choose_account(self) -> None:
        managed = self.ib.managedAccounts()
        if self.config.account:
            if self.config.account not in managed:
                raise ConfigError(
                    f"ibkr.account: {self.config.account} is not managed by this login "
                    f"(managed: {', '.join(managed) or 'none'})"
                )
            self.account = self.config.account
        elif len(managed) == 1:
            self.account = managed[0]
        else:
            raise ConfigError(
                f"ibkr.account: this login manages {len(managed)} accounts "
                f"({', '.join(managed)}); set which one to trade"
            )

    def _attempt_error(self, failure: _AttemptFailed) -> BrokerError:
        if failure.client_id_in_use:
            return IbkrClientIdInUse(
                f"{self.where}: the gateway closed the connection at startApi; client id "
                f"{self.config.client_id} is already in use by another API session "
                f"({failure.detail}); set another ibkr.client_id or close that session"
            )
        return BrokerError(
            f"{self.where}: connection closed during the handshake ({failure.detail})"
        )

    def _translate_connect_error(self, exc: BaseException) -> BrokerError:
        timeout = self.config.connect_timeout
        if isinstance(exc, TimeoutError):
            return IbkrTimeout(
                f"{self.where}: no API handshake within {timeout:g} s; is this the API port "
                "of a running TWS / IB Gateway with API connections enabled?"
            )
        if isinstance(exc, ConnectionRefusedError):
            return BrokerError(f"{self.where}: connection refused; is TWS / IB Gateway running?")
        if isinstance(exc, ConnectionError) and exc.args and isinstance(exc.args[0], list):
            # raiseSyncErrors: ib_async lists the startup requests that timed out.
            unanswered = "; ".join(str(e) for e in exc.args[0])
            return IbkrTimeout(
                f"{self.where}: startup request(s) unanswered within {timeout:g} s: {unanswered}"
            )
        if isinstance(exc, OSError):
            return BrokerError(f"{self.where}: {exc or type(exc).__name__}")
        return BrokerError(f"{self.where}: connect failed: {exc!r}")

    async def _start_session(self, reconnected: bool) -> None:
        if self.on_session_start is not None:
            await self.on_session_start(reconnected)

    def _on_api_error(self, message: str) -> None:
        # ib_async's words when the gateway hangs up right after startApi.
        if "already in use" in message:
            self._fail_attempt(_AttemptFailed(client_id_in_use=True, detail=message))

    def _on_socket_closed(self, message: str) -> None:
        self._fail_attempt(_AttemptFailed(False, message or "closed by the gateway"))

    def _fail_attempt(self, failure: _AttemptFailed) -> None:
        pending = self._attempt_failure
        if pending is not None and not pending.done():
            pending.set_result(failure)

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if code in parsing.FARM_STATUS_CODES:
            logger.info("IB farm status %d: %s", code, message)
            return
        if code == parsing.CONNECTIVITY_LOST:
            logger.warning("IB %d: TWS lost its connection to IB: %s", code, message)
            return
        if code == parsing.RESTORED_DATA_LOST:
            logger.warning("IB %d: connectivity restored, data lost; resubscribing", code)
            if self.on_data_lost is not None:
                self.on_data_lost()
            return
        if code == parsing.RESTORED_DATA_KEPT:
            logger.info("IB %d: connectivity restored, data maintained: %s", code, message)
            return
        if code == parsing.CLIENT_ID_IN_USE:
            self._fail_attempt(_AttemptFailed(client_id_in_use=True, detail=message))
            return
        for listener in list(self.error_listeners):
            listener(req_id, code, message)

    def _on_disconnected(self) -> None:
        if self.state is not ConnectionState.CONNECTED:
            # Our own disconnect, or a failed attempt cleaning up: nothing to recover.
            return
        logger.warning("%s: connection lost; reconnecting", self.where)
        self._set_state(ConnectionState.RECONNECTING)
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempts = self.config.max_reconnect_attempts
        last: Exception | None = None
        for attempt in range(1, attempts + 1):
            await asyncio.sleep(self.config.backoff(attempt))
            if self.state is not ConnectionState.RECONNECTING:
                return
            try:
                await self._connect_once()
            except (BrokerError, ConfigError) as exc:
                last = exc
                logger.warning("reconnect attempt %d/%d failed: %s", attempt, attempts, exc)
                continue
            self.reconnects += 1
            self._set_state(ConnectionState.CONNECTED)
            try:
                await self._start_session(reconnected=True)
            except BrokerError as exc:
                logger.error("%s: reconnected, but the session restart failed: %s", self.where, exc)
            return
        self._failure = BrokerError(f"{attempts} reconnect attempt(s) failed; last: {last}")
        self._set_state(ConnectionState.FAILED)
        logger.error("%s: %s", self.where, self._failure)

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        for listener in list(self.state_listeners):
            listener(state)
