"""risk.yaml: the rule limits, loss limits, VaR and stress scenarios, and their errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.application.risk.value_at_risk import VaRConfig
from quantcli.domain.errors import ConfigError
from quantcli.domain.exposure_rules import (
    BuyingPowerRule,
    GrossExposureRule,
    MaxPositionRule,
    NetExposureRule,
    SectorExposureRule,
)
from quantcli.domain.loss_limits import LossLimits
from quantcli.domain.order_rules import (
    OrderNotionalRule,
    OrderRateRule,
    OrderSizeRule,
    PriceCollarRule,
    RestrictedRule,
    ShortAvailabilityRule,
)
from quantcli.domain.orders import Order
from quantcli.domain.positions import Portfolio
from quantcli.domain.risk_rules import RiskContext
from quantcli.domain.trading_types import OrderSide
from quantcli.entrypoints.settings import Settings, load_settings

WriteYaml = Callable[[Path, str], Path]
DEFAULTS = Settings()


def test_default_rules_in_the_order_a_rejection_is_reported() -> None:
    assert DEFAULTS.risk.to_risk_rules().rules == (
        RestrictedRule(frozenset()),
        OrderSizeRule(Decimal(100_000)),
        OrderNotionalRule(Decimal(250_000)),
        PriceCollarRule(Decimal("0.1")),
        OrderRateRule(60),
        ShortAvailabilityRule(require_locate=False, shortable=None, hard_to_borrow=frozenset()),
        MaxPositionRule(Decimal("0.1")),
        SectorExposureRule(Decimal("0.3"), {}),
        GrossExposureRule(Decimal("1.5")),
        NetExposureRule(Decimal("1.0")),
        BuyingPowerRule(Decimal("2.0")),
    )


def test_default_loss_limits_var_and_scenarios() -> None:
    risk = DEFAULTS.risk

    assert risk.loss_limits.to_loss_limits() == LossLimits(
        Decimal("0.03"), Decimal("0.06"), Decimal("0.1"), Decimal("0.2")
    )
    assert risk.var.to_var_config(seed=42) == VaRConfig(
        method="historical",
        confidence=0.99,
        horizon_days=1,
        lookback_days=500,
        monte_carlo_paths=10_000,
        seed=42,
        cornish_fisher=False,
    )
    scenarios = {s.name: s for s in risk.to_stress_scenarios()}
    assert sorted(scenarios) == ["covid_crash_2020", "equity_crash_2008", "rates_up_200bp"]
    assert scenarios["equity_crash_2008"].shocks == {
        "*": Decimal("-0.3"),
        "sector:financials": Decimal("-0.5"),
        "sector:tech": Decimal("-0.45"),
    }


def test_default_rules_judge_an_order() -> None:
    rules = DEFAULTS.risk.to_risk_rules()
    context = RiskContext(Portfolio(Decimal(1_000_000)), {"AAPL": Decimal(100)}, datetime.now(UTC))
    order = Order("O-1", "AAPL", OrderSide.BUY, Decimal(3_000), datetime.now(UTC))

    decision = rules.evaluate(order, context)

    assert decision.reject_reason == (
        "order_notional: order AAPL BUY 3000: notional 300000.00 at 100 "
        "> max_order_notional 250000.00"
    )


def test_overrides_configure_every_rule(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(
        tmp_path / "risk.yaml",
        """
        limits:
          max_sector_exposure: 0.25
          price_collar: 0.02
          max_orders_per_minute: 10
          buying_power_multiplier: 4
          restricted_symbols: [GME]
          short_sale:
            require_locate: true
            shortable: [AAPL, MSFT]
            hard_to_borrow: [GME]
          sectors:
            AAPL: tech
            XOM: energy
        loss_limits:
          weekly: null
        var:
          method: monte_carlo
          cornish_fisher: true
        stress_scenarios:
          equity_crash_2008:
            "*": -0.2
          flash_crash:
            AAPL: -0.1
        """,
    )

    risk = load_settings(tmp_path, environ={}).risk
    rules = {rule.name: rule for rule in risk.to_risk_rules().rules}

    assert rules["sector_exposure"] == SectorExposureRule(
        Decimal("0.25"), {"AAPL": "tech", "XOM": "energy"}
    )
    assert rules["price_collar"] == PriceCollarRule(Decimal("0.02"))
    assert rules["order_rate"] == OrderRateRule(10)
    assert rules["buying_power"] == BuyingPowerRule(Decimal("4.0"))
    assert rules["restricted"] == RestrictedRule(frozenset({"GME"}))
    assert rules["short_availability"] == ShortAvailabilityRule(
        require_locate=True,
        shortable=frozenset({"AAPL", "MSFT"}),
        hard_to_borrow=frozenset({"GME"}),
    )
    assert risk.loss_limits.to_loss_limits().weekly is None
    assert risk.var.to_var_config(seed=1).method == "monte_carlo"
    # Scenarios merge by name: the override replaces 2008's shocks and adds flash_crash.
    scenarios = {s.name: s.shocks for s in risk.to_stress_scenarios()}
    assert scenarios["equity_crash_2008"] == {
        "*": Decimal("-0.2"),
        "sector:financials": Decimal("-0.5"),
        "sector:tech": Decimal("-0.45"),
    }
    assert scenarios["flash_crash"] == {"AAPL": Decimal("-0.1")}
    assert "rates_up_200bp" in scenarios


def test_null_switches_optional_rules_off(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(
        tmp_path / "risk.yaml",
        """
        limits:
          max_sector_exposure: null
          price_collar: null
          max_orders_per_minute: null
        """,
    )

    names = load_settings(tmp_path, environ={}).risk.to_risk_rules().names

    assert not {"sector_exposure", "price_collar", "order_rate"} & set(names)
    assert "max_position" in names


BAD_VALUES = [
    ("limits.price_collar", "1.5", "1.5 is not in (0, 1]"),
    ("limits.price_collar", "-0.01", "-0.01 is not in (0, 1]"),
    ("limits.max_sector_exposure", "-0.3", "-0.3 is not positive"),
    ("limits.max_orders_per_minute", "0", "0 is not positive"),
    ("limits.max_orders_per_minute", "1.5", "1.5 is not an integer"),
    ("limits.buying_power_multiplier", "0", "0.0 is not positive"),
    ("limits.short_sale.require_locate", "sometimes", "'sometimes' is not true or false"),
    ("limits.short_sale.shortable", "AAPL", "'AAPL' is not a list"),
    ("limits.short_sale.locate_all", "true", "unknown key"),
    ("limits.sectors", "[AAPL]", "['AAPL'] is not a mapping of keys"),
    ("limits.sectors.AAPL", "5", "5 is not a string"),
    ("loss_limits.daily", "-0.03", "-0.03 is not in (0, 1]"),
    ("loss_limits.max_drawdown", "1.2", "1.2 is not in (0, 1]"),
    ("loss_limits.quarterly", "0.1", "unknown key"),
    ("var.method", "garch", "'garch' is not one of historical, parametric, monte_carlo"),
    ("var.confidence", "1.0", "1.0 is not in [0.5, 1)"),
    ("var.horizon_days", "0", "0 is not positive"),
    ("var.lookback_days", "1", "1 is below 2"),
    ("var.monte_carlo_paths", "-5", "-5 is not positive"),
    ("stress_scenarios.crash", "-0.3", "-0.3 is not a mapping of keys"),
    ("stress_scenarios.crash.AAPL", "abc", "'abc' is not a number"),
    ("stress_scenarios.crash.AAPL", "-1.5", "-1.5 is below -1 (a price under 0)"),
]


@pytest.mark.parametrize("case", BAD_VALUES, ids=lambda case: f"{case[0]}={case[1]}")
def test_bad_value_names_the_key(
    tmp_path: Path, write_yaml: WriteYaml, case: tuple[str, str, str]
) -> None:
    key, value, problem = case
    *parents, leaf = key.split(".")
    lines = [f"{'  ' * depth}{parent}:" for depth, parent in enumerate(parents)]
    write_yaml(
        tmp_path / "o" / "risk.yaml", "\n".join([*lines, f"{'  ' * len(parents)}{leaf}: {value}"])
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "o", environ={})

    assert re.fullmatch(
        rf".*o/risk\.yaml: {re.escape(key)}: {re.escape(problem)}", str(caught.value)
    )


def test_a_shock_key_must_name_something(tmp_path: Path, write_yaml: WriteYaml) -> None:
    write_yaml(tmp_path / "risk.yaml", "stress_scenarios:\n  crash:\n    'sector:': -0.3\n")

    with pytest.raises(ConfigError, match=r"stress_scenarios\.crash\.sector:: is not a symbol"):
        load_settings(tmp_path, environ={})
