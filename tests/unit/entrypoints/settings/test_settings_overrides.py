"""Overrides (directory, single file, QUANTCLI_CONFIG) and ${ENV} substitution."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.entrypoints.settings import Settings, load_settings
from quantcli.entrypoints.settings.loader import ConfigWarning

WriteYaml = Callable[[Path, str], Path]

DEFAULTS = Settings()


def test_override_directory_deep_merges_onto_defaults(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "risk.yaml", "limits:\n  max_position_weight: 0.2\n")
    write_yaml(tmp_path / "backtest.yaml", "commission:\n  bps: 1.5\n")

    settings = load_settings(tmp_path, environ={})

    assert settings.risk.limits.max_position_weight == 0.2
    # Siblings of an overridden key keep their defaults.
    assert settings.risk.limits.max_gross_exposure == DEFAULTS.risk.limits.max_gross_exposure
    assert settings.risk.sizing == DEFAULTS.risk.sizing
    assert settings.backtest.commission.bps == Decimal("1.5")
    assert settings.backtest.commission.per_share == Decimal("0.005")
    assert settings.models == DEFAULTS.models


def test_single_file_override_names_sections_at_top_level(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    override = write_yaml(
        tmp_path / "production.yaml",
        """
        quantcli:
          log_level: WARNING
        models:
          features:
            rsi_period: 7
        risk:
          limits:
            restricted_symbols: [GME, AMC]
        """,
    )

    settings = load_settings(override, environ={})

    assert settings.quantcli.log_level == "WARNING"
    assert settings.quantcli.seed == 42
    assert settings.models.features.rsi_period == 7
    assert settings.models.features.sma_periods == (5, 10, 20, 50)
    assert settings.risk.to_risk_limits().restricted_symbols == frozenset({"GME", "AMC"})


def test_lists_are_replaced_not_appended(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "models.yaml", "features:\n  sma_periods: [3]\n")

    assert load_settings(tmp_path, environ={}).models.features.sma_periods == (3,)


def test_empty_override_file_changes_nothing_but_warns_naming_it(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "risk.yaml", "# nothing overridden yet\n")

    with pytest.warns(ConfigWarning, match=r"risk\.yaml is empty; using the defaults$"):
        assert load_settings(tmp_path, environ={}) == DEFAULTS


@pytest.mark.parametrize("text", ["", "# only a comment\n", "null\n", "~\n"])
def test_an_empty_single_file_override_is_reported_to_the_warn_callback(
    tmp_path: Path, write_yaml: WriteYaml, text: str
) -> None:
    override = write_yaml(tmp_path / "override.yaml", text)
    warned: list[str] = []

    assert load_settings(override, environ={}, warn=warned.append) == DEFAULTS
    assert len(warned) == 1
    assert warned[0].endswith("override.yaml is empty; using the defaults")


def test_an_explicitly_empty_mapping_is_no_warning(tmp_path: Path, write_yaml: WriteYaml) -> None:
    override = write_yaml(tmp_path / "override.yaml", "{}\n")
    warned: list[str] = []

    assert load_settings(override, environ={}, warn=warned.append) == DEFAULTS
    assert warned == []


@pytest.mark.parametrize("calendar", ["XLON", "NYSE", "24/7"])
def test_exchange_calendar_codes_and_aliases_are_accepted(
    tmp_path: Path, write_yaml: WriteYaml, calendar: str
) -> None:
    override = write_yaml(tmp_path / "override.yaml", f"trading:\n  calendar: '{calendar}'\n")

    assert load_settings(override, environ={}).trading.calendar == calendar


def test_quantcli_config_environment_variable_selects_the_override(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    override = write_yaml(tmp_path / "ci.yaml", "quantcli:\n  seed: 7\n")

    assert load_settings(environ={"QUANTCLI_CONFIG": str(override)}).quantcli.seed == 7


def test_explicit_path_wins_over_quantcli_config(tmp_path: Path, write_yaml: WriteYaml) -> None:
    from_env = write_yaml(tmp_path / "env.yaml", "quantcli:\n  seed: 7\n")
    explicit = write_yaml(tmp_path / "explicit.yaml", "quantcli:\n  seed: 8\n")

    settings = load_settings(explicit, environ={"QUANTCLI_CONFIG": str(from_env)})

    assert settings.quantcli.seed == 8


def test_data_dir_comes_from_environment_when_set() -> None:
    settings = load_settings(environ={"QUANTCLI_DATA_DIR": "/srv/quantcli"})

    assert settings.quantcli.data_dir == Path("/srv/quantcli")
    assert settings.database_path == Path("/srv/quantcli/quantcli.db")


def test_substitution_default_applies_when_variable_is_unset_or_empty(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "backtest.yaml", "paper:\n  account: ${PAPER_ACCOUNT:-demo}\n")

    assert load_settings(tmp_path, environ={}).backtest.paper.account == "demo"
    assert load_settings(tmp_path, environ={"PAPER_ACCOUNT": ""}).backtest.paper.account == "demo"
    settings = load_settings(tmp_path, environ={"PAPER_ACCOUNT": "DU123"})
    assert settings.backtest.paper.account == "DU123"


def test_substitution_without_default_uses_the_variable(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "backtest.yaml", "report_file: reports/${RUN_ID}.html\n")

    settings = load_settings(tmp_path, environ={"RUN_ID": "nightly"})

    assert settings.backtest.report_file == "reports/nightly.html"


def test_whole_value_substitution_is_converted_to_the_field_type(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(
        tmp_path / "all.yaml",
        """
        quantcli:
          seed: ${SEED:-5}
        data_sources:
          synthetic:
            years: ${YEARS}
            start: ${START:-2020-01-02}
        backtest:
          initial_cash: ${CASH}
          strategy:
            allow_short: ${ALLOW_SHORT:-false}
        """,
    )

    settings = load_settings(tmp_path / "all.yaml", environ={"YEARS": "2.5", "CASH": "50000.50"})

    assert settings.quantcli.seed == 5
    assert settings.data_sources.synthetic.years == 2.5
    assert settings.data_sources.synthetic.start == date(2020, 1, 2)
    assert settings.backtest.initial_cash == Decimal("50000.50")
    assert settings.backtest.strategy.allow_short is False


def test_environ_defaults_to_the_process_environment(
    tmp_path: Path, write_yaml: WriteYaml, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_yaml(tmp_path / "quantcli.yaml", "seed: ${QUANTCLI_TEST_SEED}\n")
    monkeypatch.setenv("QUANTCLI_TEST_SEED", "99")
    monkeypatch.delenv("QUANTCLI_CONFIG", raising=False)

    assert load_settings(tmp_path).quantcli.seed == 99
