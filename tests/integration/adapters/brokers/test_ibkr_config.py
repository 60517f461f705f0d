"""IbkrConfig: validation naming the key, exponential capped backoff, finite deadlines."""

from __future__ import annotations

import math

import pytest

from quantcli.adapters.brokers.ibkr import IbkrConfig, MarketDataType
from quantcli.domain.errors import ConfigError


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    config = IbkrConfig(reconnect_backoff_base=0.5, reconnect_backoff_max=3.0)

    assert [config.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert config.backoff(10_000) == 3.0


def test_every_wait_is_finite() -> None:
    config = IbkrConfig()

    assert math.isfinite(config.connect_deadline)
    assert config.attempt_timeout == 4 * config.connect_timeout


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"port": 70000}, "ibkr.port: 70000 is not a TCP port"),
        ({"client_id": -1}, "ibkr.client_id: -1 must be an integer >= 0"),
        ({"connect_timeout": 0}, "ibkr.connect_timeout: 0 must be a finite number > 0"),
        ({"request_timeout": math.inf}, "ibkr.request_timeout: inf must be a finite number"),
        ({"max_reconnect_attempts": 0}, "ibkr.max_reconnect_attempts: 0 must be an integer >= 1"),
        ({"market_data_type": 7}, "ibkr.market_data_type: 7 is not one of live, frozen"),
        (
            {"reconnect_backoff_base": 5.0, "reconnect_backoff_max": 1.0},
            "ibkr.reconnect_backoff_max: 1.0 is below reconnect_backoff_base 5.0",
        ),
    ],
)
def test_a_bad_setting_is_a_config_error_naming_the_key(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        IbkrConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (3, MarketDataType.DELAYED),
        ("delayed_frozen", MarketDataType.DELAYED_FROZEN),
        ("1", MarketDataType.LIVE),
    ],
)
def test_market_data_type_accepts_numbers_and_names(
    given: object, expected: MarketDataType
) -> None:
    assert IbkrConfig(market_data_type=given).market_data_type is expected  # type: ignore[arg-type]
