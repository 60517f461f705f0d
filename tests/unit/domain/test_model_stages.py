"""ModelLineage: version numbers, one production version, promotion, rollback and pruning."""

from __future__ import annotations

import pytest

from quantcli.domain.errors import ModelError, ValidationError
from quantcli.domain.model_stages import ARCHIVED, CANDIDATE, PRODUCTION, ModelLineage


def lineage_with(count: int, name: str = "direction-lgbm") -> ModelLineage:
    lineage = ModelLineage(name=name)
    for _ in range(count):
        lineage, _version = lineage.register()
    return lineage


def test_register_numbers_versions_from_one_as_candidates() -> None:
    lineage = ModelLineage(name="m")

    lineage, first = lineage.register()
    lineage, second = lineage.register()

    assert (first, second) == (1, 2)
    assert lineage.stages == {1: CANDIDATE, 2: CANDIDATE}
    assert lineage.production is None
    assert lineage.latest == 2


def test_promote_archives_the_previous_production_and_makes_it_the_rollback_target() -> None:
    lineage = lineage_with(3).promote(1).promote(3)

    assert lineage.stages == {1: ARCHIVED, 2: CANDIDATE, 3: PRODUCTION}
    assert lineage.production == 3
    assert lineage.rollback_target == 1


def test_promoting_the_production_version_changes_nothing() -> None:
    lineage = lineage_with(2).promote(1).promote(2)

    assert lineage.promote(2) == lineage


def test_rollback_undoes_promotions_most_recent_first() -> None:
    lineage = lineage_with(3).promote(1).promote(2).promote(3)

    lineage, restored = lineage.rollback()
    assert restored == 2
    assert lineage.stages == {1: ARCHIVED, 2: PRODUCTION, 3: ARCHIVED}

    lineage, restored = lineage.rollback()
    assert restored == 1
    assert lineage.production == 1
    assert lineage.rollback_target is None


def test_rollback_without_an_earlier_production_names_the_model_and_its_versions() -> None:
    with pytest.raises(ModelError, match=r"^model m has no previous production version") as e:
        lineage_with(2, name="m").promote(2).rollback()

    assert "version 2 is in production; versions: 1, 2" in str(e.value)
    with pytest.raises(ModelError, match="no version is"):
        lineage_with(1).rollback()


def test_re_promoting_an_earlier_version_does_not_leave_it_as_its_own_rollback_target() -> None:
    lineage = lineage_with(2).promote(1).promote(2).promote(1)

    assert lineage.production == 1
    assert lineage.rollback_targets == (2,)


def test_resolve_prefers_the_asked_version_then_production_then_the_latest() -> None:
    lineage = lineage_with(3)

    assert lineage.resolve(None) == 3
    assert lineage.promote(2).resolve(None) == 2
    assert lineage.promote(2).resolve(1) == 1


def test_an_unknown_version_error_lists_the_versions_there_are() -> None:
    lineage, _dropped = lineage_with(5).promote(1).promote(2).prune(keep_last=1)

    with pytest.raises(ModelError) as caught:
        lineage.resolve(7)

    assert str(caught.value) == "model direction-lgbm has no version 7; versions: 1, 2, 5"


def test_resolve_on_a_lineage_without_versions_raises() -> None:
    with pytest.raises(ModelError, match="model m has no versions"):
        ModelLineage(name="m").resolve(None)


def test_prune_keeps_the_newest_versions_production_and_the_rollback_target() -> None:
    lineage = lineage_with(8).promote(2).promote(4)

    pruned, dropped = lineage.prune(keep_last=2)

    assert dropped == (1, 3, 5, 6)
    assert pruned.versions == (2, 4, 7, 8)
    assert pruned.production == 4
    assert pruned.rollback_target == 2


def test_prune_forgets_older_rollback_targets_it_deletes() -> None:
    lineage = lineage_with(6).promote(1).promote(2).promote(3)

    pruned, dropped = lineage.prune(keep_last=1)

    assert dropped == (1, 4, 5)
    assert pruned.rollback_targets == (2,)


def test_version_numbers_are_never_reused_after_a_prune() -> None:
    lineage, _dropped = lineage_with(3).prune(keep_last=1)
    lineage, _dropped = lineage.prune(keep_last=1)

    _lineage, version = lineage.register()

    assert version == 4


@pytest.mark.parametrize("keep_last", [0, -1])
def test_prune_refuses_to_keep_fewer_than_one_version(keep_last: int) -> None:
    with pytest.raises(ValidationError, match=f"keep_last must be >= 1, got {keep_last}"):
        lineage_with(2).prune(keep_last)


@pytest.mark.parametrize(
    ("stages", "last_version", "targets", "problem"),
    [
        ({1: PRODUCTION, 2: PRODUCTION}, 2, (), "versions 1, 2 are all in production"),
        ({1: "staging"}, 1, (), "stage 'staging'"),
        ({0: CANDIDATE}, 1, (), "version 0 is not a positive integer"),
        ({3: CANDIDATE}, 2, (), "last_version 2 is below version 3"),
        ({1: CANDIDATE, 2: PRODUCTION}, 2, (1,), "rollback target 1 is not an archived"),
        ({1: ARCHIVED}, 1, (1,), "without a production version"),
    ],
    ids=[
        "two-productions",
        "unknown-stage",
        "version-zero",
        "last-too-low",
        "bad-target",
        "orphan",
    ],
)
def test_contradictory_parts_are_refused(
    stages: dict[int, str], last_version: int, targets: tuple[int, ...], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        ModelLineage(
            name="m",
            stages=stages,  # type: ignore[arg-type]
            last_version=last_version,
            rollback_targets=targets,
        )
