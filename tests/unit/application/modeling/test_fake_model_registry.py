"""FakeModelRegistry keeps the stage rules of the real registry, for use-case tests."""

from __future__ import annotations

from types import ModuleType

import pytest

from quantcli.domain.errors import ModelError


def test_the_fake_registers_promotes_rolls_back_and_prunes_like_the_real_one(
    fakes: ModuleType,
) -> None:
    registry = fakes.FakeModelRegistry()
    model = fakes.fitted_model(["return_1"], name="m")
    for index in range(4):
        registry.register("m", model, {"index": index})
    registry.promote("m", 1)
    registry.promote("m", 2)

    assert registry.get("m").version == 2
    assert registry.load("m", 3) is model
    assert registry.prune("m", keep_last=1) == (3,)
    assert [(v.version, v.stage) for v in registry.list()] == [
        (1, "archived"),
        (2, "production"),
        (4, "candidate"),
    ]
    assert registry.rollback("m").version == 1
    assert registry.get("m", 4).metadata == {"index": 3}


def test_the_fake_raises_model_errors_for_unknown_names_and_versions(fakes: ModuleType) -> None:
    registry = fakes.FakeModelRegistry()
    registry.register("m", fakes.fitted_model(["return_1"], name="m"), {})

    with pytest.raises(ModelError, match="model ghost is not registered"):
        registry.get("ghost")
    with pytest.raises(ModelError, match="model m has no version 5; versions: 1"):
        registry.promote("m", 5)
    with pytest.raises(ModelError, match="no previous production version"):
        registry.rollback("m")
