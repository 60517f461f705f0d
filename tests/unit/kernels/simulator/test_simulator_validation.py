"""Bad input to simulate_portfolio raises ValidationError naming the argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from quantcli import kernels
from quantcli.domain.errors import ValidationError
from quantcli.kernels import CostModel, MarginRules, Orders

nan = math.nan


def bars(n_bars: int = 3, n_symbols: int = 2) -> dict[str, np.ndarray]:
    price = np.full((n_bars, n_symbols), 50.0)
    return {"open": price, "high": price, "low": price, "close": price, "volume": price * 100}


def order_list(**overrides: Any) -> Orders:
    fields: dict[str, Any] = {
        "bar": [0],
        "symbol": [0],
        "quantity": [1.0],
        "order_type": [0],
        "limit_price": [nan],
        "stop_price": [nan],
        "time_in_force": [0],
    }
    fields.update(overrides)
    return Orders(**fields)


def simulate(**kwargs: Any) -> kernels.PortfolioSimulation:
    panel = {**bars(), **kwargs.pop("bars", {})}
    if not {"target_weights", "target_positions", "orders"} & kwargs.keys():
        kwargs["target_weights"] = np.zeros(panel["open"].shape)
    return kernels.simulate_portfolio(**panel, initial_cash=1000.0, **kwargs)


@pytest.mark.parametrize("name", ["high", "low", "close", "volume"])
def test_a_panel_of_another_shape_is_named(name: str) -> None:
    with pytest.raises(ValidationError, match=f"{name} has shape"):
        simulate(bars={name: np.ones((3, 3))})


def test_target_weights_of_another_shape_is_named() -> None:
    with pytest.raises(ValidationError, match="target_weights has shape"):
        simulate(target_weights=np.zeros((2, 2)))


def test_exactly_one_signal_is_required() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        simulate(target_weights=np.zeros((3, 2)), target_positions=np.zeros((3, 2)))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("slippage_bps", -1.0),
        ("spread_bps", -1.0),
        ("borrow_rate", -0.1),
        ("permanent_impact", -0.1),
        ("participation_rate", 0.0),
        ("commission_maximum_fraction", -0.01),
        ("bars_per_year", math.inf),
    ],
)
def test_negative_rates_are_rejected_by_name(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=name):
        simulate(costs=CostModel(**{name: value}))


@pytest.mark.parametrize(
    ("margin", "name"),
    [
        (MarginRules(max_leverage=0.0), "max_leverage"),
        (MarginRules(maintenance_margin=-0.1), "maintenance_margin"),
        (MarginRules(initial_margin=nan), "initial_margin"),
    ],
)
def test_bad_margin_rules_are_named(margin: MarginRules, name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        simulate(margin=margin)


def test_unknown_order_type_and_time_in_force_codes_are_rejected() -> None:
    with pytest.raises(
        ValidationError, match=r"orders\.order_type: row 0: unknown order type code 7"
    ):
        simulate(orders=order_list(order_type=[7]))
    with pytest.raises(
        ValidationError, match=r"orders\.time_in_force: row 0: unknown time in force"
    ):
        simulate(orders=order_list(time_in_force=[5]))


def test_order_rows_out_of_range_or_missing_prices_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"orders\.bar"):
        simulate(orders=order_list(bar=[3]))
    with pytest.raises(ValidationError, match=r"orders\.symbol"):
        simulate(orders=order_list(symbol=[-1]))
    with pytest.raises(ValidationError, match=r"orders\.limit_price"):
        simulate(orders=order_list(order_type=[1]))
    with pytest.raises(ValidationError, match=r"orders\.quantity"):
        simulate(orders=order_list(quantity=[0.0]))
    with pytest.raises(ValidationError, match=r"orders\.symbol: holds 2 rows"):
        simulate(orders=order_list(symbol=[0, 1]))


def test_a_partial_bar_and_zero_volume_with_volume_costs_are_rejected() -> None:
    close = np.full((3, 2), 50.0)
    close[1, 0] = nan
    with pytest.raises(ValidationError, match="close: value at bar 1, symbol 0"):
        simulate(bars={"close": close})
    with pytest.raises(ValidationError, match="volume: value at bar 0, symbol 0 is 0"):
        simulate(bars={"volume": np.zeros((3, 2))}, costs=CostModel(participation_rate=0.1))


def test_square_root_impact_needs_a_volatility() -> None:
    with pytest.raises(ValidationError, match="volatility"):
        simulate(costs=CostModel(square_root_impact=0.5))


def test_commission_tiers_must_start_at_zero_and_increase() -> None:
    with pytest.raises(ValidationError, match="commission_tiers"):
        simulate(costs=CostModel(commission_tiers=((10.0, 0.01),)))
    with pytest.raises(ValidationError, match="commission_tiers"):
        simulate(costs=CostModel(commission_tiers=((0.0, 0.01), (0.0, 0.005))))
