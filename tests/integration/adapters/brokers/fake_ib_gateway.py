"""A fake TWS / IB Gateway on 127.0.0.1 speaking the TWS API socket protocol, with fault scripts.

Protocol: the client sends b"API\\0" and a length-prefixed "v<min>..<max>"; the gateway answers
with its server version and connection time; the client sends startApi; the gateway sends
managedAccounts and nextValidId. Every message is a 4-byte big-endian length followed by
NUL-terminated fields.

The layouts the fake SENDS are copied field by field from ib_async 2.1.0's decoder.py (one
function per message below, in decoder order); the layouts it READS from ib_async 2.1.0's
client.py. Both depend on the server version, so the fake answers the handshake with the pinned
PINNED_SERVER_VERSION and nothing else: at 176 the decoder expects `faProfile` in openOrder and
completedOrder (< 177), `advancedOrderRejectJson` in errors (>= 166), the duration/postToAts/
autoCancelParent/minTradeQty.. tails of openOrder (>= 159/160/162/170), no contract-details
version field (>= 164) and no pendingPriceRevision in execDetails (< 178). Changing the pin means
re-copying those layouts.

The fake runs its own event loop on a daemon thread, like a real gateway in another process;
its public methods are thread-safe and may be called from the test thread.
"""

from __future__ import annotations

import asyncio
import enum
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

# The one protocol version the fake speaks; the layouts below are ib_async 2.1.0's for it.
PINNED_SERVER_VERSION = 176

# Client → gateway message ids (ib_async/client.py).
REQ_MKT_DATA = 1
CANCEL_MKT_DATA = 2
PLACE_ORDER = 3
CANCEL_ORDER = 4
REQ_OPEN_ORDERS = 5
REQ_ACCOUNT_UPDATES = 6
REQ_EXECUTIONS = 7
REQ_IDS = 8
REQ_CONTRACT_DETAILS = 9
REQ_AUTO_OPEN_ORDERS = 15
REQ_ALL_OPEN_ORDERS = 16
REQ_CURRENT_TIME = 49
REQ_MARKET_DATA_TYPE = 59
REQ_POSITIONS = 61
REQ_ACCOUNT_SUMMARY = 62
CANCEL_ACCOUNT_SUMMARY = 63
START_API = 71
REQ_ACCOUNT_UPDATES_MULTI = 76
REQ_COMPLETED_ORDERS = 99

# Gateway → client message ids (ib_async/decoder.py handlers).
TICK_PRICE = 1
TICK_SIZE = 2
ORDER_STATUS = 3
ERROR = 4
OPEN_ORDER = 5
ACCOUNT_VALUE = 6
ACCOUNT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DETAILS = 10
EXEC_DETAILS = 11
MANAGED_ACCOUNTS = 15
CURRENT_TIME = 49
CONTRACT_DETAILS_END = 52
OPEN_ORDER_END = 53
ACCOUNT_DOWNLOAD_END = 54
EXEC_DETAILS_END = 55
COMMISSION_REPORT = 59
POSITION = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI_END = 74
COMPLETED_ORDER = 101
COMPLETED_ORDERS_END = 102

TWS_MESSAGES = {
    326: "Unable to connect as the client id is already in use. Retry with a unique client id.",
    1100: "Connectivity between IB and Trader Workstation has been lost.",
    1101: "Connectivity between IB and Trader Workstation has been restored - data lost.",
    1102: "Connectivity between IB and Trader Workstation has been restored - data maintained.",
    2103: "Market data farm connection is broken:usfarm",
    2104: "Market data farm connection is OK:usfarm",
    2106: "HMDS data farm connection is OK:ushmds",
    2158: "Sec-def data farm connection is OK:secdefnj",
}

DEFAULT_CONTRACTS = {"AAPL": 265598, "MSFT": 272093, "TSLA": 76792991, "SPY": 756733}
DONE = frozenset({"Filled", "Cancelled", "Inactive"})

T = TypeVar("T")
Fields = list[Any]


class Fault(enum.Enum):
    NONE = "none"
    # Read the API greeting, never answer it.
    NO_HANDSHAKE = "no_handshake"
    # Answer the handshake, then close right after startApi (what TWS does to a used client id).
    CLIENT_ID_IN_USE = "client_id_in_use"
    # Never answer one startup request (FaultScript.unanswered, reqPositions by default).
    UNANSWERED_STARTUP = "unanswered_startup"
    # Drop the socket mid-session (at FaultScript.trigger).
    DROP_SOCKET = "drop_socket"
    # Push FaultScript.error_codes mid-session (at FaultScript.trigger).
    PUSH_ERRORS = "push_errors"


class Trigger(enum.Enum):
    # Right after the startup downloads (the executions answer, the last one ib_async waits for).
    SYNCED = "synced"
    # Right after the session's first market data request has been answered.
    MARKET_DATA = "market_data"


@attrs.frozen
class FaultScript:
    """What goes wrong, and on how many connections (counted from the first; None: all)."""

    fault: Fault = Fault.NONE
    sessions: int | None = None
    unanswered: int = REQ_POSITIONS
    error_codes: tuple[int, ...] = ()
    trigger: Trigger = Trigger.MARKET_DATA

    @classmethod
    def no_handshake(cls) -> FaultScript:
        return cls(Fault.NO_HANDSHAKE)

    @classmethod
    def client_id_in_use(cls) -> FaultScript:
        return cls(Fault.CLIENT_ID_IN_USE)

    @classmethod
    def unanswered_startup(cls, request: int = REQ_POSITIONS) -> FaultScript:
        return cls(Fault.UNANSWERED_STARTUP, unanswered=request)

    @classmethod
    def drop_socket(cls, trigger: Trigger = Trigger.MARKET_DATA, sessions: int = 1) -> FaultScript:
        return cls(Fault.DROP_SOCKET, sessions=sessions, trigger=trigger)

    @classmethod
    def push_errors(
        cls, *codes: int, trigger: Trigger = Trigger.MARKET_DATA, sessions: int = 1
    ) -> FaultScript:
        return cls(Fault.PUSH_ERRORS, sessions=sessions, error_codes=codes, trigger=trigger)

    def hits(self, session_number: int) -> bool:
        return self.sessions is None or session_number <= self.sessions


@attrs.define
class FakeOrder:
    order_id: int
    client_id: int
    perm_id: int
    symbol: str
    action: str
    quantity: Decimal
    order_type: str
    limit_price: str
    aux_price: str
    tif: str
    order_ref: str
    account: str
    status: str = "Submitted"
    filled: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def average_fill_price(self) -> Decimal:
        return self.filled_notional / self.filled if self.filled else Decimal(0)


@attrs.frozen
class FakeExecution:
    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    order_ref: str
    symbol: str
    side: str
    shares: Decimal
    price: Decimal
    cumulative: Decimal
    average_price: Decimal
    commission: Decimal
    time: datetime


@attrs.define
class FakePosition:
    quantity: Decimal
    average_cost: Decimal


@attrs.define(eq=False)
class _Session:
    number: int
    writer: asyncio.StreamWriter
    client_id: int | None = None
    ready: bool = False
    positions_subscribed: bool = False
    market_data: dict[int, str] = attrs.Factory(dict)
    market_data_requests: int = 0
    fault_fired: bool = False

    def send(self, *fields: Any) -> None:
        if self.writer.is_closing():
            return
        payload = "".join(f"{_text(f)}\0" for f in fields).encode()
        self.writer.write(struct.pack(">I", len(payload)) + payload)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# -- message layouts (ib_async 2.1.0 decoder.py at server version 176) --------------------------


def _contract(con_id: int, symbol: str) -> Fields:
    # conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier, exchange,
    # currency, localSymbol, tradingClass
    return [con_id, symbol, "STK", "", "", "", "", "SMART", "USD", symbol, "NMS"]


def open_order_fields(o: FakeOrder, con_id: int) -> Fields:
    """Decoder.openOrder: no version field; faProfile present below version 177."""
    return [
        OPEN_ORDER,
        o.order_id,
        *_contract(con_id, o.symbol),
        o.action, o.quantity, o.order_type, o.limit_price, o.aux_price, o.tif,
        "", o.account, "", 0, o.order_ref, o.client_id, o.perm_id,
        0, 0, "", "", "",  # outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAllocation
        "", "", "",  # faGroup, faMethod, faPercentage
        "",  # faProfile (serverVersion < 177)
        "", "", "", "", "", 0, "", -1, 0, "", "", "", "", "",  # modelCode .. stockRangeUpper
        "", 0, 0, 0, "", 3, 0, 0, "", 0, 0, "", 0,  # displaySize .. volatilityType
        "", "",  # deltaNeutralOrderType (empty: no delta-neutral block), deltaNeutralAuxPrice
        0, 0, "", "", "", "", "",  # continuousUpdate .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
        "",  # hedgeType (empty: no hedgeParam)
        0, "", "IB", 0, 0,  # optOutSmartRouting, clearingAccount/Intent, notHeld, dncPresent
        "",  # algoStrategy (empty: no params)
        0, 0, o.status,  # solicited, whatIf, orderState.status
        "", "", "", "", "", "", "", "", "",  # margins before / change / after
        "", "", "", "", "",  # commission, min, max, currency, warningText
        0, 0,  # randomizeSize, randomizePrice
        0,  # conditions
        "", "", "", "", "", "", "", 0,  # adjustedOrderType .. adjustableTrailingUnit
        "", "", "", "",  # softDollarTier name/val/displayName, cashQty
        0, 0, 0, 0,  # dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpTo.., usePrice..
        "", "", 0,  # duration (>=159), postToAts (>=160), autoCancelParent (>=162)
        "", "", "", "", "",  # minTradeQty .. midOffsetAtHalf (>=170)
    ]  # fmt: skip


def completed_order_fields(o: FakeOrder, con_id: int) -> Fields:
    """Decoder.completedOrder: no order id; faProfile present below version 177."""
    return [
        COMPLETED_ORDER,
        *_contract(con_id, o.symbol),
        o.action, o.quantity, o.order_type, o.limit_price, o.aux_price, o.tif,
        "", o.account, "", 0, o.order_ref, o.perm_id,
        0, 0, "", "", "", "", "",  # outsideRth .. faPercentage
        "",  # faProfile (serverVersion < 177)
        "", "", "", "", "", 0, "", -1, "", "", "", "", "",  # modelCode .. stockRangeUpper
        "", 0, 0, "", 3, 0, "", 0,  # displaySize .. volatilityType
        "", "",  # deltaNeutralOrderType (empty), deltaNeutralAuxPrice
        0, 0, "", "", "",  # continuousUpdate .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        "", "", "",  # scale sizes and increment
        "",  # hedgeType
        "", "IB", 0, 0,  # clearingAccount, clearingIntent, notHeld, dncPresent
        "",  # algoStrategy
        0, o.status, 0, 0,  # solicited, status, randomizeSize, randomizePrice
        0,  # conditions
        "", "", "", 0, 0, "", o.filled, "", 0, "", 0, 0, "",  # trailStopPrice .. parentPermId
        "20240301 15:00:00", o.status,  # completedTime, completedStatus
        "", "", "", "", "",  # minTradeQty .. midOffsetAtHalf (>=170)
    ]  # fmt: skip


def order_status_fields(o: FakeOrder, last_fill_price: Decimal | str = "") -> Fields:
    # orderId, status, filled, remaining, avgFillPrice, permId, parentId, lastFillPrice,
    # clientId, whyHeld, mktCapPrice
    average = o.average_fill_price if o.filled else ""
    return [
        ORDER_STATUS, o.order_id, o.status, o.filled, o.remaining, average, o.perm_id, 0,
        last_fill_price, o.client_id, "", "",
    ]  # fmt: skip


def exec_details_fields(req_id: int, e: FakeExecution, con_id: int, account: str) -> Fields:
    """Decoder.execDetails: no version field; no pendingPriceRevision below version 178."""
    return [
        EXEC_DETAILS, req_id, e.order_id, *_contract(con_id, e.symbol),
        e.exec_id, e.time.strftime("%Y%m%d %H:%M:%S UTC"), account, "ISLAND", e.side,
        e.shares, e.price, e.perm_id, e.client_id, 0, e.cumulative, e.average_price,
        e.order_ref, "", "", "", 1,
    ]  # fmt: skip


def commission_report_fields(e: FakeExecution) -> Fields:
    # execId, commission, currency, realizedPNL, yield, yieldRedemptionDate
    return [COMMISSION_REPORT, 1, e.exec_id, e.commission, "USD", 0, "", ""]


def contract_details_fields(req_id: int, symbol: str, con_id: int) -> Fields:
    """Decoder.contractDetails at >= 164: no version field, no mdSizeMultiplier."""
    return [
        CONTRACT_DETAILS, req_id, symbol, "STK", "", "", "", "SMART", "USD", symbol, "NMS",
        "NMS", con_id, "0.01",
        "", "LMT,MKT,STP,STP LMT", "SMART,NASDAQ", 1, 0, symbol, "NASDAQ", "", "", "", "",
        "US/Eastern", "", "", "", "", 0,  # .. evRule, evMultiplier, numSecIds
        1, "", "", "26", "", "COMMON",  # aggGroup .. stockType
        "1", "1", "100",  # minSize, sizeIncrement, suggestedSizeIncrement (>= 164)
    ]  # fmt: skip


def position_fields(account: str, symbol: str, con_id: int, p: FakePosition) -> Fields:
    return [POSITION, 3, account, *_contract(con_id, symbol), p.quantity, p.average_cost]


def error_fields(req_id: int, code: int, message: str) -> Fields:
    # reqId, errorCode, errorString, advancedOrderRejectJson (>= 166)
    return [ERROR, 2, req_id, code, message, ""]


def tick_price_fields(req_id: int, tick_type: int, price: Decimal, size: Decimal) -> Fields:
    # reqId, tickType, price, size, attribute mask
    return [TICK_PRICE, 6, req_id, tick_type, price, size, 0]


# -- the gateway ---------------------------------------------------------------------------------


class FakeIbGateway:
    """A scripted TWS on 127.0.0.1:<ephemeral port>: orders, fills, positions, quotes, faults."""

    def __init__(
        self,
        script: FaultScript | None = None,
        *,
        accounts: Iterable[str] = ("DU1234567",),
        contracts: Mapping[str, int] | None = None,
        commission_per_share: Decimal = Decimal("0.005"),
        minimum_commission: Decimal = Decimal(1),
        fill_market_orders: bool = True,
        rejected_symbols: Iterable[str] = (),
    ) -> None:
        self.script = script or FaultScript()
        self.accounts = list(accounts)
        self.contracts = dict(contracts or DEFAULT_CONTRACTS)
        self.commission_per_share = commission_per_share
        self.minimum_commission = minimum_commission
        self.fill_market_orders = fill_market_orders
        self.rejected_symbols = set(rejected_symbols)
        self.account_values = {
            "NetLiquidation": "100000.00",
            "TotalCashValue": "85000.00",
            "BuyingPower": "340000.00",
            "AvailableFunds": "85000.00",
            "ExcessLiquidity": "86000.00",
        }
        self.positions: dict[str, FakePosition] = {}
        self.orders: list[FakeOrder] = []
        self.executions: list[FakeExecution] = []
        self.quotes: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        self.received: list[tuple[int, Fields]] = []
        self.connections = 0
        self._sessions: list[_Session] = []
        self._next_order_id = 1
        self._next_perm_id = 930_000_001
        self._next_exec = 1
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="fake-ib-gateway", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeIbGateway:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("fake IB gateway did not start")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> FakeIbGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state the tests set up or act on (thread-safe) ------------------------------------------

    def add_position(self, symbol: str, quantity: str, average_cost: str) -> None:
        def add() -> None:
            self.positions[symbol] = FakePosition(Decimal(quantity), Decimal(average_cost))

        self._call(add)

    def add_open_order(
        self,
        *,
        order_ref: str,
        symbol: str,
        action: str,
        quantity: str,
        client_id: int,
        order_type: str = "LMT",
        limit_price: str = "",
        aux_price: str = "",
        tif: str = "DAY",
        filled: str = "0",
    ) -> FakeOrder:
        """An order already working at the broker, as if placed before this test connected."""

        def add() -> FakeOrder:
            order = self._new_order(
                order_id=self._take_order_id(),
                client_id=client_id,
                symbol=symbol,
                action=action,
                quantity=Decimal(quantity),
                order_type=order_type,
                limit_price=limit_price,
                aux_price=aux_price,
                tif=tif,
                order_ref=order_ref,
                account=self.accounts[0],
            )
            order.filled = Decimal(filled)
            return order

        return self._call(add)

    def set_quote(self, symbol: str, bid: str, ask: str, last: str) -> None:
        """Set the market; subscribers get the new ticks at once."""

        def update() -> None:
            self.quotes[symbol] = (Decimal(bid), Decimal(ask), Decimal(last))
            for session in self._live_sessions():
                for req_id, subscribed in session.market_data.items():
                    if subscribed == symbol:
                        self._send_ticks(session, req_id, symbol)

        self._call(update)

    def fill(self, order_ref: str, quantity: str, price: str) -> str:
        """Execute (part of) an open order; returns the execution id."""
        return self._call(
            lambda: self._fill(self._order_by_ref(order_ref), Decimal(quantity), Decimal(price))
        )

    def cancel_by_broker(self, order_ref: str) -> None:
        """IB cancels an order on its own (expiry, risk): orderStatus Cancelled, no error."""

        def cancel() -> None:
            order = self._order_by_ref(order_ref)
            order.status = "Cancelled"
            self._to_owner(order, order_status_fields(order))

        self._call(cancel)

    def push_error(self, code: int, req_id: int = -1, message: str | None = None) -> None:
        """Send an error / notice message to every live session."""
        text = message or TWS_MESSAGES.get(code, f"message {code}")

        def push() -> None:
            for session in self._live_sessions():
                session.send(*error_fields(req_id, code, text))

        self._call(push)

    def drop_connections(self) -> None:
        """Close every client socket abruptly, as a crashed or restarted gateway would."""
        self._call(lambda: [self._drop(s) for s in list(self._sessions)])

    # -- observation -----------------------------------------------------------------------------

    def requests(self, message_id: int) -> list[Fields]:
        return self._call(lambda: [f for mid, f in self.received if mid == message_id])

    def order(self, order_ref: str) -> FakeOrder:
        return self._call(lambda: attrs.evolve(self._order_by_ref(order_ref)))

    def orders_with_ref(self, order_ref: str) -> list[FakeOrder]:
        return self._call(
            lambda: [attrs.evolve(o) for o in self.orders if o.order_ref == order_ref]
        )

    def live_sessions(self) -> int:
        return self._call(lambda: len(self._live_sessions()))

    def wait_until(
        self, condition: Callable[[], bool], timeout: float = 3.0, what: str = ""
    ) -> None:
        """Poll `condition` (evaluated on the test thread) until true; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"fake IB gateway: timed out waiting for {what or condition}")
            time.sleep(0.01)

    # -- server ----------------------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for session in list(self._sessions):
            self._drop(session)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _call(self, function: Callable[[], T]) -> T:
        if threading.current_thread() is self._thread or not self._thread.is_alive():
            return function()

        async def invoke() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(invoke(), self._loop).result(5)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        session = _Session(self.connections, writer)
        self._sessions.append(session)
        try:
            await self._converse(session, reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
            writer.close()

    async def _converse(self, session: _Session, reader: asyncio.StreamReader) -> None:
        script = self.script
        faulty = script.hits(session.number)
        greeting = await reader.readexactly(4)
        if greeting != b"API\0":
            raise ConnectionError(f"bad greeting {greeting!r}")
        versions = (await self._read_message(reader)).decode()
        low, high = (int(v) for v in versions[1:].split(" ")[0].split(".."))
        if faulty and script.fault is Fault.NO_HANDSHAKE:
            await reader.read()  # until the client gives up and closes
            return
        if not low <= PINNED_SERVER_VERSION <= high:
            raise ConnectionError(
                f"client speaks v{low}..{high}, the fake only {PINNED_SERVER_VERSION}"
            )
        now = datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")
        session.send(PINNED_SERVER_VERSION, now)
        while True:
            fields = (await self._read_message(reader)).decode().split("\0")[:-1]
            message_id = int(fields[0])
            self.received.append((message_id, fields))
            if message_id == START_API:
                client_id = int(fields[2])
                taken = any(s.ready and s.client_id == client_id for s in self._sessions)
                if taken or (faulty and script.fault is Fault.CLIENT_ID_IN_USE):
                    session.writer.close()
                    return
                session.client_id = client_id
                session.ready = True
                session.send(MANAGED_ACCOUNTS, 1, ",".join(self.accounts))
                session.send(NEXT_VALID_ID, 1, self._next_order_id)
                continue
            if (
                faulty
                and script.fault is Fault.UNANSWERED_STARTUP
                and message_id == script.unanswered
            ):
                continue
            self._answer(session, message_id, fields)
            await session.writer.drain()

    @staticmethod
    async def _read_message(reader: asyncio.StreamReader) -> bytes:
        (length,) = struct.unpack(">I", await reader.readexactly(4))
        return await reader.readexactly(length)

    def _answer(self, session: _Session, message_id: int, fields: Fields) -> None:
        account = self.accounts[0]
        if message_id == REQ_POSITIONS:
            session.positions_subscribed = True
            for symbol, position in self.positions.items():
                session.send(*position_fields(account, symbol, self._con_id(symbol), position))
            session.send(POSITION_END, 1)
        elif message_id in (REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS):
            for order in self.orders:
                mine = message_id == REQ_ALL_OPEN_ORDERS or order.client_id == session.client_id
                if mine and order.status not in DONE:
                    session.send(*open_order_fields(order, self._con_id(order.symbol)))
                    session.send(*order_status_fields(order))
            session.send(OPEN_ORDER_END, 1)
        elif message_id == REQ_COMPLETED_ORDERS:
            for order in self.orders:
                if order.status in DONE:
                    session.send(*completed_order_fields(order, self._con_id(order.symbol)))
            session.send(COMPLETED_ORDERS_END)
        elif message_id == REQ_ACCOUNT_UPDATES:
            if fields[2] == "1":
                for tag, value in self.account_values.items():
                    session.send(ACCOUNT_VALUE, 2, tag, value, "USD", fields[3])
                session.send(ACCOUNT_UPDATE_TIME, 1, "14:30")
                session.send(ACCOUNT_DOWNLOAD_END, 1, fields[3])
        elif message_id == REQ_ACCOUNT_UPDATES_MULTI:
            session.send(ACCOUNT_UPDATE_MULTI_END, 1, fields[2])
        elif message_id == REQ_EXECUTIONS:
            self._answer_executions(session, int(fields[2]))
        elif message_id == REQ_ACCOUNT_SUMMARY:
            req_id = int(fields[2])
            for tag, value in self.account_values.items():
                session.send(ACCOUNT_SUMMARY, 1, req_id, account, tag, value, "USD")
            session.send(ACCOUNT_SUMMARY_END, 1, req_id)
        elif message_id == REQ_CONTRACT_DETAILS:
            req_id, symbol = int(fields[2]), fields[4]
            if symbol in self.contracts:
                session.send(*contract_details_fields(req_id, symbol, self.contracts[symbol]))
                session.send(CONTRACT_DETAILS_END, 1, req_id)
            else:
                session.send(*error_fields(req_id, 200, "No security definition has been found"))
        elif message_id == REQ_MKT_DATA:
            self._answer_market_data(session, int(fields[2]), fields[4])
        elif message_id == CANCEL_MKT_DATA:
            session.market_data.pop(int(fields[2]), None)
        elif message_id == PLACE_ORDER:
            self._place(session, fields)
        elif message_id == CANCEL_ORDER:
            self._cancel(session, int(fields[2]))
        elif message_id == REQ_IDS:
            session.send(NEXT_VALID_ID, 1, self._next_order_id)
        elif message_id == REQ_CURRENT_TIME:
            session.send(CURRENT_TIME, 1, int(time.time()))
        # reqMarketDataType, reqAutoOpenOrders, cancelAccountSummary: nothing to answer.

    def _answer_executions(self, session: _Session, req_id: int) -> None:
        account = self.accounts[0]
        for execution in self.executions:
            con_id = self._con_id(execution.symbol)
            session.send(*exec_details_fields(req_id, execution, con_id, account))
        for execution in self.executions:
            session.send(*commission_report_fields(execution))
        session.send(EXEC_DETAILS_END, 1, req_id)
        self._maybe_fault(session, Trigger.SYNCED)

    def _answer_market_data(self, session: _Session, req_id: int, symbol: str) -> None:
        session.market_data[req_id] = symbol
        session.market_data_requests += 1
        if symbol in self.quotes:
            self._send_ticks(session, req_id, symbol)
        if session.market_data_requests == 1:
            self._maybe_fault(session, Trigger.MARKET_DATA)

    def _send_ticks(self, session: _Session, req_id: int, symbol: str) -> None:
        bid, ask, last = self.quotes[symbol]
        session.send(*tick_price_fields(req_id, 1, bid, Decimal(100)))
        session.send(*tick_price_fields(req_id, 2, ask, Decimal(200)))
        session.send(*tick_price_fields(req_id, 4, last, Decimal(50)))

    def _maybe_fault(self, session: _Session, trigger: Trigger) -> None:
        script = self.script
        if session.fault_fired or script.trigger is not trigger or not script.hits(session.number):
            return
        if script.fault is Fault.DROP_SOCKET:
            session.fault_fired = True
            # Let what was just answered reach the client first, then cut the line.
            self._loop.call_later(0.05, self._drop, session)
        elif script.fault is Fault.PUSH_ERRORS:
            session.fault_fired = True
            for code in script.error_codes:
                session.send(*error_fields(-1, code, TWS_MESSAGES.get(code, f"message {code}")))

    def _drop(self, session: _Session) -> None:
        session.ready = False
        transport = session.writer.transport
        if not transport.is_closing():
            transport.abort()

    # -- orders ----------------------------------------------------------------------------------

    def _place(self, session: _Session, fields: Fields) -> None:
        # client.placeOrder: [3, orderId, contract(12 fields), secIdType, secId, action,
        # totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account, openClose,
        # origin, orderRef, transmit, ...]
        order_id, symbol = int(fields[1]), fields[3]
        action, quantity, order_type = fields[16], Decimal(fields[17]), fields[18]
        limit_price, aux_price, tif, account, order_ref = (
            fields[19], fields[20], fields[21], fields[23], fields[26],
        )  # fmt: skip
        existing = next(
            (o for o in self.orders if o.order_id == order_id and o.client_id == session.client_id),
            None,
        )
        if existing is not None:
            if existing.status in DONE:
                session.send(*error_fields(order_id, 104, "Cannot modify a filled order."))
                return
            existing.quantity, existing.limit_price, existing.aux_price, existing.tif = (
                quantity, limit_price, aux_price, tif,
            )  # fmt: skip
            session.send(*open_order_fields(existing, self._con_id(existing.symbol)))
            session.send(*order_status_fields(existing))
            return
        if symbol in self.rejected_symbols:
            session.send(
                *error_fields(order_id, 201, f"Order rejected - reason: {symbol} is not allowed")
            )
            return
        assert session.client_id is not None
        order = self._new_order(
            order_id=order_id,
            client_id=session.client_id,
            symbol=symbol,
            action=action,
            quantity=quantity,
            order_type=order_type,
            limit_price=limit_price,
            aux_price=aux_price,
            tif=tif,
            order_ref=order_ref,
            account=account or self.accounts[0],
        )
        self._next_order_id = max(self._next_order_id, order_id + 1)
        session.send(*open_order_fields(order, self._con_id(symbol)))
        session.send(*order_status_fields(order))
        if order_type == "MKT" and self.fill_market_orders and symbol in self.quotes:
            bid, ask, _ = self.quotes[symbol]
            self._fill(order, quantity, ask if action == "BUY" else bid)

    def _cancel(self, session: _Session, order_id: int) -> None:
        order = next(
            (o for o in self.orders if o.order_id == order_id and o.client_id == session.client_id),
            None,
        )
        if order is None:
            session.send(*error_fields(order_id, 135, f"Can't find order with id = {order_id}"))
            return
        if order.status in DONE:
            text = (
                f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                f"state: {order.status}."
            )
            session.send(*error_fields(order_id, 10148, text))
            return
        order.status = "Cancelled"
        session.send(*order_status_fields(order))

    def _new_order(self, **values: Any) -> FakeOrder:
        order = FakeOrder(perm_id=self._next_perm_id, **values)
        self._next_perm_id += 1
        self.orders.append(order)
        return order

    def _take_order_id(self) -> int:
        order_id = self._next_order_id
        self._next_order_id += 1
        return order_id

    def _fill(self, order: FakeOrder, quantity: Decimal, price: Decimal) -> str:
        if order.status in DONE or quantity > order.remaining:
            raise AssertionError(f"cannot fill {quantity} of {order}")
        order.filled += quantity
        order.filled_notional += quantity * price
        if order.remaining == 0:
            order.status = "Filled"
        execution = FakeExecution(
            exec_id=f"0000e0d5.{self._next_exec:08x}.01.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            order_ref=order.order_ref,
            symbol=order.symbol,
            side="BOT" if order.action == "BUY" else "SLD",
            shares=quantity,
            price=price,
            cumulative=order.filled,
            average_price=order.average_fill_price,
            commission=max(self.minimum_commission, quantity * self.commission_per_share),
            time=datetime.now(UTC).replace(microsecond=0),
        )
        self._next_exec += 1
        self.executions.append(execution)
        self._move_position(order, quantity, price)
        con_id = self._con_id(order.symbol)
        self._to_owner(order, exec_details_fields(-1, execution, con_id, order.account))
        self._to_owner(order, order_status_fields(order, price))
        self._to_owner(order, commission_report_fields(execution))
        return execution.exec_id

    def _move_position(self, order: FakeOrder, quantity: Decimal, price: Decimal) -> None:
        signed = quantity if order.action == "BUY" else -quantity
        held = self.positions.get(order.symbol, FakePosition(Decimal(0), Decimal(0)))
        new_quantity = held.quantity + signed
        if new_quantity == 0:
            average = Decimal(0)
        elif held.quantity == 0 or (held.quantity > 0) == (signed > 0):
            average = (held.quantity * held.average_cost + signed * price) / new_quantity
        else:
            average = held.average_cost
        self.positions[order.symbol] = FakePosition(new_quantity, average)
        for session in self._live_sessions():
            if session.positions_subscribed:
                fields = position_fields(
                    order.account,
                    order.symbol,
                    self._con_id(order.symbol),
                    self.positions[order.symbol],
                )
                session.send(*fields)

    def _to_owner(self, order: FakeOrder, fields: Fields) -> None:
        for session in self._live_sessions():
            if session.client_id == order.client_id:
                session.send(*fields)

    def _live_sessions(self) -> list[_Session]:
        return [s for s in self._sessions if s.ready and not s.writer.is_closing()]

    def _order_by_ref(self, order_ref: str) -> FakeOrder:
        matches = [o for o in self.orders if o.order_ref == order_ref]
        if not matches:
            raise AssertionError(f"fake IB gateway has no order with orderRef {order_ref!r}")
        return matches[-1]

    def _con_id(self, symbol: str) -> int:
        return self.contracts.setdefault(symbol, 90_000_000 + len(self.contracts))
