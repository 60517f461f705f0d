"""The `features:` and `target:` sections of models.yaml: defaults, the spec, keyed errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from quantcli.application.features import FeatureParameters, TargetDefinition, TargetKind
from quantcli.application.features.feature_spec import FeatureSpec
from quantcli.domain.errors import ConfigError
from quantcli.entrypoints.container import build_feature_spec
from quantcli.entrypoints.settings import load_settings
from quantcli.entrypoints.settings.schema import FeatureSettings

WriteYaml = Callable[[Path, str], Path]


def error_for(tmp_path: Path, write_yaml: WriteYaml, text: str) -> str:
    write_yaml(tmp_path / "override" / "models.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "override", environ={})
    return str(caught.value)


def test_feature_settings_mirror_the_registry_parameters_field_for_field() -> None:
    settings_fields = [(a.name, a.default) for a in attrs.fields(FeatureSettings)]
    parameter_fields = {a.name: a.default for a in attrs.fields(FeatureParameters)}

    assert {name for name, _ in settings_fields} == set(parameter_fields)
    for name, default in settings_fields:
        assert default == parameter_fields[name], name


def test_the_default_config_builds_the_default_spec() -> None:
    settings = load_settings(environ={})

    spec = build_feature_spec(settings)

    assert settings.models.features.to_parameters() == FeatureParameters()
    assert settings.models.target.to_definition() == TargetDefinition()
    assert spec.feature_names == FeatureSpec().feature_names
    assert spec.definition_hash == FeatureSpec().definition_hash


def test_overrides_reach_the_spec(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(
        tmp_path / "models.yaml",
        """
        features:
          rsi_period: 9
          macd: {fast: 5, slow: 13, signal: 4}
          intraday: [hour]
          time_zone: Europe/London
          ranks: [return_5]
          exclude: [quarter]
        target:
          kind: triple_barrier
          horizon: 10
          triple_barrier: {profit_take: 1.5, stop_loss: 1, volatility_window: 30}
        """,
    )

    spec = build_feature_spec(load_settings(tmp_path, environ={}))

    assert "rsi_9" in spec.feature_names
    assert "hour" in spec.feature_names
    assert "quarter" not in spec.feature_names
    assert [n for n in spec.feature_names if n.startswith("rank_")] == ["rank_return_5"]
    macd = next(f for f in spec.features if f.name == "macd")
    assert macd.params == {"fast": 5, "slow": 13, "signal": 4}
    assert spec.target == TargetDefinition(
        kind=TargetKind.TRIPLE_BARRIER,
        horizon=10,
        profit_take=1.5,
        stop_loss=1.0,
        volatility_window=30,
    )
    assert spec.definition_hash != FeatureSpec().definition_hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("features:\n  rsi_periods: 3\n", "features.rsi_periods: unknown key"),
        ("features:\n  macd: {fast: 12, slo: 10}\n", "features.macd.slo: unknown key"),
        ("target:\n  triple_barrier: {take: 1}\n", "target.triple_barrier.take: unknown key"),
        (
            "features:\n  macd: {fast: 12, slow: 10}\n",
            "features.macd.slow: 10 is not above macd.fast 12",
        ),
        ("features:\n  bollinger: {nbdev: 0}\n", "features.bollinger.nbdev: 0.0 is not positive"),
        (
            "features:\n  ranks: [return_5, return_30]\n",
            "features.ranks[1]: 'return_30' is not a per-symbol feature of this configuration "
            "(did you mean return_20?)",
        ),
        (
            "features:\n  volume_window: 30\n",
            "features.ranks[2]: 'volume_zscore_20' is not a per-symbol feature of this "
            "configuration (did you mean volume_zscore_30?)",
        ),
        (
            "features:\n  exclude: [rsi_99]\n",
            "features.exclude[0]: 'rsi_99' is not a feature this configuration builds "
            "(did you mean rsi_14?)",
        ),
        (
            "features:\n  calendar: [day_of_week, weekday]\n",
            "features.calendar[1]: 'weekday' is not one of day_of_week, day_of_month, "
            "week_of_year, month, quarter",
        ),
        (
            "features:\n  families: [price, fundamentals]\n",
            "features.families[1]: 'fundamentals' is not one of price, volume, time, technical, "
            "stationary, cross_sectional",
        ),
        ("features:\n  families: []\n", "features.families: families and exclude leave no"),
        ("features:\n  time_zone: Mars/Base\n", "features.time_zone: 'Mars/Base' is not a known"),
        ("features:\n  session_open: '25:00'\n", "features.session_open: '25:00' is not a time"),
        ("features:\n  volatility_window: 1\n", "features.volatility_window: 1 is below 2"),
        ("features:\n  atr_periods: [14, 0]\n", "features.atr_periods[1]: 0 is not positive"),
        ("features:\n  return_horizons: [1, 5, 1]\n", "features.return_horizons[2]: 1 is listed"),
        ("features:\n  stoch: {fastk: x}\n", "features.stoch.fastk: 'x' is not an integer"),
        (
            "target:\n  kind: sideways\n",
            "target.kind: 'sideways' is not one of direction, forward_return, triple_barrier",
        ),
        (
            "target:\n  triple_barrier: {stop_loss: -1}\n",
            "target.triple_barrier.stop_loss: -1.0 is negative",
        ),
        (
            "target:\n  triple_barrier: {volatility_window: 1}\n",
            "target.triple_barrier.volatility_window: 1 is below 2",
        ),
    ],
    ids=lambda value: value.split("\n")[1].strip() if "\n" in value else value[:30],
)
def test_feature_and_target_errors_name_file_and_key(
    tmp_path: Path, write_yaml: WriteYaml, text: str, expected: str
) -> None:
    message = error_for(tmp_path, write_yaml, text)

    assert f"override/models.yaml: {expected}" in message, message
