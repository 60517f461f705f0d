"""Promoting (refused on failed gates unless forced) and pruning with the versions' files."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from quantcli.application.modeling.manage_models import (
    GatesFailed,
    promote_model,
    prune_models,
    recorded_gates,
    versions_to_prune,
)
from quantcli.application.modeling.train_ensemble import cpcv_paths_table
from quantcli.domain.errors import ModelError

PASSING = {"psr": {"value": 0.97, "threshold": 0.95, "comparison": ">=", "passed": True}}
FAILING = {
    "psr": {"value": 0.97, "threshold": 0.95, "comparison": ">=", "passed": True},
    "mean_sharpe": {"value": 0.49, "threshold": 1.0, "comparison": ">=", "passed": False},
}


def registry_with(fakes: ModuleType, *gates: dict[str, Any]) -> Any:
    registry = fakes.FakeModelRegistry()
    model = fakes.fitted_model(["return_1"], name="m")
    for each in gates:
        registry.register("m", model, {"gates": each})
    return registry


def test_a_version_whose_gates_passed_is_promoted_unforced(fakes: ModuleType) -> None:
    registry = registry_with(fakes, PASSING)

    promotion = promote_model(registry, "m", 1)

    assert promotion.version.stage == "production"
    assert promotion.previous is None
    assert promotion.forced_past == ()
    assert registry.history("m")[-1]["forced"] is False


def test_a_version_whose_gates_failed_is_refused_naming_them(fakes: ModuleType) -> None:
    registry = registry_with(fakes, PASSING, FAILING)
    registry.promote("m", 1)

    with pytest.raises(GatesFailed, match="model m version 2 fails gate") as refused:
        promote_model(registry, "m", 2)

    assert isinstance(refused.value, ModelError)
    assert [g.name for g in refused.value.failures] == ["mean_sharpe"]
    assert registry.get("m").version == 1  # nothing changed


def test_force_promotes_a_failing_version_and_records_it_as_forced(fakes: ModuleType) -> None:
    registry = registry_with(fakes, PASSING, FAILING)
    registry.promote("m", 1)

    promotion = promote_model(registry, "m", 2, force=True)

    assert promotion.previous == 1
    assert promotion.changed
    assert [g.name for g in promotion.forced_past] == ["mean_sharpe"]
    assert registry.get("m").version == 2
    assert registry.history("m")[-1] | {"at": None} == {
        "at": None,
        "event": "promote",
        "version": 2,
        "previous": 1,
        "forced": True,
    }


def test_promoting_the_production_version_again_changes_nothing(fakes: ModuleType) -> None:
    registry = registry_with(fakes, PASSING)
    registry.promote("m", 1)

    promotion = promote_model(registry, "m", 1)

    assert not promotion.changed
    assert len(registry.history("m")) == 1


def test_recorded_gates_read_full_partial_and_bare_entries(fakes: ModuleType) -> None:
    registry = registry_with(
        fakes, {"psr": {"value": 0.9, "passed": False}, "legacy": True, "odd": "x"}
    )

    gates = recorded_gates(registry.get("m", 1))

    assert (gates[0].value, gates[0].comparison, gates[0].passed) == (0.9, "", False)
    assert math.isnan(gates[0].threshold)
    assert [(g.name, g.passed) for g in gates] == [("psr", False), ("legacy", True), ("odd", None)]


def test_prune_removes_the_versions_and_their_cpcv_path_tables(fakes: ModuleType) -> None:
    registry = registry_with(fakes, PASSING, PASSING, PASSING, PASSING)
    registry.promote("m", 1)
    store = fakes.FakeFeatureStore()
    paths = pd.DataFrame({"path_0": [0.01, -0.02]})
    for version in (1, 2, 3, 4, 9):  # v9: left by a version pruned before paths were removed
        store.save(cpcv_paths_table("m", version), paths)
    store.save(cpcv_paths_table("other", 2), paths)
    store.save("features", paths)

    assert versions_to_prune(registry, "m", 1) == (2, 3)
    assert [v.version for v in registry.list("m")] == [1, 2, 3, 4]

    pruned = prune_models(registry, store, "m", 1)

    assert pruned.versions == (2, 3)
    assert pruned.tables == tuple(cpcv_paths_table("m", v) for v in (2, 3, 9))
    assert [v.version for v in registry.list("m")] == [1, 4]
    assert store.names() == sorted(
        ["features", cpcv_paths_table("m", 1), cpcv_paths_table("m", 4), "cpcv_paths__other__v2"]
    )
