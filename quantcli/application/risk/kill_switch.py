"""The kill switch: what trips it, and its state, persisted so a trip survives restarts.

Triggers: a loss limit (daily, weekly, monthly, max drawdown), too many order rejections in a
window, the broker disconnected for too long, stale market data (too long since the last bar,
or calendar sessions without one), a manual trip (`quantcli kill`), and any `TripCheck` plugged
in (model drift, error rates). A tripped switch stays tripped, across restarts, until a reset
(`quantcli reset-kill --confirm`) is recorded; what a tripped switch does to orders is the
trading session's job.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from quantcli.application.risk.ports import KillSwitchStore
from quantcli.domain.errors import ValidationError
from quantcli.domain.kill_switch import KillAction, KillSwitchEvent, KillSwitchStatus, KillTrigger
from quantcli.domain.loss_limits import EquityPoint, LossLimits, SessionOf

logger = logging.getLogger("quantcli.kill_switch")

TripSignal = tuple[KillTrigger, str]
# A drift or error-rate monitor: asked at every bar and heartbeat, returns a reason to trip.
TripCheck = Callable[[datetime], TripSignal | None]


def _optional_positive(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, timedelta):
        ok = value > timedelta(0)
    else:
        ok = isinstance(value, int) and value > 0
    if not ok:
        raise ValidationError(f"kill switch {attribute.name}: {value} is not positive")


@attrs.frozen
class KillSwitchPolicy:
    """When the switch trips on its own; None switches a trigger off."""

    loss_limits: LossLimits = attrs.Factory(LossLimits)
    max_rejects: int | None = attrs.field(default=None, validator=_optional_positive)
    reject_window: timedelta = timedelta(days=1)
    max_disconnected: timedelta | None = attrs.field(default=None, validator=_optional_positive)
    # Since the last bar, on the session clock: for live sessions.
    max_stale: timedelta | None = attrs.field(default=None, validator=_optional_positive)
    # Exchange sessions in a row without a bar.
    max_missing_sessions: int | None = attrs.field(default=None, validator=_optional_positive)
    flatten_on_trip: bool = False


def record_trip(
    store: KillSwitchStore,
    trigger: KillTrigger,
    reason: str,
    actor: str,
    at: datetime,
    *,
    account: str | None = None,
    flatten: bool = False,
) -> KillSwitchEvent:
    """Persist a trip (and log it); the switch is tripped from this moment on."""
    event = KillSwitchEvent(KillAction.TRIP, reason, actor, at, trigger, account, flatten)
    store.record_kill_switch_event(event)
    logger.warning("kill switch %s", event.describe())
    return event


def record_reset(store: KillSwitchStore, actor: str, at: datetime, reason: str) -> KillSwitchEvent:
    """Persist a reset (and log it); trading may resume from the next bar."""
    event = KillSwitchEvent(KillAction.RESET, reason, actor, at)
    store.record_kill_switch_event(event)
    logger.warning("kill switch %s", event.describe())
    return event


def kill_switch_status(store: KillSwitchStore) -> KillSwitchStatus:
    return KillSwitchStatus.from_events(store.kill_switch_events())


@attrs.define
class KillSwitch:
    """One session's view of the switch: its triggers, and the stored state it re-reads."""

    store: KillSwitchStore
    policy: KillSwitchPolicy = attrs.Factory(KillSwitchPolicy)
    checks: list[TripCheck] = attrs.Factory(list)
    session_of: SessionOf | None = None
    _rejects: deque[datetime] = attrs.field(factory=deque, init=False)
    _disconnected_since: datetime | None = attrs.field(default=None, init=False)

    def status(self) -> KillSwitchStatus:
        """The stored state; re-read every time, so a `quantcli kill` elsewhere is seen."""
        return kill_switch_status(self.store)

    def trip(
        self,
        trigger: KillTrigger,
        reason: str,
        at: datetime,
        *,
        actor: str,
        account: str | None = None,
        flatten: bool = False,
    ) -> KillSwitchEvent:
        return record_trip(
            self.store,
            trigger,
            reason,
            actor,
            at,
            account=account,
            flatten=flatten or self.policy.flatten_on_trip,
        )

    def record_reject(self, at: datetime) -> None:
        self._rejects.append(at)

    def check(
        self,
        now: datetime,
        *,
        equity_history: Sequence[EquityPoint] = (),
        broker_connected: bool = True,
        last_data_at: datetime | None = None,
        missing_sessions: int = 0,
    ) -> TripSignal | None:
        """The first automatic trigger that fires now, if any (it is not recorded here)."""
        for check in (
            self._loss_limit(equity_history),
            self._too_many_rejects(now),
            self._disconnected(now, broker_connected),
            self._stale(now, last_data_at, missing_sessions),
        ):
            if check is not None:
                return check
        for hook in self.checks:
            signal = hook(now)
            if signal is not None:
                return signal
        return None

    def _loss_limit(self, history: Sequence[EquityPoint]) -> TripSignal | None:
        breach = self.policy.loss_limits.first_breach(history, self.session_of)
        return None if breach is None else (KillTrigger.LOSS_LIMIT, breach.reason)

    def _too_many_rejects(self, now: datetime) -> TripSignal | None:
        limit = self.policy.max_rejects
        while self._rejects and self._rejects[0] <= now - self.policy.reject_window:
            self._rejects.popleft()
        if limit is None or len(self._rejects) <= limit:
            return None
        return (
            KillTrigger.REJECTS,
            f"{len(self._rejects)} order rejections within {self.policy.reject_window} "
            f"(max_rejects {limit})",
        )

    def _disconnected(self, now: datetime, connected: bool) -> TripSignal | None:
        if connected:
            self._disconnected_since = None
            return None
        if self._disconnected_since is None:
            self._disconnected_since = now
        limit = self.policy.max_disconnected
        down = now - self._disconnected_since
        if limit is None or down <= limit:
            return None
        return (
            KillTrigger.BROKER_DISCONNECTED,
            f"broker disconnected since {self._disconnected_since:%Y-%m-%d %H:%M:%S} UTC "
            f"({down.total_seconds():.0f}s > {limit.total_seconds():.0f}s)",
        )

    def _stale(
        self, now: datetime, last_data_at: datetime | None, missing_sessions: int
    ) -> TripSignal | None:
        sessions = self.policy.max_missing_sessions
        if sessions is not None and missing_sessions > sessions:
            return (
                KillTrigger.STALE_DATA,
                f"no bar for {missing_sessions} exchange sessions (limit {sessions})",
            )
        limit = self.policy.max_stale
        if limit is not None and last_data_at is not None and now - last_data_at > limit:
            return (
                KillTrigger.STALE_DATA,
                f"no bar since {last_data_at:%Y-%m-%d %H:%M:%S} UTC "
                f"({(now - last_data_at).total_seconds():.0f}s > {limit.total_seconds():.0f}s)",
            )
        return None
