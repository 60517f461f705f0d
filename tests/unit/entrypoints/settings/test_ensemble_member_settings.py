"""The xgboost: and catboost: sections of models.yaml: defaults, overrides and bad values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from quantcli.domain.errors import ConfigError
from quantcli.entrypoints.settings import load_settings
from quantcli.entrypoints.settings.schema import CatBoostSettings, XGBoostSettings

WriteYaml = Callable[[Path, str], Path]


def test_default_files_give_the_documented_member_settings() -> None:
    models = load_settings(environ={}).models

    assert attrs.asdict(models.xgboost) == {
        "num_boost_round": 150,
        "learning_rate": 0.05,
        "max_depth": 4,
        "min_child_weight": 5.0,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
        "seed": None,
        "threads": 1,
    }
    assert attrs.asdict(models.catboost) == {
        "iterations": 150,
        "learning_rate": 0.05,
        "depth": 4,
        "l2_leaf_reg": 3.0,
        "subsample": 0.8,
        "rsm": 0.8,
        "min_data_in_leaf": 200,
        "grow_policy": "Depthwise",
        "seed": None,
        "threads": 1,
    }
    assert models.xgboost == XGBoostSettings()
    assert models.catboost == CatBoostSettings()


def test_an_override_file_sets_seed_and_threads(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(
        tmp_path / "override" / "models.yaml",
        """
        xgboost:
          seed: 7
          threads: 2
        catboost:
          grow_policy: SymmetricTree
          depth: 6
        """,
    )

    models = load_settings(tmp_path / "override", environ={}).models

    assert (models.xgboost.seed, models.xgboost.threads) == (7, 2)
    assert (models.catboost.grow_policy, models.catboost.depth) == ("SymmetricTree", 6)
    assert models.catboost.seed is None


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        ("xgboost:\n  subsample: 0\n", "xgboost.subsample: 0.0 is not in (0, 1]"),
        ("xgboost:\n  threads: 0\n", "xgboost.threads: 0 is not positive"),
        ("xgboost:\n  seed: -1\n", "xgboost.seed: -1 is negative"),
        ("xgboost:\n  max_leaves: 8\n", "xgboost.max_leaves: unknown key"),
        ("catboost:\n  depth: 17\n", "catboost.depth: 17 is not in [1, 16]"),
        (
            "catboost:\n  grow_policy: Oblivious\n",
            "catboost.grow_policy: 'Oblivious' is not one of SymmetricTree, Depthwise, Lossguide",
        ),
        ("catboost:\n  rsm: 1.5\n", "catboost.rsm: 1.5 is not in (0, 1]"),
    ],
)
def test_bad_member_settings_name_file_and_key(
    tmp_path: Path, write_yaml: WriteYaml, yaml_text: str, problem: str
) -> None:
    write_yaml(tmp_path / "override" / "models.yaml", yaml_text)

    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "override", environ={})

    assert str(caught.value).endswith(f"override/models.yaml: {problem}")
