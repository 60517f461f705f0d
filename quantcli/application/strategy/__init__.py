"""Strategies (threshold and rules), signals (batch and live) and sizing.

A use case named like its module (e.g. `generate_signals`) is imported from the module itself
(`from quantcli.application.strategy.generate_signals import generate_signals`):
re-exporting it here would hide the module.
"""

from quantcli.application.strategy.generate_signals import PrecomputedSignalSource
from quantcli.application.strategy.live_signals import LiveSignalSource
from quantcli.application.strategy.order_sizing import SignalSizer, SizingPolicy
from quantcli.application.strategy.rule_strategies import SmaCrossStrategy
from quantcli.application.strategy.strategy_weights import LeverageLimit, check_weights
from quantcli.application.strategy.weight_sizing import sized_weights

__all__ = [
    "LeverageLimit",
    "LiveSignalSource",
    "PrecomputedSignalSource",
    "SignalSizer",
    "SizingPolicy",
    "SmaCrossStrategy",
    "check_weights",
    "sized_weights",
]
