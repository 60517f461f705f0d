"""The quickstart end to end through the real CLI: data, store, features, model, backtest, paper."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.domain import OrderStatus

RunCli = Callable[..., subprocess.CompletedProcess[str]]
QUICKSTART = ("quickstart", "--symbols", "4", "--years", "3")


def _ledger_counts(data_dir: Path) -> tuple[int, int, int]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        return (
            SqliteBarStore(database).bar_count(),
            len(ledger.orders()),
            len(ledger.fills()),
        )


def test_quickstart_runs_the_whole_path_and_records_it(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(*QUICKSTART)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    for metric in ("Sharpe", "Sortino", "max drawdown", "turnover", "trades"):
        assert re.search(rf"^{metric}", out, flags=re.MULTILINE | re.IGNORECASE), metric
    assert "Stored 3,024 bars of 4 symbol(s)" in out
    assert "out-of-sample accuracy" in out
    assert "Paper account paper: 20 bars" in out
    # The backtest, the signals and the paper session each say which model version they used.
    model_lines = [line for line in out.splitlines() if line.startswith("Model: ")]
    assert model_lines == ["Model: direction-ensemble v1 (candidate)"] * 3

    data_dir = tmp_path / "data"
    report = data_dir / "reports" / "backtest.html"
    assert f"[7/7] Report written to {report.resolve()}" in out
    html = report.read_text()
    # The tearsheet: interactive charts with plotly.js embedded, the equity against the
    # equal-weight buy-and-hold of the traded symbols.
    charts = re.findall(r'Plotly\.newPlot\(\s*"(chart-[^"]+)"', html)
    assert charts[:2] == ["chart-equity", "chart-drawdown"]
    assert "chart-exposure" in charts
    assert "plotly.js v" in html.split("</head>", 1)[0]
    assert "benchmark: equal-weight buy-and-hold of" in html

    with SqliteDatabase(data_dir / "quantcli.db") as database:
        ledger = SqliteLedger(database)
        orders = ledger.orders()
        fills = ledger.fills()
        portfolio = ledger.load_portfolio("paper")
        bars = SqliteBarStore(database).read_bars()
    assert orders, "paper trading placed no order"
    assert fills, "paper trading filled no order"
    window_start = sorted(bars["timestamp"].unique())[-20]
    assert all(pd.Timestamp(order.created_at) >= window_start for order in orders)
    order_ids = {order.client_order_id for order in orders}
    assert {fill.client_order_id for fill in fills} <= order_ids
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    assert sum(o.filled_quantity for o in filled) == sum(f.quantity for f in fills)
    assert portfolio is not None
    held = {s: p.quantity for s, p in portfolio.positions.items() if not p.is_flat}
    from_fills: dict[str, object] = {}
    for fill in fills:
        from_fills[fill.symbol] = from_fills.get(fill.symbol, 0) + fill.signed_quantity
    assert held == {s: q for s, q in from_fills.items() if q != 0}


def test_quickstart_twice_reuses_what_it_stored(run_cli: RunCli, tmp_path: Path) -> None:
    first = run_cli(*QUICKSTART)
    assert first.returncode == 0, first.stderr
    counts_after_first = _ledger_counts(tmp_path / "data")

    second = run_cli(*QUICKSTART)

    assert second.returncode == 0, second.stderr
    assert _ledger_counts(tmp_path / "data") == counts_after_first
    assert counts_after_first[0] == 4 * 756
