"""`quantcli paper` after a bar is imported: the bar gets its features and is traded, not
replayed without a signal and marked done."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase, SqliteLedger
from quantcli.domain.orders import Order

RunCli = Callable[..., subprocess.CompletedProcess[str]]
NEXT_SESSION = "2018-11-27"  # the quickstart's last bar is Monday 2018-11-26


def ledger_orders(data_dir: Path, account: str) -> list[Order]:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return list(SqliteLedger(database).orders(account=account))


def _import_next_session(run_cli: RunCli, tmp_path: Path, symbols: int = 4) -> None:
    """A daily update: one new bar for each of the first `symbols` of the quickstart's 4."""
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        last = SqliteBarStore(database).read_bars().groupby("symbol").tail(1).head(symbols)
    assert {f"{t:%Y-%m-%d}" for t in last["timestamp"]} == {"2018-11-26"}
    rows = ["symbol,date,open,high,low,close,volume"]
    for symbol, close in zip(last["symbol"], last["close"] * 1.01, strict=True):
        rows.append(f"{symbol},{NEXT_SESSION},{close},{close * 1.005},{close * 0.995},{close},1e6")
    (tmp_path / "next.csv").write_text("\n".join(rows) + "\n")
    imported = run_cli("data", "import", "next.csv")
    assert imported.returncode == 0, imported.stderr


def test_paper_builds_the_features_of_new_bars_and_trades_them_once(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    # The issue: "1 bars, 0 orders", then after `features build` "0 bars (1 done before)":
    # the session was replayed without signals, marked done and never traded.
    _import_next_session(traded_cli, tmp_path)

    first = traded_cli("paper", "--days", "1")
    features = pd.read_parquet(tmp_path / "data" / "features" / "features.parquet")
    rebuilt = traded_cli("features", "build")
    second = traded_cli("paper", "--days", "1")

    assert first.returncode == 0, first.stderr
    assert (
        "4 bar(s) to trade had no features: built the features of SYN00, SYN01, SYN02, SYN03"
    ) in first.stdout
    assert "Paper account paper: 1 bars, " in first.stdout
    new_rows = features[features["timestamp"] == pd.Timestamp(NEXT_SESSION, tz="UTC")]
    assert new_rows["symbol"].tolist() == ["SYN00", "SYN01", "SYN02", "SYN03"]
    assert new_rows["rank_return_5"].notna().all()
    # Signals were there: the bar was traded (the model's decisions become orders on it).
    orders = ledger_orders(tmp_path / "data", "paper")
    assert any(f"{o.created_at:%Y-%m-%d}" == NEXT_SESSION for o in orders)
    assert rebuilt.returncode == second.returncode == 0, second.stderr
    assert "Paper account paper: 0 bars (1 done before), 0 orders submitted" in second.stdout
    assert "had no features" not in second.stdout


def test_paper_with_every_bar_built_builds_nothing(traded_cli: RunCli) -> None:
    result = traded_cli("paper", "--account", "fresh", "--days", "3")

    assert result.returncode == 0, result.stderr
    assert "had no features" not in result.stdout
    assert "Paper account fresh: 3 bars" in result.stdout


def test_a_bar_for_one_symbol_is_traded_with_the_others_marked_at_their_last_close(
    traded_cli: RunCli, tmp_path: Path
) -> None:
    # Only SYN00 gets the new session's bar; the symbols the account holds without a bar in
    # that slice are valued at their last stored close, not refused ("no mark price").
    _import_next_session(traded_cli, tmp_path, symbols=1)
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        held = SqliteLedger(database).load_portfolio("paper")
    assert held is not None
    assert any(not p.is_flat for s, p in held.positions.items() if s != "SYN00")

    result = traded_cli("paper", "--days", "1")

    assert result.returncode == 0, result.stderr
    assert "Paper account paper: 1 bars, " in result.stdout
    assert "no mark price" not in result.stderr
