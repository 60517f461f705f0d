"""The definition hash: stable, sensitive to every parameter, blind to order."""

from __future__ import annotations

import hashlib
import json

import attrs
import numpy as np

from quantcli.application.features import (
    FeatureDefinition,
    FeatureParameters,
    MacdParameters,
    TargetDefinition,
    build_registry,
    canonical_json,
    definition_hash,
    rank_feature,
)
from quantcli.application.features.feature_spec import FeatureSpec

DEFAULT = FeatureSpec()


def constant(bars: object) -> np.ndarray:
    return np.zeros(len(bars))  # type: ignore[arg-type]


def test_the_hash_is_sha256_of_the_canonical_json_of_features_and_target() -> None:
    document = {
        "schema": 1,
        "features": sorted((f.describe() for f in DEFAULT.features), key=lambda d: d["name"]),
        "target": DEFAULT.target.describe(),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))

    assert DEFAULT.definition_hash == hashlib.sha256(text.encode()).hexdigest()
    assert len(DEFAULT.definition_hash) == 64


def test_the_same_configuration_always_gives_the_same_hash() -> None:
    assert FeatureSpec().definition_hash == FeatureSpec.from_parameters().definition_hash


def test_changing_any_parameter_changes_the_hash() -> None:
    changed = [
        FeatureSpec.from_parameters(FeatureParameters(rsi_period=15)),
        FeatureSpec.from_parameters(
            FeatureParameters(macd=MacdParameters(fast=12, slow=26, signal=8))
        ),
        FeatureSpec.from_parameters(FeatureParameters(time_zone="America/New_York")),
        FeatureSpec.from_parameters(target=TargetDefinition(horizon=2)),
        FeatureSpec.from_parameters(
            target=TargetDefinition(kind="triple_barrier", profit_take=1.5)
        ),
        FeatureSpec.from_parameters(
            target=TargetDefinition(kind="triple_barrier", profit_take=1.0)
        ),
    ]

    hashes = {spec.definition_hash for spec in changed}

    assert len(hashes) == len(changed)
    assert DEFAULT.definition_hash not in hashes


def test_a_new_version_of_one_feature_changes_the_hash() -> None:
    features = list(DEFAULT.features)
    features[0] = attrs.evolve(features[0], version=2)

    assert FeatureSpec(tuple(features)).definition_hash != DEFAULT.definition_hash


def test_a_rank_carries_its_source_definition_into_the_hash() -> None:
    source = build_registry(FeatureParameters(ranks=())).get("return_20")
    rank = rank_feature(source)
    revised = rank_feature(attrs.evolve(source, version=2))
    target = TargetDefinition()

    assert definition_hash([revised], target) != definition_hash([rank], target)
    # Parameters of other features leave the rank as it was.
    other = build_registry(FeatureParameters(ranks=("return_20",), rsi_period=9))
    assert other.get("rank_return_20").describe() == rank.describe()


def test_dict_order_and_feature_order_do_not_change_the_hash() -> None:
    first = FeatureDefinition(
        name="a",
        version=1,
        family="price",
        inputs=("close",),
        lookback=3,
        compute=constant,
        params={"window": 3, "scale": 2.0, "nested": {"x": 1, "y": [1, 2]}},
    )
    second = FeatureDefinition(
        name="b",
        version=1,
        family="price",
        inputs=("close",),
        lookback=0,
        compute=constant,
    )
    reordered = attrs.evolve(
        first, params={"nested": {"y": [1, 2], "x": 1}, "scale": 2.0, "window": 3}
    )
    target = TargetDefinition()

    assert definition_hash([first, second], target) == definition_hash([second, reordered], target)
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'


def test_the_compute_function_is_not_part_of_the_hash_but_inputs_and_lookback_are() -> None:
    base = FeatureDefinition(
        name="a", version=1, family="price", inputs=("close",), lookback=3, compute=constant
    )
    target = TargetDefinition()
    same = attrs.evolve(base, compute=lambda bars: np.ones(len(bars)))

    assert definition_hash([same], target) == definition_hash([base], target)
    assert definition_hash([attrs.evolve(base, lookback=4)], target) != definition_hash(
        [base], target
    )
    assert definition_hash([attrs.evolve(base, inputs=("open",))], target) != definition_hash(
        [base], target
    )


def test_metadata_for_a_model_holds_the_hash_the_names_and_every_definition() -> None:
    metadata = DEFAULT.metadata()

    assert metadata["definition_hash"] == DEFAULT.definition_hash
    assert metadata["feature_names"] == list(DEFAULT.feature_names)
    assert metadata["target"] == {"kind": "direction", "version": 1, "horizon": 1}
    rsi = next(f for f in metadata["features"] if f["name"] == "rsi_14")
    assert rsi == {
        "name": "rsi_14",
        "version": 1,
        "family": "technical",
        "inputs": ["close"],
        "lookback": 14,
        "params": {"period": 14},
    }
    json.dumps(metadata)  # plain JSON values only
