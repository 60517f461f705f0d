"""Which model version a command uses: resolved once, its model and predictions from it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from quantcli.application.modeling.model_versions import chosen_model, chosen_predictions
from quantcli.domain.errors import ModelError


def table(probability: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["AAA"],
            "timestamp": [pd.Timestamp("2024-01-02", tz="UTC")],
            "probability_up": [probability],
        }
    )


@pytest.fixture
def registry(fakes: ModuleType) -> Any:
    registry = fakes.FakeModelRegistry()
    for probability in (0.2, 0.7):
        registry.register(
            "m", fakes.fitted_model(["return_1"], name="m"), {}, predictions=table(probability)
        )
    return registry


def test_without_a_version_the_latest_is_chosen_until_one_is_in_production(
    registry: Any,
) -> None:
    version, predictions = chosen_predictions(registry, "m")
    assert (version.label, predictions["probability_up"].tolist()) == ("m v2 (candidate)", [0.7])

    registry.promote("m", 1)

    version, predictions = chosen_predictions(registry, "m")
    assert (version.label, predictions["probability_up"].tolist()) == ("m v1 (production)", [0.2])
    version, model = chosen_model(registry, "m")
    assert version.label == "m v1 (production)"
    assert model is registry.models["m", 1]


def test_a_version_is_chosen_by_number(registry: Any) -> None:
    registry.promote("m", 1)

    version, predictions = chosen_predictions(registry, "m", 2)

    assert (version.label, predictions["probability_up"].tolist()) == ("m v2 (candidate)", [0.7])


def test_an_unknown_version_is_a_model_error(registry: Any) -> None:
    with pytest.raises(ModelError, match="model m has no version 9; versions: 1, 2"):
        chosen_predictions(registry, "m", 9)
