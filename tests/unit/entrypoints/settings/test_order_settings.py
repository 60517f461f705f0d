"""trading.yaml `orders:`: the order template signals become, and its errors by file and key."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from quantcli.domain.errors import ConfigError
from quantcli.domain.order_template import MARKET_DAY, OrderTemplate
from quantcli.domain.trading_types import OrderType, TimeInForce
from quantcli.entrypoints.container import build_container
from quantcli.entrypoints.settings import Settings, load_settings

WriteYaml = Callable[[Path, str], Path]


def orders_override(write_yaml: WriteYaml, tmp_path: Path, body: str) -> Path:
    return write_yaml(tmp_path / "prod.yaml", f"trading:\n  orders:\n{body}")


def test_the_default_is_a_market_day_order() -> None:
    settings = load_settings(environ={})

    assert settings.trading.orders.to_template() == MARKET_DAY
    assert Settings().trading.orders == settings.trading.orders


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "    type: limit\n    limit_offset_bps: 5\n    time_in_force: gtc\n",
            OrderTemplate(OrderType.LIMIT, TimeInForce.GTC, Decimal(5)),
        ),
        (
            "    type: limit\n    limit_offset_bps: 2.5\n    time_in_force: ioc\n",
            OrderTemplate(OrderType.LIMIT, TimeInForce.IOC, Decimal("2.5")),
        ),
        ("    time_in_force: gtc\n", OrderTemplate(OrderType.MARKET, TimeInForce.GTC)),
        ("    type: limit\n", OrderTemplate(OrderType.LIMIT, TimeInForce.DAY, Decimal(0))),
    ],
)
def test_orders_section_becomes_the_template(
    tmp_path: Path, write_yaml: WriteYaml, body: str, expected: OrderTemplate
) -> None:
    settings = load_settings(orders_override(write_yaml, tmp_path, body), environ={})

    assert settings.trading.orders.to_template() == expected


def test_the_container_serves_the_configured_template(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    body = "    type: limit\n    limit_offset_bps: 10\n"
    container = build_container(load_settings(orders_override(write_yaml, tmp_path, body), {}))

    assert container.order_template() == OrderTemplate(
        OrderType.LIMIT, TimeInForce.DAY, Decimal(10)
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("    type: stop\n", "orders.type: 'stop' is not one of market, limit"),
        ("    type: LIMIT\n", "orders.type: 'LIMIT' is not one of market, limit"),
        ("    time_in_force: fok\n", "orders.time_in_force: 'fok' is not one of day, gtc, ioc"),
        ("    limit_offset_bps: -5\n", "orders.limit_offset_bps: -5.0 is negative"),
        (
            "    limit_offset_bps: 10000\n",
            "orders.limit_offset_bps: 10000.0 is not below 10000 (100%)",
        ),
        ("    limit_offset_bps: .nan\n", "orders.limit_offset_bps: nan is not a finite number"),
        ("    limit_offset_bps: wide\n", "orders.limit_offset_bps: 'wide' is not a number"),
        ("    limit_price: 5\n", "orders.limit_price: unknown key"),
    ],
)
def test_a_bad_orders_setting_names_file_and_key(
    tmp_path: Path, write_yaml: WriteYaml, body: str, problem: str
) -> None:
    override = orders_override(write_yaml, tmp_path, body)

    with pytest.raises(ConfigError) as caught:
        load_settings(override, environ={})

    assert str(caught.value).endswith(f"prod.yaml: trading.{problem}"), str(caught.value)


def test_a_bad_value_in_the_trading_file_of_a_config_folder(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path / "override" / "trading.yaml", "orders:\n  time_in_force: week\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "override", environ={})

    assert str(caught.value).endswith(
        "override/trading.yaml: orders.time_in_force: 'week' is not one of day, gtc, ioc"
    )
