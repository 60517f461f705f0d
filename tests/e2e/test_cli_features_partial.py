"""`quantcli features build --symbol SYM` keeps every stored symbol and equals a full build."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from quantcli.adapters.storage import SqliteBarStore, SqliteDatabase

RunCli = Callable[..., subprocess.CompletedProcess[str]]
NO_RANKS = """\
models:
  features:
    ranks: []
    families: [price, volume, time, technical, stationary]
"""


def _feature_table(tmp_path: Path) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "data" / "features" / "features.parquet")


def _revise_syn03(run_cli: RunCli, tmp_path: Path, *config: str) -> None:
    """Replace SYN03's stored series by one whose second half is 30% higher."""
    with SqliteDatabase(tmp_path / "data" / "quantcli.db") as database:
        bars = SqliteBarStore(database).read_bars(["SYN03"])
    later = bars.index >= len(bars) // 2
    bars.loc[later, ["open", "high", "low", "close"]] *= 1.3
    bars.drop(columns="symbol").to_csv(tmp_path / "syn03.csv", index=False)
    revised = run_cli(*config, "data", "import", "syn03.csv", "--symbol", "SYN03", "--replace")
    assert revised.returncode == 0, revised.stderr


@pytest.mark.parametrize("ranks", [True, False], ids=["with-ranks", "per-symbol-only"])
def test_features_build_for_one_symbol_keeps_the_others_and_equals_a_full_build(
    run_cli: RunCli, tmp_path: Path, ranks: bool
) -> None:
    config: tuple[str, ...] = ()
    if not ranks:
        (tmp_path / "no_ranks.yaml").write_text(NO_RANKS)
        config = ("--config", "no_ranks.yaml")
    assert run_cli(*config, "data", "generate", "--symbols", "5", "--years", "1").returncode == 0
    assert run_cli(*config, "features", "build").returncode == 0
    _revise_syn03(run_cli, tmp_path, *config)

    partial = run_cli(*config, "features", "build", "--symbol", "SYN03")
    after_partial = _feature_table(tmp_path)
    full = run_cli(*config, "features", "build")

    assert partial.returncode == full.returncode == 0, partial.stderr
    assert sorted(after_partial["symbol"].unique()) == [f"SYN0{i}" for i in range(5)]
    assert_frame_equal(after_partial, _feature_table(tmp_path), check_exact=True)
    if ranks:
        assert "Rebuilding all 5 stored symbols: the cross-sectional features (rank_return_5, " in (
            partial.stdout
        )
        assert "target for 5 symbol(s)" in partial.stdout
    else:
        assert "Rebuilding" not in partial.stdout
        assert "target for 1 symbol(s): " in partial.stdout
        assert "with the kept rows of 4 other symbol(s)" in partial.stdout
