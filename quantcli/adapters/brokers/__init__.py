"""Broker adapters: the simulated broker for backtests and paper trading."""

from quantcli.adapters.brokers.simulated import SimulatedBroker

__all__ = ["SimulatedBroker"]
