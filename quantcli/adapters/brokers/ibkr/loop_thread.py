"""An asyncio event loop on a background thread, for the synchronous facade over ib_async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from quantcli.adapters.brokers.ibkr.errors import IbkrNotConnected, IbkrTimeout
from quantcli.domain.errors import BrokerError

T = TypeVar("T")


class EventLoopThread:
    """Owns one event loop running forever on a daemon thread; callers wait with a timeout."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._started = threading.Event()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and not self._loop.is_closed()

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(5.0):
            raise BrokerError(f"event loop thread {self._thread.name} did not start")

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float, what: str) -> T:
        """Run `coroutine` on the loop and wait at most `timeout` seconds for its result."""
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise BrokerError(
                f"{what}: the synchronous IBKR API was called from its own event loop; "
                "use the asynchronous API there"
            )
        if not self.is_running:
            coroutine.close()
            raise IbkrNotConnected(f"{what}: the IBKR adapter is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            # The inner waits are bounded; reaching this means something did not honour them.
            future.cancel()
            raise IbkrTimeout(f"{what} did not finish within {timeout:g} s") from None

    def call(self, function: Callable[[], T], timeout: float, what: str) -> T:
        """Run a plain function on the loop thread (ib_async objects are not thread-safe)."""

        async def invoke() -> T:
            return function()

        return self.run(invoke(), timeout, what)

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
