"""Risk: the risk engine, the kill switch, value at risk.

A use case named like its module (e.g. `value_at_risk`) is imported from the module itself
(`from quantcli.application.risk.value_at_risk import value_at_risk`):
re-exporting it here would hide the module.
"""

from quantcli.application.risk.kill_switch import KillSwitch, KillSwitchPolicy
from quantcli.application.risk.risk_engine import RiskEngine
from quantcli.application.risk.value_at_risk import VaRConfig, VaRResult

__all__ = ["KillSwitch", "KillSwitchPolicy", "RiskEngine", "VaRConfig", "VaRResult"]
