"""Streaming quotes (reqMktData); subscriptions survive reconnects and TWS data loss (1101)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable

import ib_async

from quantcli.adapters.brokers.ibkr import parsing
from quantcli.adapters.brokers.ibkr.client import IbkrClient
from quantcli.adapters.brokers.ibkr.records import Quote
from quantcli.application.common.ports import Clock

logger = logging.getLogger(__name__)

QuoteListener = Callable[[Quote], None]


class IbkrMarketData:
    """Keeps the wanted subscriptions and the latest quote per symbol."""

    def __init__(
        self, client: IbkrClient, clock: Clock, on_quote: QuoteListener | None = None
    ) -> None:
        self._client = client
        self._ib = client.ib
        self._clock = clock
        self._on_quote = on_quote
        self._wanted: dict[str, ib_async.Contract] = {}
        self._quotes: dict[str, Quote] = {}
        # How many times the subscriptions were sent again (after 1101 or a reconnect).
        self.resubscriptions = 0
        self._ib.pendingTickersEvent += self._on_tickers

    @property
    def symbols(self) -> list[str]:
        return list(self._wanted)

    async def subscribe(self, symbol: str) -> None:
        """Stream last/bid/ask of `symbol`; kept across reconnects until unsubscribed."""
        if symbol in self._wanted:
            return
        contract = await self._client.contract(symbol)
        self._wanted[symbol] = contract
        self._request(symbol, contract)

    def unsubscribe(self, symbol: str) -> None:
        contract = self._wanted.pop(symbol, None)
        self._quotes.pop(symbol, None)
        if contract is not None and self._client.is_connected:
            # If the line is down, the next session starts without it anyway.
            with contextlib.suppress(ConnectionError):
                self._ib.cancelMktData(contract)

    def latest_quote(self, symbol: str) -> Quote | None:
        return self._quotes.get(symbol)

    def restore(self) -> None:
        """A new session knows no subscriptions: ask for every wanted symbol again."""
        if self._wanted:
            self.resubscriptions += 1
            logger.info("resubscribing market data after (re)connect: %s", ", ".join(self._wanted))
        for symbol, contract in self._wanted.items():
            self._request(symbol, contract)

    def resubscribe(self) -> None:
        """TWS restored its link to IB but dropped the data (1101): cancel and ask again."""
        if not self._client.is_connected:
            return
        if self._wanted:
            self.resubscriptions += 1
            logger.info("resubscribing market data after data loss: %s", ", ".join(self._wanted))
        for symbol, contract in self._wanted.items():
            try:
                self._ib.cancelMktData(contract)
            except ConnectionError:
                return  # the reconnect will restore() them
            self._request(symbol, contract)

    def _request(self, symbol: str, contract: ib_async.Contract) -> None:
        if not self._client.is_connected:
            return  # sent by restore() once the session is back
        try:
            self._ib.reqMktData(contract, "", False, False)
        except ConnectionError:
            logger.warning("market data for %s not requested: connection lost", symbol)

    def _on_tickers(self, tickers: Iterable[ib_async.Ticker]) -> None:
        now = self._clock.now()
        for ticker in tickers:
            contract = ticker.contract
            symbol = contract.symbol if contract is not None else ""
            if symbol not in self._wanted:
                continue
            quote = parsing.quote_from_ticker(symbol, ticker, now)
            self._quotes[symbol] = quote
            if self._on_quote is not None:
                try:
                    self._on_quote(quote)
                except Exception:
                    # A listener's bug must not break ib_async's message loop.
                    logger.exception("quote listener failed for %s", symbol)
