"""`quantcli data import`: real files in, clear errors out, and the store all-or-nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import backtesting.test
import pandas as pd
import pytest

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase

RunCli = Callable[..., subprocess.CompletedProcess[str]]
GOOD_ROWS = [
    "date,open,high,low,close,volume",
    "2024-01-02,10.0,10.5,9.8,10.2,1000",
    "2024-01-03,10.2,10.6,10.0,10.4,1200",
    "2024-01-04,10.4,10.9,10.3,10.8,900",
]
GOOG_CSV = Path(backtesting.test.__file__).parent / "GOOG.csv"


def _stored_bars(tmp_path: Path) -> pd.DataFrame:
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        return SqliteBarStore(database).read_bars()


def test_goog_imports_and_round_trips_exactly(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("data", "import", str(GOOG_CSV))

    assert result.returncode == 0, result.stderr
    expected = pd.read_csv(GOOG_CSV, index_col=0, parse_dates=True)
    stored = _stored_bars(tmp_path)
    assert "Stored 2,148 bars of 1 symbol(s)" in result.stdout
    assert stored["symbol"].unique().tolist() == ["GOOG"]
    assert stored["timestamp"].dt.tz_convert(None).tolist() == expected.index.tolist()
    for column in ("Open", "High", "Low", "Close", "Volume"):
        assert stored[column.lower()].tolist() == expected[column].astype(float).tolist()


BAD_FILES = {
    "missing_column": (
        ["date,open,high,low,close", "2024-01-02,10.0,10.5,9.8,10.2"],
        "missing column(s) volume",
    ),
    "non_numeric_price": (
        [*GOOD_ROWS[:2], "2024-01-03,10.2,10.6,10.0,abc,1200", GOOD_ROWS[3]],
        "row 3: close 'abc' is not a number",
    ),
    "high_below_low": (
        [*GOOD_ROWS[:3], "2024-01-04,10.4,10.1,10.3,10.3,900"],
        "row 4: high 10.1 < low 10.3",
    ),
    "duplicated_timestamp": (
        [*GOOD_ROWS[:3], "2024-01-03,10.4,10.9,10.3,10.8,900"],
        "row 4: duplicated timestamp",
    ),
    "unparseable_date": (
        [*GOOD_ROWS[:2], "2024-13-45,10.2,10.6,10.0,10.4,1200", GOOD_ROWS[3]],
        "row 3",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_with_file_row_and_problem_and_store_is_untouched(
    run_cli: RunCli, tmp_path: Path, case: str
) -> None:
    seeded = tmp_path / "seed.csv"
    seeded.write_text("\n".join(GOOD_ROWS) + "\n")
    assert run_cli("data", "import", str(seeded), "--symbol", "SEED").returncode == 0
    before = _stored_bars(tmp_path)
    lines, message = BAD_FILES[case]
    bad = tmp_path / f"{case}.csv"
    bad.write_text("\n".join(lines) + "\n")

    result = run_cli("data", "import", str(bad), "--symbol", "SEED")

    assert result.returncode != 0
    assert f"{case}.csv" in result.stderr
    assert message in result.stderr
    pd.testing.assert_frame_equal(_stored_bars(tmp_path), before, check_exact=True)


def test_fixed_file_imports_after_the_bad_one_was_refused(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("\n".join([*GOOD_ROWS[:2], "2024-01-03,10.2,10.6,10.0,abc,1200"]) + "\n")
    assert run_cli("data", "import", str(path)).returncode != 0

    path.write_text("\n".join(GOOD_ROWS) + "\n")
    result = run_cli("data", "import", str(path))

    assert result.returncode == 0, result.stderr
    assert len(_stored_bars(tmp_path)) == 3


def test_missing_file_is_an_error_naming_it(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("data", "import", str(tmp_path / "nowhere.csv"))

    assert result.returncode == 1
    assert "nowhere.csv" in result.stderr
