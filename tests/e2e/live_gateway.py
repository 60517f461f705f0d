"""What the live e2e tests share: the fake gateway's import, a moving market, the test config."""

from __future__ import annotations

import sys
import threading
from decimal import Decimal
from pathlib import Path

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase

# The fake gateway lives beside the adapter's integration tests; --import-mode=importlib does not
# put test folders on sys.path.
sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "adapters" / "brokers"))

from fake_ib_gateway import CANCEL_ORDER, PLACE_ORDER, FakeIbGateway, FakeOrder

__all__ = [
    "ACCOUNT",
    "CANCEL_ORDER",
    "PLACE_ORDER",
    "FakeIbGateway",
    "FakeOrder",
    "MovingMarket",
    "last_closes",
    "write_config",
]

ACCOUNT = "DU1234567"


class MovingMarket:
    """Moves every symbol's quote by a cent each tick, around the last stored close."""

    def __init__(self, gateway: FakeIbGateway, closes: dict[str, Decimal]) -> None:
        self.gateway = gateway
        self.closes = closes
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        step = 0
        while not self.stopped.wait(0.05):
            step += 1
            for symbol, close in self.closes.items():
                last = close + Decimal("0.01") * (step % 7 - 3)
                self.gateway.set_quote(
                    symbol, str(last - Decimal("0.01")), str(last + Decimal("0.01")), str(last)
                )

    def __enter__(self) -> MovingMarket:
        for symbol, close in self.closes.items():
            self.gateway.set_quote(symbol, str(close), str(close + Decimal("0.02")), str(close))
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt()

    def halt(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(5)


def last_closes(data_dir: Path) -> dict[str, Decimal]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        bars = SqliteBarStore(database).read_bars(None)
    last = bars.groupby("symbol")["close"].last()
    return {symbol: Decimal(f"{close:.2f}") for symbol, close in last.items()}


def write_config(
    tmp_path: Path, port: int, *, extra: str = "", max_disconnected_seconds: float = 60
) -> Path:
    """IB on the fake gateway, one-second bars on an always-open calendar, every signal long."""
    config = tmp_path / "live.yaml"
    config.write_text(
        f"""
trading:
  broker: ibkr
  calendar: "24/7"
  ibkr:
    port: {port}
    client_id: 7
    connect_timeout: 2
    request_timeout: 3
    reconnect_backoff_base: 0.05
    reconnect_backoff_max: 0.2
    max_reconnect_attempts: 2
  kill_switch:
    max_disconnected_seconds: {max_disconnected_seconds}
  live_feed:
    bars: interval
    interval_seconds: 1
    heartbeat_seconds: 0.1
backtest:
  strategy:
    long_threshold: 0.02
    short_threshold: 0.01
    allow_short: false
{extra}"""
    )
    return config
