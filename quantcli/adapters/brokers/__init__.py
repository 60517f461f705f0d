"""Broker adapters: the simulated broker for backtests and paper trading."""

from quantcli.adapters.brokers.simulated import SimulatedBroker
from quantcli.adapters.brokers.simulated_journal import SimulatedBrokerJournal

__all__ = ["SimulatedBroker", "SimulatedBrokerJournal"]
