"""The kill switch as records: every trip and reset, and the state they add up to."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from quantcli.domain.bar import require_utc
from quantcli.domain.errors import ValidationError


class KillTrigger(enum.Enum):
    """What tripped the switch."""

    MANUAL = "manual"
    LOSS_LIMIT = "loss_limit"
    REJECTS = "rejects"
    BROKER_DISCONNECTED = "broker_disconnected"
    STALE_DATA = "stale_data"
    DRIFT = "drift"
    ERROR_RATE = "error_rate"


class KillAction(enum.Enum):
    TRIP = "TRIP"
    RESET = "RESET"


@attrs.frozen
class KillSwitchEvent:
    """One trip or reset: who did it, why, when; `flatten` asks a trip to close positions too."""

    action: KillAction
    reason: str
    actor: str
    at: datetime
    trigger: KillTrigger | None = None
    account: str | None = None
    flatten: bool = False

    def __attrs_post_init__(self) -> None:
        require_utc(self.at, f"kill switch {self.action.value.lower()}")
        if not self.reason.strip():
            raise ValidationError(f"kill switch {self.action.value.lower()}: reason is empty")
        if not self.actor.strip():
            raise ValidationError(f"kill switch {self.action.value.lower()}: actor is empty")
        if (self.action is KillAction.TRIP) != (self.trigger is not None):
            raise ValidationError(
                f"kill switch {self.action.value.lower()}: a trip needs a trigger, a reset none"
            )

    def describe(self) -> str:
        what = "tripped" if self.action is KillAction.TRIP else "reset"
        trigger = f" [{self.trigger.value}]" if self.trigger is not None else ""
        account = f" (account {self.account})" if self.account else ""
        flatten = ", flatten positions" if self.flatten else ""
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} UTC {what}{trigger} by {self.actor}{account}: "
            f"{self.reason}{flatten}"
        )


@attrs.frozen
class KillSwitchStatus:
    """The switch as its history leaves it: tripped by the first trip since the last reset."""

    trips: tuple[KillSwitchEvent, ...] = ()
    last_reset: KillSwitchEvent | None = None

    @property
    def tripped(self) -> bool:
        return bool(self.trips)

    @property
    def trip(self) -> KillSwitchEvent | None:
        """The trip in force: the first one since the last reset."""
        return self.trips[0] if self.trips else None

    @property
    def flatten(self) -> bool:
        """True when any trip in force asked to close positions."""
        return any(trip.flatten for trip in self.trips)

    @classmethod
    def from_events(cls, events: Iterable[KillSwitchEvent]) -> KillSwitchStatus:
        """Fold the history, oldest first."""
        trips: list[KillSwitchEvent] = []
        reset: KillSwitchEvent | None = None
        for event in events:
            if event.action is KillAction.RESET:
                trips, reset = [], event
            else:
                trips.append(event)
        return cls(tuple(trips), reset)

    def describe(self) -> str:
        if self.trip is not None:
            more = f" (+{len(self.trips) - 1} later trip(s))" if len(self.trips) > 1 else ""
            flatten = "; positions are being flattened" if self.flatten else ""
            return f"TRIPPED — {self.trip.describe()}{more}{flatten}"
        if self.last_reset is not None:
            return f"armed (last {self.last_reset.describe()})"
        return "armed (never tripped)"
