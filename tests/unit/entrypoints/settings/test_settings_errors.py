"""Every configuration mistake is a ConfigError naming the file and the dotted key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from quantcli.domain.errors import ConfigError
from quantcli.entrypoints.settings import load_settings, loader

WriteYaml = Callable[[Path, str], Path]


def config_error(path: Path | None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={} if environ is None else environ)
    return str(caught.value)


def test_unknown_key_in_default_file_names_that_file(default_config_copy: Path) -> None:
    risk = default_config_copy / "risk.yaml"
    risk.write_text(risk.read_text().replace("max_position_weight", "max_positon_weight"))

    message = config_error(None)

    assert message == "config/risk.yaml: limits.max_positon_weight: unknown key"


def test_error_names_the_file_that_set_the_key_after_merging(
    default_config_copy: Path, tmp_path: Path, write_yaml: WriteYaml
) -> None:
    backtest = default_config_copy / "backtest.yaml"
    backtest.write_text(backtest.read_text().replace("days: 20", "days: 0"))
    write_yaml(tmp_path / "override" / "backtest.yaml", "commission:\n  per_share: abc\n")

    message = config_error(tmp_path / "override")

    assert sorted(message.splitlines()) == [
        "config/backtest.yaml: paper.days: 0 is not positive",
        "override/backtest.yaml: commission.per_share: 'abc' is not a number",
    ]


def test_unknown_key_in_override_directory(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "override" / "risk.yaml", "limits:\n  max_positon_weight: 0.2\n")

    message = config_error(tmp_path / "override")

    assert message.endswith("override/risk.yaml: limits.max_positon_weight: unknown key")


def test_unknown_key_in_single_file_override_keeps_the_section(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    override = write_yaml(tmp_path / "prod.yaml", "risk:\n  sizing:\n    kelly: 0.5\n")

    assert config_error(override).endswith("prod.yaml: risk.sizing.kelly: unknown key")


def test_unknown_section_in_single_file_override(tmp_path: Path, write_yaml: WriteYaml) -> None:
    override = write_yaml(tmp_path / "prod.yaml", "riks:\n  limits: {}\n")

    assert config_error(override).endswith("prod.yaml: riks: unknown key")


def test_unknown_file_in_override_directory(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "override" / "risks.yaml", "limits: {}\n")

    message = config_error(tmp_path / "override")

    assert "override/risks.yaml: unknown config file" in message
    assert "risk.yaml" in message


def nested_yaml(dotted_key: str, value: str) -> str:
    """'a.b: 1' as block YAML, so each case below reads as one line."""
    *parents, leaf = dotted_key.split(".")
    lines = [f"{'  ' * depth}{parent}:" for depth, parent in enumerate(parents)]
    return "\n".join([*lines, f"{'  ' * len(parents)}{leaf}: {value}"]) + "\n"


WRONG_TYPES = [
    ("backtest", "commission.per_share", "abc", "'abc' is not a number"),
    ("backtest", "initial_cash", ".nan", "nan is not a finite number"),
    ("models", "features.rsi_period", "14.5", "14.5 is not an integer"),
    ("models", "features.rsi_period", "true", "True is not an integer"),
    ("models", "features.sma_periods", "5,10", "'5,10' is not a list"),
    ("models", "features.ema_periods", "[12, x]", "'x' is not an integer"),
    ("models", "training", "5", "5 is not a mapping of keys"),
    ("backtest", "strategy.allow_short", "maybe", "'maybe' is not true or false"),
    ("data_sources", "synthetic.start", "2016-13-01", "'2016-13-01' is not a date (YYYY-MM-DD)"),
    ("quantcli", "log_level", "10", "10 is not a string"),
    ("risk", "limits.restricted_symbols", "", "null is not a list"),
    ("backtest", "costs.borrow_rate", "high", "'high' is not a number"),
    ("backtest", "costs.participation_rate", ".inf", "inf is not a finite number"),
    ("backtest", "costs.commission_tiers", "0.002", "0.002 is not a list"),
    ("backtest", "margin.max_leverage", "[2]", "[2] is not a number"),
]

OUT_OF_RANGE = [
    ("quantcli", "log_level", "VERBOSE", "'VERBOSE' is not one of DEBUG, INFO, WARNING, ERROR"),
    ("quantcli", "seed", "-1", "-1 is negative"),
    ("data_sources", "default_source", "polygon", "'polygon' is not one of synthetic, file"),
    ("data_sources", "synthetic.n_symbols", "0", "0 is not from 1 to 500"),
    ("data_sources", "synthetic.n_symbols", "501", "501 is not from 1 to 500"),
    # 500 years of bars would run past pandas' last timestamp (2262-04-11).
    ("data_sources", "synthetic.years", "500", "500.0 is not in (0, 100]"),
    ("data_sources", "synthetic.years", "0", "0.0 is not in (0, 100]"),
    (
        "data_sources",
        "file.timezone",
        "Mars/Olympus",
        "'Mars/Olympus' is not a known IANA timezone",
    ),
    ("models", "features.sma_periods", "[5, 0]", "0 is not positive"),
    ("models", "target.horizon", "0", "0 is not positive"),
    ("models", "training.n_splits", "1", "1 is below 2"),
    ("models", "training.embargo_bars", "-1", "-1 is negative"),
    ("models", "training.min_train_fraction", "1.0", "1.0 is not in (0, 1)"),
    ("models", "lightgbm.feature_fraction", "1.5", "1.5 is not in (0, 1]"),
    ("risk", "limits.max_position_weight", "0", "0.0 is not in (0, 1]"),
    ("risk", "limits.max_net_exposure", "2.0", "2.0 is above max_gross_exposure 1.5"),
    ("risk", "limits.max_order_notional", "-5", "-5 is not positive"),
    ("risk", "sizing.max_weight_per_symbol", "0.2", "0.2 is above limits.max_position_weight 0.1"),
    ("risk", "sizing.rebalance_band", "1.0", "1.0 is not in [0, 1)"),
    ("backtest", "commission.minimum", "-1", "-1 is negative"),
    ("backtest", "slippage_bps", "-0.5", "-0.5 is negative"),
    ("backtest", "strategy.long_threshold", "1.2", "1.2 is not in (0, 1)"),
    ("backtest", "strategy.short_threshold", "0.55", "0.55 is not below long_threshold 0.52"),
    ("backtest", "paper.days", "0", "0 is not positive"),
    (
        "backtest",
        "default_strategy",
        "'buy low'",
        "'buy low' is not model, sma_cross or pkg.module:function",
    ),
    ("backtest", "costs.commission_maximum_fraction", "0", "0.0 is not in (0, 1]"),
    ("backtest", "costs.spread_bps", "-1", "-1.0 is negative"),
    ("backtest", "costs.volume_slippage", "-0.1", "-0.1 is negative"),
    ("backtest", "costs.square_root_impact", "-1", "-1.0 is negative"),
    ("backtest", "costs.temporary_impact", "-1", "-1.0 is negative"),
    ("backtest", "costs.permanent_impact", "-1", "-1.0 is negative"),
    ("backtest", "costs.participation_rate", "1.5", "1.5 is not in (0, 1]"),
    ("backtest", "costs.participation_rate", "0", "0.0 is not in (0, 1]"),
    ("backtest", "costs.borrow_rate", "-0.02", "-0.02 is negative"),
    ("backtest", "margin.max_leverage", "0", "0.0 is not positive"),
    ("backtest", "report.benchmark", "'S P Y'", "'S P Y' is not a symbol"),
    ("backtest", "report.currency", "usd", "'usd' is not a 3-letter currency code"),
    ("backtest", "margin.initial_margin", "1.5", "1.5 is not in [0, 1]"),
    ("backtest", "margin.maintenance_margin", "1", "1.0 is not in [0, 1)"),
    ("backtest", "margin.maintenance_margin", "-0.25", "-0.25 is not in [0, 1)"),
    # Accepted at load time before, it failed only in `paper`, after an account row was written.
    ("trading", "calendar", "NOPE", "unknown calendar 'NOPE' (e.g. XNYS, XLON, XTKS, 24/7)"),
    ("trading", "calendar", "''", "unknown calendar '' (e.g. XNYS, XLON, XTKS, 24/7)"),
]


@pytest.mark.parametrize(
    "case", WRONG_TYPES + OUT_OF_RANGE, ids=lambda case: f"{case[1]}={case[2]}"
)
def test_bad_value_names_file_and_key(
    tmp_path: Path, write_yaml: WriteYaml, case: tuple[str, str, str, str]
) -> None:
    section, key, value, problem = case
    write_yaml(tmp_path / "override" / f"{section}.yaml", nested_yaml(key, value))

    message = config_error(tmp_path / "override")

    # Errors inside a list name the element: features.ema_periods[1].
    assert re.fullmatch(
        rf".*override/{section}\.yaml: {re.escape(key)}(\[\d+\])?: {re.escape(problem)}", message
    ), message


def test_all_problems_are_reported_together(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "o" / "risk.yaml", "limits:\n  max_gross_exposure: abc\n  typo: 1\n")
    write_yaml(tmp_path / "o" / "quantcli.yaml", "seed: x\n")

    lines = config_error(tmp_path / "o").splitlines()

    assert len(lines) == 3
    assert {line.split("/o/")[-1] for line in lines} == {
        "risk.yaml: limits.max_gross_exposure: 'abc' is not a number",
        "risk.yaml: limits.typo: unknown key",
        "quantcli.yaml: seed: 'x' is not an integer",
    }


def test_invalid_yaml_names_file_and_line(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "o" / "models.yaml", "features:\n  sma_periods: [5, 10\ntarget: {}\n")

    message = config_error(tmp_path / "o")

    assert "o/models.yaml: line 3" in message
    assert "invalid YAML" in message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, write_yaml: WriteYaml, text: str) -> None:
    override = write_yaml(tmp_path / "prod.yaml", text)

    assert "prod.yaml: top level is a" in config_error(override)


def test_unset_variable_without_default_names_file_key_and_variable(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "o" / "backtest.yaml", "paper:\n  account: ${IB_PAPER_ACCOUNT}\n")

    message = config_error(tmp_path / "o")

    assert message.endswith(
        "o/backtest.yaml: paper.account: environment variable IB_PAPER_ACCOUNT is not set "
        "and has no default"
    )


def test_unset_variable_inside_a_list_names_the_index(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    override = write_yaml(
        tmp_path / "p.yaml", nested_yaml("risk.limits.restricted_symbols", "[A, '${X}']")
    )

    message = config_error(override)

    assert "p.yaml: risk.limits.restricted_symbols[1]: environment variable X" in message


def test_malformed_substitution(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "o" / "quantcli.yaml", "database_file: ${DB_FILE\n")

    assert "o/quantcli.yaml: database_file: malformed substitution" in config_error(tmp_path / "o")


def test_substituted_value_of_the_wrong_type(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "o" / "quantcli.yaml", "seed: ${SEED:-many}\n")

    assert config_error(tmp_path / "o").endswith("o/quantcli.yaml: seed: 'many' is not an integer")


def test_missing_override_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"

    assert config_error(missing) == f"{missing}: override config path does not exist"


def test_missing_path_in_quantcli_config(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    message = config_error(None, environ={"QUANTCLI_CONFIG": str(missing)})

    assert message == f"QUANTCLI_CONFIG={missing}: no such file or directory"


def test_missing_default_config_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "DEFAULT_CONFIG_DIR", tmp_path / "config")

    assert "default config directory is missing" in config_error(None)


def test_missing_default_file(default_config_copy: Path) -> None:
    (default_config_copy / "models.yaml").unlink()

    assert config_error(None) == "config/models.yaml: default config file is missing"


@pytest.mark.parametrize(
    ("tiers", "key", "problem"),
    [
        (
            "[{from_shares: 100, per_share: 0.0035}]",
            "costs.commission_tiers[0].from_shares",
            "100.0 is not 0",
        ),
        (
            "[{from_shares: 0, per_share: 0.0035}, {from_shares: 0, per_share: 0.002}]",
            "costs.commission_tiers[1].from_shares",
            "0.0 is not above the previous tier's 0.0",
        ),
        (
            "[{from_shares: 0, per_share: -0.0035}]",
            "costs.commission_tiers[0].per_share",
            "-0.0035 is negative",
        ),
        ("[{from_shares: 0, rate: 0.0035}]", "costs.commission_tiers[0].rate", "unknown key"),
    ],
)
def test_bad_commission_tiers_name_the_tier(
    tmp_path: Path, write_yaml: WriteYaml, tiers: str, key: str, problem: str
) -> None:
    write_yaml(tmp_path / "o" / "backtest.yaml", f"costs:\n  commission_tiers: {tiers}\n")

    assert config_error(tmp_path / "o").endswith(f"o/backtest.yaml: {key}: {problem}")
