"""Risk ports: the kill switch's store."""

from __future__ import annotations

from typing import Protocol

from quantcli.domain.kill_switch import KillSwitchEvent


class KillSwitchStore(Protocol):
    """Where kill switch trips and resets persist, so a tripped switch survives restarts."""

    def record_kill_switch_event(self, event: KillSwitchEvent) -> None: ...

    def kill_switch_events(self) -> list[KillSwitchEvent]:
        """Every trip and reset, oldest first."""
        ...
