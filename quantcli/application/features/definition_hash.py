"""The definition hash: sha256 of a canonical JSON of every feature definition and the target."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from quantcli.application.features.definition import FeatureDefinition
from quantcli.application.features.targets import TargetDefinition

# Bump when the document's layout changes, so old and new hashes never collide by accident.
HASH_SCHEMA = 1


def definition_document(
    features: Iterable[FeatureDefinition], target: TargetDefinition
) -> dict[str, Any]:
    """Features sorted by name (their order in the table does not change what they are)."""
    return {
        "schema": HASH_SCHEMA,
        "features": sorted((f.describe() for f in features), key=lambda d: str(d["name"])),
        "target": target.describe(),
    }


def canonical_json(document: Any) -> str:
    """Sorted keys, no whitespace, ASCII only, no NaN: one text per document."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def definition_hash(features: Iterable[FeatureDefinition], target: TargetDefinition) -> str:
    text = canonical_json(definition_document(features, target))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
