"""Fixtures for the storage adapters, each against a real SQLite file (or folder) in tmp_path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.domain.fills import Fill
from quantcli.domain.orders import Order
from quantcli.domain.trading_types import OrderSide

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)

MakeBars = Callable[..., pd.DataFrame]
MakeOrder = Callable[..., Order]
MakeFill = Callable[..., Fill]
RunPython = Callable[[str], str]


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / ".quantcli" / "quantcli.db"


@pytest.fixture
def database(database_path: Path) -> Iterator[SqliteDatabase]:
    with SqliteDatabase(database_path) as database:
        yield database


@pytest.fixture
def bar_store(database: SqliteDatabase) -> SqliteBarStore:
    return SqliteBarStore(database)


@pytest.fixture
def ledger(database: SqliteDatabase) -> SqliteLedger:
    return SqliteLedger(database)


def _bars(
    symbols: Sequence[str] = ("AAPL", "MSFT"),
    periods: int = 5,
    start: str = "2024-01-02",
    seed: int = 7,
    freq: str = "D",
) -> pd.DataFrame:
    """A valid bar frame (in the contract's dtypes) with a random walk per symbol."""
    rng = np.random.default_rng(seed)
    frames = []
    for symbol in symbols:
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, periods)))
        open_ = close * np.exp(rng.normal(0.0, 0.005, periods))
        frames.append(
            pd.DataFrame(
                {
                    "symbol": pd.Series([symbol] * periods, dtype=object),
                    "timestamp": pd.date_range(
                        start, periods=periods, freq=freq, tz="UTC", unit="ns"
                    ),
                    "open": open_,
                    "high": np.maximum(open_, close) * 1.01,
                    "low": np.minimum(open_, close) * 0.99,
                    "close": close,
                    "volume": rng.integers(1_000, 1_000_000, periods).astype(np.float64),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["symbol"] = frame["symbol"].astype(object)
    return frame


@pytest.fixture
def make_bars() -> MakeBars:
    return _bars


def _order(
    client_order_id: str = "ord-1",
    symbol: str = "AAPL",
    side: OrderSide = OrderSide.BUY,
    quantity: str = "100",
    created_at: datetime = T0,
    **fields: object,
) -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        created_at=created_at,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def make_order() -> MakeOrder:
    return _order


def _fill(
    order: Order,
    fill_id: str,
    quantity: str,
    price: str,
    *,
    commission: str = "1.25",
    timestamp: datetime = T0,
) -> Fill:
    return Fill(
        fill_id=fill_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(commission),
        timestamp=timestamp,
    )


@pytest.fixture
def make_fill() -> MakeFill:
    return _fill


@pytest.fixture
def run_python() -> RunPython:
    """Run a snippet in a fresh interpreter (another process than the test); return stdout."""

    def run(source: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(source)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return completed.stdout

    return run
