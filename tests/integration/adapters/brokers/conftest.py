"""Fixtures for the IBKR adapter: a fake IB gateway on 127.0.0.1 and brokers with small timeouts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

# The fake gateway and the helpers are plain modules next to these tests (pytest runs with
# --import-mode=importlib, which does not put test folders on sys.path).
sys.path.insert(0, str(Path(__file__).parent))

from fake_ib_gateway import FakeIbGateway, FaultScript
from ibkr_support import MakeBroker, MakeGateway, fast_config

from quantcli.adapters.brokers.ibkr import IbkrBroker, IbkrConfig

_CONFIG_FIELDS = {field.name for field in attrs.fields(IbkrConfig)}


@pytest.fixture
def make_gateway() -> Iterator[MakeGateway]:
    started: list[FakeIbGateway] = []

    def make(script: FaultScript | None = None, **options: Any) -> FakeIbGateway:
        gateway = FakeIbGateway(script, **options).start()
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        gateway.stop()


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> FakeIbGateway:
    gateway = make_gateway()
    gateway.set_quote("AAPL", bid="149.98", ask="150.02", last="150.00")
    return gateway


@pytest.fixture
def make_broker() -> Iterator[MakeBroker]:
    """IbkrBrokers with fast settings (config keys as keywords), closed after the test."""
    made: list[IbkrBroker] = []

    def make(gateway: FakeIbGateway, *, connect: bool = True, **options: Any) -> IbkrBroker:
        settings = {key: options.pop(key) for key in list(options) if key in _CONFIG_FIELDS}
        broker = IbkrBroker(fast_config(gateway.port, **settings), **options)
        made.append(broker)
        if connect:
            broker.connect()
        return broker

    yield make
    for broker in made:
        broker.close()


@pytest.fixture
def broker(gateway: FakeIbGateway, make_broker: MakeBroker) -> IbkrBroker:
    return make_broker(gateway)
