"""Settings of the IBKR adapter: where the gateway is, how long to wait, how to retry."""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs

from quantcli.domain.errors import ConfigError


class MarketDataType(enum.IntEnum):
    """IB's market data types (reqMarketDataType): live needs a subscription, delayed does not."""

    LIVE = 1
    FROZEN = 2
    DELAYED = 3
    DELAYED_FROZEN = 4


def _positive_seconds(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"ibkr.{attribute.name}: expected seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        # A zero or infinite timeout would let a silent gateway hang the caller forever.
        raise ConfigError(f"ibkr.{attribute.name}: {value!r} must be a finite number > 0")


def _port(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"ibkr.{attribute.name}: {value!r} is not a TCP port (1-65535)")


def _client_id(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"ibkr.{attribute.name}: {value!r} must be an integer >= 0")


def _attempts(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"ibkr.{attribute.name}: {value!r} must be an integer >= 1")


def _non_empty(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"ibkr.{attribute.name}: expected a non-empty string, got {value!r}")


def _market_data_type(value: MarketDataType | int | str) -> MarketDataType:
    try:
        if isinstance(value, str) and not value.isdigit():
            return MarketDataType[value.upper()]
        return MarketDataType(int(value))
    except (KeyError, ValueError):
        names = ", ".join(t.name.lower() for t in MarketDataType)
        raise ConfigError(f"ibkr.market_data_type: {value!r} is not one of {names} (1-4)") from None


@attrs.frozen
class IbkrConfig:
    """How to reach TWS / IB Gateway and how patient to be with it.

    `connect_timeout` bounds each phase of one connection attempt (TCP connect, API handshake,
    the startup downloads); `request_timeout` bounds every later request and acknowledgement.
    Reconnects wait `reconnect_backoff_base * 2**(n-1)` seconds, capped at `reconnect_backoff_max`,
    before attempt n; the first connect uses the same attempts and backoff.
    """

    host: str = attrs.field(default="127.0.0.1", validator=_non_empty)
    # 4001/4002: IB Gateway live/paper; 7496/7497: TWS live/paper.
    port: int = attrs.field(default=4002, validator=_port)
    client_id: int = attrs.field(default=1, validator=_client_id)
    # Empty: the login's only managed account (an error when it manages several).
    account: str = ""
    connect_timeout: float = attrs.field(default=5.0, validator=_positive_seconds)
    request_timeout: float = attrs.field(default=10.0, validator=_positive_seconds)
    reconnect_backoff_base: float = attrs.field(default=1.0, validator=_positive_seconds)
    reconnect_backoff_max: float = attrs.field(default=60.0, validator=_positive_seconds)
    max_reconnect_attempts: int = attrs.field(default=10, validator=_attempts)
    market_data_type: MarketDataType = attrs.field(
        default=MarketDataType.LIVE, converter=_market_data_type
    )
    exchange: str = attrs.field(default="SMART", validator=_non_empty)
    currency: str = attrs.field(default="USD", validator=_non_empty)

    def __attrs_post_init__(self) -> None:
        if self.reconnect_backoff_max < self.reconnect_backoff_base:
            raise ConfigError(
                f"ibkr.reconnect_backoff_max: {self.reconnect_backoff_max!r} is below "
                f"reconnect_backoff_base {self.reconnect_backoff_base!r}"
            )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): exponential, capped."""
        exponent = min(max(attempt - 1, 0), 62)
        return float(min(self.reconnect_backoff_base * 2.0**exponent, self.reconnect_backoff_max))

    @property
    def attempt_timeout(self) -> float:
        """Upper bound of one connection attempt: TCP, handshake, startup downloads, executions."""
        return 4 * self.connect_timeout

    @property
    def connect_deadline(self) -> float:
        """Upper bound of a whole `connect()`: every attempt, every backoff, the reconciliation."""
        attempts = self.max_reconnect_attempts
        backoffs = sum(self.backoff(n) for n in range(1, attempts))
        return attempts * self.attempt_timeout + backoffs + 4 * self.request_timeout
