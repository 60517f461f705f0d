"""The bar store never splices two unrelated series: a synthetic run replaces the series it
generates; an import that disagrees with the stored bars is refused unless --replace."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase

RunCli = Callable[..., subprocess.CompletedProcess[str]]
STORED = [
    "date,open,high,low,close,volume",
    "2024-01-02,10.0,10.5,9.8,10.2,1000",
    "2024-01-03,10.2,10.6,10.0,10.4,1200",
    "2024-01-04,10.4,10.9,10.3,10.8,900",
]


def _stored_bars(data_dir: Path) -> pd.DataFrame:
    with SqliteDatabase(data_dir / "quantcli.db") as database:
        return SqliteBarStore(database).read_bars()


def test_a_second_synthetic_run_replaces_the_series_it_generates(
    run_cli: RunCli, tmp_path: Path
) -> None:
    first = run_cli("data", "generate", "--symbols", "3", "--years", "2")
    syn02 = _stored_bars(tmp_path / "data").query("symbol == 'SYN02'").reset_index(drop=True)

    second = run_cli("data", "generate", "--symbols", "2", "--years", "1")
    fresh_dir = tmp_path / "fresh"
    fresh = run_cli(
        "data",
        "generate",
        "--symbols",
        "2",
        "--years",
        "1",
        env={"QUANTCLI_DATA_DIR": str(fresh_dir)},
    )

    assert first.returncode == second.returncode == fresh.returncode == 0, second.stderr
    assert "Replaced the stored series of SYN00, SYN01: 1,008 earlier bars removed" in second.stdout
    assert "Kept 1 other stored symbol(s) as they were: SYN02" in second.stdout
    assert "Replaced" not in first.stdout
    stored = _stored_bars(tmp_path / "data")
    # SYN00 and SYN01 are exactly the second run's series, not a splice of both runs.
    assert_frame_equal(
        stored[stored["symbol"] != "SYN02"].reset_index(drop=True),
        _stored_bars(fresh_dir),
        check_exact=True,
    )
    assert_frame_equal(
        stored[stored["symbol"] == "SYN02"].reset_index(drop=True), syn02, check_exact=True
    )


def test_an_import_of_a_different_series_is_refused_then_replaced_on_request(
    run_cli: RunCli, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("\n".join(STORED) + "\n")
    assert run_cli("data", "import", str(prices), "--symbol", "ACME").returncode == 0
    before = _stored_bars(tmp_path / "data")
    other = tmp_path / "other.csv"
    other.write_text(
        "date,open,high,low,close,volume\n"
        "2024-01-04,40.0,41.0,39.0,40.5,500\n"
        "2024-01-05,40.5,42.0,40.0,41.5,600\n"
    )

    refused = run_cli("data", "import", str(other), "--symbol", "ACME")
    replaced = run_cli("data", "import", str(other), "--symbol", "ACME", "--replace")

    assert refused.returncode == 1
    assert (
        "other.csv: ACME 2024-01-04 00:00 close 40.5 differs from the stored close 10.8 by 275.0%"
    ) in refused.stderr
    assert "--replace" in refused.stderr
    assert replaced.returncode == 0, replaced.stderr
    assert "Replaced the stored series of ACME: 3 earlier bars removed" in replaced.stdout
    after = _stored_bars(tmp_path / "data")
    assert after["close"].tolist() == [40.5, 41.5]
    assert len(before) == 3


def test_an_import_that_extends_the_series_is_a_daily_update(
    run_cli: RunCli, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("\n".join(STORED) + "\n")
    assert run_cli("data", "import", str(prices), "--symbol", "ACME").returncode == 0
    update = tmp_path / "update.csv"
    update.write_text(
        "\n".join([STORED[0], STORED[3], "2024-01-05,10.8,11.2,10.7,11.0,800"]) + "\n"
    )

    result = run_cli("data", "import", str(update), "--symbol", "ACME")

    assert result.returncode == 0, result.stderr
    assert "Stored 2 bars of 1 symbol(s) from file:update.csv" in result.stdout
    assert "(1 already stored, updated)" in result.stdout
    assert _stored_bars(tmp_path / "data")["close"].tolist() == [10.2, 10.4, 10.8, 11.0]
