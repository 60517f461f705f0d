"""Reading a report's plotly charts back (each chart's id, traces and layout), and the report
of a real backtest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantcli import kernels
from quantcli.application.backtest.ports import BacktestReport
from quantcli.application.backtest.run_backtest import backtest_weights
from quantcli.domain.costs import CommissionSchedule, SlippageModel

NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"chart-([^"]+)",\s*')
ChartsOf = Callable[[str], dict[str, dict[str, Any]]]


def charts_of(document: str) -> dict[str, dict[str, Any]]:
    """{chart id: {"data": traces, "layout": layout}} in page order ("chart-" prefix dropped)."""
    decoder = json.JSONDecoder()
    charts: dict[str, dict[str, Any]] = {}
    for match in NEW_PLOT.finditer(document):
        data, end = decoder.raw_decode(document, match.end())
        layout, _ = decoder.raw_decode(document, document.index("{", end))
        assert match.group(1) not in charts, f"chart id {match.group(1)} repeats"
        charts[match.group(1)] = {"data": data, "layout": layout}
    return charts


def body_of(document: str) -> str:
    """The document after its head (where plotly.js is embedded)."""
    return document.split("</head>", 1)[1]


@pytest.fixture
def charts() -> ChartsOf:
    return charts_of


@pytest.fixture
def body() -> Callable[[str], str]:
    return body_of


@pytest.fixture(scope="session")
def backtest_report() -> BacktestReport:
    """The report of a real backtest: an SMA crossover on four synthetic symbols, 300 business
    days, commission, slippage and borrow fees, 200 Monte Carlo paths."""
    count = 300
    index = pd.date_range("2022-01-03", periods=count, freq="B", tz="UTC")
    rng = np.random.default_rng(4)
    frames = []
    for symbol in ("AAA", "BBB", "CCC", "DDD"):
        close = 100 * np.cumprod(1 + rng.normal(3e-4, 0.012, count))
        open_ = close * (1 + rng.normal(0, 0.002, count))
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": index,
                    "symbol": symbol,
                    "open": open_,
                    "high": np.maximum(open_, close) * 1.01,
                    "low": np.minimum(open_, close) * 0.99,
                    "close": close,
                    "volume": 1e6,
                }
            )
        )
    bars = pd.concat(frames, ignore_index=True)
    closes = bars.pivot(index="timestamp", columns="symbol", values="close")
    fast, slow = closes.rolling(10).mean(), closes.rolling(30).mean()
    weights = (np.sign(fast - slow) * 0.25).where(slow.notna())
    result = backtest_weights(
        bars,
        weights,
        commission=CommissionSchedule(per_share=Decimal("0.005"), minimum=Decimal(1)),
        slippage=SlippageModel(bps=Decimal(2)),
        initial_cash=Decimal(1_000_000),
        costs=kernels.CostModel(borrow_rate=0.02),
    )
    return result.report(
        "QuantCLI backtest: strategy sma_cross",
        {"strategy": "sma_cross"},
        monte_carlo_paths=200,
        model_version="lightgbm-v3",
    )
