"""The default YAML files in config/ load into the documented settings."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from quantcli.domain.costs import CommissionSchedule, SlippageModel
from quantcli.domain.risk import RiskLimits
from quantcli.entrypoints.settings import Settings, load_settings
from quantcli.entrypoints.settings.loader import DEFAULT_CONFIG_DIR, SECTIONS


@pytest.fixture(scope="module")
def defaults() -> Settings:
    return load_settings(environ={})


def test_every_section_has_a_default_file() -> None:
    assert sorted(p.name for p in DEFAULT_CONFIG_DIR.glob("*.yaml")) == sorted(
        f"{section}.yaml" for section in SECTIONS
    )


def test_default_files_match_the_schema_defaults(defaults: Settings) -> None:
    assert defaults == Settings()


def test_quantcli_defaults(defaults: Settings) -> None:
    general = defaults.quantcli
    assert general.data_dir == Path(".quantcli")
    assert general.database_file == "quantcli.db"
    assert general.log_level == "INFO"
    assert general.seed == 42
    assert defaults.database_path == Path(".quantcli/quantcli.db")


def test_data_source_defaults(defaults: Settings) -> None:
    sources = defaults.data_sources
    assert sources.default_source == "synthetic"
    assert sources.synthetic.n_symbols == 20
    assert sources.synthetic.years == 8.0
    assert sources.synthetic.start == date(2016, 1, 4)
    assert sources.synthetic.signal_strength == 0.5
    assert sources.file.timezone == "UTC"


def test_model_defaults(defaults: Settings) -> None:
    models = defaults.models
    assert models.features.sma_periods == (5, 10, 20, 50)
    assert models.features.ema_periods == (12, 26)
    assert models.features.rsi_period == 14
    assert models.features.volatility_window == 20
    assert models.features.return_horizons == (1, 5, 10, 20)
    assert models.target.horizon == 1
    assert attrs.asdict(models.training) == {
        "n_splits": 5,
        "purge_bars": 1,
        "embargo_bars": 5,
        "min_train_fraction": 0.3,
    }
    assert attrs.asdict(models.lightgbm) == {
        "num_boost_round": 150,
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 200,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
    }


def test_risk_defaults_become_domain_risk_limits(defaults: Settings) -> None:
    assert defaults.risk.sizing.max_weight_per_symbol == 0.05
    assert defaults.risk.sizing.rebalance_band == 0.005
    assert defaults.backtest.default_strategy == "model"
    assert defaults.risk.to_risk_limits() == RiskLimits(
        max_position_weight=0.10,
        max_gross_exposure=1.5,
        max_net_exposure=1.0,
        max_order_quantity=Decimal(100_000),
        max_order_notional=Decimal(250_000),
        restricted_symbols=frozenset(),
    )


def test_backtest_defaults(defaults: Settings) -> None:
    backtest = defaults.backtest
    assert backtest.initial_cash == Decimal(1_000_000)
    assert backtest.commission.to_schedule() == CommissionSchedule(
        per_share=Decimal("0.005"), minimum=Decimal("1.0"), bps=Decimal(0)
    )
    assert backtest.to_slippage_model() == SlippageModel(bps=Decimal(2))
    assert backtest.strategy.long_threshold == 0.52
    assert backtest.strategy.short_threshold == 0.48
    assert backtest.strategy.allow_short is True
    assert backtest.paper.account == "paper"
    assert backtest.paper.days == 20
    assert defaults.report_path == Path(".quantcli/reports/backtest.html")
    # The report compares with an equal-weight buy-and-hold of the backtest's symbols.
    assert backtest.report.benchmark is None
    assert backtest.report.currency == "USD"


def test_extra_cost_models_and_margin_rules_are_off_by_default(defaults: Settings) -> None:
    assert attrs.asdict(defaults.backtest.costs) == {
        "commission_maximum_fraction": None,
        "commission_tiers": (),
        "spread_bps": 0.0,
        "volume_slippage": 0.0,
        "square_root_impact": 0.0,
        "temporary_impact": 0.0,
        "permanent_impact": 0.0,
        "participation_rate": None,
        "borrow_rate": 0.0,
    }
    assert attrs.asdict(defaults.backtest.margin) == {
        "max_leverage": None,
        "initial_margin": 0.0,
        "maintenance_margin": 0.0,
    }


def test_costs_are_exact_decimals_not_binary_floats(defaults: Settings) -> None:
    assert str(defaults.backtest.commission.per_share) == "0.005"


def test_settings_are_immutable(defaults: Settings) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        defaults.quantcli.seed = 1  # type: ignore[misc]


def test_default_files_hold_no_secrets() -> None:
    # Secrets come from the environment only; a key named like one in YAML is a mistake.
    secret_like = re.compile(r"^\s*\w*(password|secret|token|api_?key)\w*\s*:", re.I | re.M)
    for file in DEFAULT_CONFIG_DIR.glob("*.yaml"):
        assert not secret_like.search(file.read_text(encoding="utf-8")), file.name
