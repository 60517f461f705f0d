"""`features check` names a leaking feature; `train` refuses a feature table of another config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from dependency_injector import providers

from quantcli.application.features import FeatureDefinition, FeatureParameters, SymbolBars
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.main import cli
from quantcli.entrypoints.container import Container, build_container
from quantcli.entrypoints.settings import load_settings


def container_in(tmp_path: Path) -> Container:
    return build_container(load_settings(environ={"QUANTCLI_DATA_DIR": str(tmp_path / "data")}))


def centered_mean(bars: SymbolBars) -> np.ndarray:
    return pd.Series(bars.close).rolling(5, center=True).mean().to_numpy()


def test_features_check_exits_non_zero_naming_the_leaking_feature(tmp_path: Path) -> None:
    container = container_in(tmp_path)
    leaky = FeatureDefinition(
        name="centered_sma_5", version=1, family="technical", inputs=("close",), lookback=2,
        compute=centered_mean,
    )  # fmt: skip
    container.feature_spec.override(providers.Object(FeatureSpec().with_features(leaky)))

    result = CliRunner().invoke(
        cli,
        ["features", "check", "--synthetic", "--bars", "150", "--cuts", "5"],
        obj=AppContext(container=container),
    )

    assert result.exit_code == 1
    assert "Error: look-ahead in centered_sma_5:" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("centered_sma_5")]
    assert len(lines) == 1
    assert "perturbed" in lines[0]


def test_train_refuses_features_built_with_another_definition(tmp_path: Path) -> None:
    container = container_in(tmp_path)
    app = AppContext(container=container)
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["data", "generate", "--symbols", "2", "--years", "1"], obj=app
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["features", "build"], obj=app).exit_code == 0
    other = FeatureSpec.from_parameters(FeatureParameters(rsi_period=9))
    container.feature_spec.override(providers.Object(other))

    result = runner.invoke(cli, ["train"], obj=app)

    assert result.exit_code == 1
    assert "the feature table was built with definition hash" in result.output
    assert f"the configuration now gives {other.definition_hash[:12]}" in result.output
    assert "run `quantcli features build` again" in result.output
