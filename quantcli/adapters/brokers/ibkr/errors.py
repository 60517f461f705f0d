"""The adapter's refinements of BrokerError, so callers can tell a timeout from a refusal."""

from __future__ import annotations

from quantcli.domain.errors import BrokerError, BrokerTimeout


class IbkrTimeout(BrokerTimeout):
    """TWS / IB Gateway did not answer within the configured timeout."""


class IbkrClientIdInUse(BrokerError):
    """The gateway closed the connection at startApi: another session holds the client id."""


class IbkrNotConnected(BrokerError):
    """A request needs a live session and there is none (not connected yet, or reconnecting)."""
