"""Bad input to simulate_portfolio raises ValidationError naming the argument; the raw binding
raises ValueError, not a panic."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from quantcli import _kernels, kernels
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


@pytest.mark.parametrize("name", ["open", "high", "low", "close", "volume", "target_weights"])
@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        pytest.param(np.ones(3), "2-D", id="one-dimensional"),
        pytest.param(np.ones((3, 2, 1)), "2-D", id="three-dimensional"),
        pytest.param(np.full((3, 2), "x"), "real numbers", id="strings"),
    ],
)
def test_a_panel_that_is_not_2d_real_numbers_is_named(
    name: str, bad: np.ndarray, complaint: str
) -> None:
    if name == "target_weights":
        call = lambda: simulate(target_weights=bad)  # noqa: E731
    else:
        call = lambda: simulate(bars={name: bad})  # noqa: E731
    with pytest.raises(ValidationError, match=rf"^{name}\b.*{complaint}"):
        call()


def test_an_open_of_another_shape_is_named_as_the_panel_the_others_must_match() -> None:
    with pytest.raises(ValidationError, match=r"has shape \(3, 2\), but open has shape \(2, 2\)"):
        simulate(bars={"open": np.full((2, 2), 50.0)})


@pytest.mark.parametrize("name", ["open", "high", "low", "close"])
@pytest.mark.parametrize("price", [0.0, -1.0, math.inf])
def test_prices_of_a_bar_that_are_not_positive_and_finite_are_named_with_the_cell(
    name: str, price: float
) -> None:
    prices = np.full((3, 2), 50.0)
    prices[2, 1] = price
    with pytest.raises(ValidationError, match=rf"^{name}: value at bar 2, symbol 1 is"):
        simulate(bars={name: prices})


def test_an_infinite_target_weight_is_named_with_the_cell() -> None:
    weights = np.zeros((3, 2))
    weights[1, 0] = -math.inf
    with pytest.raises(ValidationError, match=r"^target_weights: value at bar 1, symbol 0 is -inf"):
        simulate(target_weights=weights)


@pytest.mark.parametrize(
    "name", ["commission_per_share", "commission_minimum", "commission_bps", "slippage_bps"]
)
@pytest.mark.parametrize("value", [-0.01, math.nan, math.inf])
def test_a_simple_cost_that_is_negative_or_not_finite_is_rejected(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=rf"^{name}: must be finite and >= 0"):
        simulate(costs=CostModel(**{name: value}))


@pytest.mark.parametrize("value", [-0.01, math.nan, math.inf])
def test_a_rebalance_band_that_is_negative_or_not_finite_is_rejected(value: float) -> None:
    with pytest.raises(ValidationError, match=r"^rebalance_band: must be finite and >= 0"):
        simulate(rebalance_band=value)


@pytest.mark.parametrize("value", ["100", True, None])
def test_initial_cash_or_a_cost_that_is_not_a_real_number_is_named(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^initial_cash must be a real number"):
        kernels.simulate_portfolio(**bars(), target_weights=np.zeros((3, 2)), initial_cash=value)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^commission_bps must be a real number"):
        simulate(costs=CostModel(commission_bps=value))  # type: ignore[arg-type]


def test_non_finite_initial_cash_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"^initial_cash: must be finite"):
        kernels.simulate_portfolio(**bars(), target_weights=np.zeros((3, 2)), initial_cash=math.nan)


def test_decimal_cash_and_costs_from_the_domain_are_accepted() -> None:
    price = np.full((3, 2), 10.0)
    result = kernels.simulate_portfolio(
        open=price,
        high=price,
        low=price,
        close=price,
        volume=price,
        target_weights=np.full((3, 2), 0.1),
        initial_cash=Decimal(1000),  # type: ignore[arg-type]
        costs=CostModel(commission_minimum=Decimal("1.00")),  # type: ignore[arg-type]
    )
    # Bar 1 buys 10 shares of each symbol: the 1.00 minimum per fill.
    assert result.fills.commission[result.fills.bar == 1].tolist() == [1.0, 1.0]


def raw_arguments(panel: np.ndarray) -> dict[str, Any]:
    """Every argument of the raw binding, for a (n_bars, n_symbols) panel."""
    none = np.zeros(0)
    return {
        "month": np.zeros(panel.shape[0], np.int64),
        "target_weights": panel / 100,
        "target_positions": None,
        "orders": None,
        "initial_cash": 1000.0,
        "rebalance_band": 0.0,
        "fill_at_close": False,
        "commission_per_share": 0.0,
        "commission_minimum": 0.0,
        "commission_maximum_fraction": math.inf,
        "commission_bps": 0.0,
        "tier_volumes": none,
        "tier_rates": none,
        "slippage_bps": 0.0,
        "spread_bps": 0.0,
        "volume_slippage": 0.0,
        "square_root_impact": 0.0,
        "temporary_impact": 0.0,
        "permanent_impact": 0.0,
        "participation_rate": math.inf,
        "borrow_rate": 0.0,
        "bars_per_year": 252.0,
        "max_leverage": math.inf,
        "initial_margin": 0.0,
        "maintenance_margin": 0.0,
    }


RAW = np.full((4, 2), 10.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: _kernels.simulate_portfolio(
                RAW, RAW, RAW, RAW[:2], RAW, RAW, **raw_arguments(RAW)
            ),
            "close has shape",
            id="panel-shape",
        ),
        pytest.param(
            lambda: _kernels.simulate_portfolio(
                RAW.T, RAW.T, RAW.T, RAW.T, RAW.T, RAW.T, **raw_arguments(RAW.T)
            ),
            "C-contiguous",
            id="panel-strided",
        ),
    ],
)
def test_the_raw_binding_answers_bad_panels_with_value_error_not_a_panic(
    call: Callable[[], object], message: str
) -> None:
    # pyo3 turns a Rust panic into PanicException, a BaseException: pytest.raises would miss it.
    with pytest.raises(ValueError, match=message):
        call()
