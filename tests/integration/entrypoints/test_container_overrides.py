"""The container lets an embedding service or a test swap adapters without touching use cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from dependency_injector import providers

from quantcli.adapters.brokers import SimulatedBroker
from quantcli.adapters.data import SyntheticMarket
from quantcli.application.trading.ports import BrokerEvent, BrokerOrderState
from quantcli.domain import Bar, Order
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.main import cli
from quantcli.entrypoints.container import build_container
from quantcli.entrypoints.settings import load_settings


class RecordingMarketData:
    """A MarketDataSource that serves a small synthetic market and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self._market = SyntheticMarket(n_symbols=3, years=2.0, seed=7)

    @property
    def name(self) -> str:
        return "recording"

    def fetch_bars(
        self,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        self.calls += 1
        return self._market.fetch_bars(symbols, start, end)


class RecordingBroker:
    """A Broker that delegates to the simulated one and keeps every order it was sent."""

    def __init__(self) -> None:
        self.submitted: list[Order] = []
        self._inner = SimulatedBroker(CommissionSchedule(), SlippageModel())

    def submit_order(self, order: Order) -> str:
        self.submitted.append(order)
        return "REC-" + self._inner.submit_order(order)

    def cancel_order(self, client_order_id: str) -> None:
        self._inner.cancel_order(client_order_id)

    def on_market_data(self, bars: Mapping[str, Bar]) -> None:
        self._inner.on_market_data(bars)

    def drain_events(self) -> list[BrokerEvent]:
        return self._inner.drain_events()

    def open_orders(self) -> list[Order]:
        return self._inner.open_orders()

    @property
    def supports_modify(self) -> bool:
        return self._inner.supports_modify

    def modify_order(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        self._inner.modify_order(client_order_id, quantity, limit_price, stop_price)

    def lookup_order(self, client_order_id: str) -> BrokerOrderState | None:
        return self._inner.lookup_order(client_order_id)

    def positions(self, account: str) -> dict[str, Decimal]:
        return self._inner.positions(account)

    def is_connected(self) -> bool:
        return self._inner.is_connected()


def test_overridden_data_source_and_broker_serve_the_whole_quickstart(tmp_path: Path) -> None:
    settings = load_settings(environ={"QUANTCLI_DATA_DIR": str(tmp_path / "data")})
    container = build_container(settings)
    market_data = RecordingMarketData()
    broker = RecordingBroker()
    container.synthetic_source.override(providers.Object(market_data))
    container.broker.override(providers.Object(broker))

    result = CliRunner().invoke(cli, ["quickstart"], obj=AppContext(container=container))

    assert result.exit_code == 0, result.output
    assert market_data.calls == 1
    assert "from recording" in result.output
    assert container.bar_store().symbols() == ["SYN00", "SYN01", "SYN02"]
    recorded = container.ledger().orders()
    assert broker.submitted
    assert {o.client_order_id for o in broker.submitted} == {
        o.client_order_id for o in recorded if o.broker_order_id is not None
    }
    assert all(o.broker_order_id.startswith("REC-SIM-") for o in recorded if o.broker_order_id)
