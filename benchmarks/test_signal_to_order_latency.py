"""Signal-to-order latency in process: one signal through sizing, the pre-trade risk check, the
SQLite ledger (saved NEW, then SUBMITTED: two commits) and the simulated broker's submit.

No reference library to race: the timings are reported as they are, with p50 and p99 over the
rounds (each round is one order; the previous round's order is filled, untimed, before it).
`broker` is the in-memory simulated broker, or the paper broker with its durable book.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from quantcli.adapters.brokers import SimulatedBroker, SimulatedBrokerJournal
from quantcli.adapters.storage import SqliteDatabase, SqliteLedger
from quantcli.application.strategy.order_sizing import SizingPolicy
from quantcli.application.trading.run_trading_session import TradingSession
from quantcli.domain.bar import Bar
from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk import RiskLimits
from quantcli.domain.signals import Signal

KERNEL = "kernel"
ROUNDS = 2_000
START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
SYMBOLS = tuple(f"S{n:02d}" for n in range(20))


@pytest.fixture(params=["memory", "journal"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TradingSession]:
    journal = (
        SimulatedBrokerJournal(tmp_path / "broker.db", "bench")
        if request.param == "journal"
        else None
    )
    broker = SimulatedBroker(CommissionSchedule(), SlippageModel(Decimal(2)), journal=journal)
    with SqliteDatabase(tmp_path / "ledger.db") as database:
        yield TradingSession(
            account="bench",
            broker=broker,
            ledger=SqliteLedger(database),
            limits=RiskLimits(max_position_weight=0.10),
            signal_source=lambda _moment: [],
            portfolio=Portfolio(cash=Decimal(10_000_000)),
            sizing=SizingPolicy(max_weight=0.05),
        )


def percentile(data: list[float], fraction: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@pytest.mark.benchmark(group="signal to order")
def test_signal_to_order_latency(
    benchmark: Any, session: TradingSession, request: pytest.FixtureRequest
) -> None:
    rounds = {"n": 0}

    def next_signal() -> tuple[tuple[Signal, datetime], dict[str, Any]]:
        """Untimed: a new bar fills the last order and moves the marks; then the next signal."""
        n = rounds["n"] = rounds["n"] + 1
        moment = START + timedelta(minutes=n)
        price = 50.0 + (n % 7) * 0.25
        bars = {s: Bar(s, moment, price, price * 1.01, price * 0.99, price, 1e6) for s in SYMBOLS}
        session.broker.on_market_data(bars)
        session.engine.process_broker_events()
        for symbol in SYMBOLS:
            session.marks[symbol] = Decimal(repr(price))
        symbol = SYMBOLS[n % len(SYMBOLS)]
        weight = 0.05 if (n // len(SYMBOLS)) % 2 == 0 else -0.05
        return (Signal(symbol, moment, weight, 0.5 + weight), moment), {}

    benchmark.extra_info["role"] = KERNEL
    order = benchmark.pedantic(
        session.act_on, setup=next_signal, rounds=ROUNDS, iterations=1, warmup_rounds=20
    )
    assert order is not None
    assert order.broker_order_id is not None
    if benchmark.stats is None:  # benchmarks disabled
        return
    data = list(benchmark.stats.stats.data)
    p50, p99 = statistics.median(data), percentile(data, 0.99)
    benchmark.extra_info["p50_us"] = round(p50 * 1e6, 1)
    benchmark.extra_info["p99_us"] = round(p99 * 1e6, 1)
    broker = request.node.callspec.params["session"]
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(
            f"\nsignal -> order latency ({broker} broker): p50 {p50 * 1e6:.1f} us, "
            f"p99 {p99 * 1e6:.1f} us over {len(data)} orders"
        )
    assert len(session.ledger.orders(account="bench")) >= ROUNDS
