"""One error hierarchy for QuantCLI; each error says what a person needs to act on it."""

from __future__ import annotations


class QuantCLIError(Exception):
    """Root of every error QuantCLI raises on purpose."""


class ConfigError(QuantCLIError):
    """A configuration file, key or value is wrong."""


class DataError(QuantCLIError):
    """Market data is missing, malformed or inconsistent."""


class ValidationError(QuantCLIError):
    """An input to a computation breaks its contract (lengths, periods, ranges)."""


class StrategyError(QuantCLIError):
    """A user's strategy raised while deciding its target weights."""


class ModelError(QuantCLIError):
    """A model cannot be trained, loaded or used for prediction."""


class RiskError(QuantCLIError):
    """An order or portfolio breaks a risk limit."""


class ExecutionError(QuantCLIError):
    """An order cannot be created, changed or filled as asked."""


class IllegalOrderTransition(ExecutionError):
    """An order was asked to move to a state its state machine forbids."""


class BrokerError(QuantCLIError):
    """The broker refused a request or could not be reached."""


class BrokerTimeout(BrokerError):
    """The broker did not answer within its configured timeout (the request may still land)."""


class StorageError(QuantCLIError):
    """A store (database, file) could not be read or written."""
