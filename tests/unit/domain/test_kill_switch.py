"""Kill switch records and the state their history adds up to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quantcli.domain.errors import DataError, ValidationError
from quantcli.domain.kill_switch import KillAction, KillSwitchEvent, KillSwitchStatus, KillTrigger

T0 = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def trip(minutes: int = 0, *, flatten: bool = False, reason: str = "halt") -> KillSwitchEvent:
    return KillSwitchEvent(
        KillAction.TRIP,
        reason,
        "alice",
        T0 + timedelta(minutes=minutes),
        KillTrigger.MANUAL,
        flatten=flatten,
    )


def reset(minutes: int) -> KillSwitchEvent:
    return KillSwitchEvent(KillAction.RESET, "fixed", "bob", T0 + timedelta(minutes=minutes))


def test_no_history_means_armed() -> None:
    status = KillSwitchStatus.from_events([])
    assert not status.tripped
    assert status.describe() == "armed (never tripped)"


def test_a_trip_trips_and_a_later_reset_rearms() -> None:
    assert KillSwitchStatus.from_events([trip()]).tripped
    status = KillSwitchStatus.from_events([trip(), reset(5)])
    assert not status.tripped
    assert status.last_reset == reset(5)
    assert status.describe() == "armed (last 2024-03-01 15:05:00 UTC reset by bob: fixed)"


def test_the_first_trip_since_the_last_reset_is_in_force_and_any_may_ask_to_flatten() -> None:
    status = KillSwitchStatus.from_events(
        [trip(0, reason="old"), reset(1), trip(2), trip(3, flatten=True)]
    )
    assert status.trip == trip(2)
    assert status.flatten
    assert "+1 later trip(s)" in status.describe()
    assert "positions are being flattened" in status.describe()


def test_describe_names_who_why_when_and_the_trigger() -> None:
    event = KillSwitchEvent(
        KillAction.TRIP, "daily loss 4%", "session:paper", T0, KillTrigger.LOSS_LIMIT, "paper"
    )
    assert event.describe() == (
        "2024-03-01 15:00:00 UTC tripped [loss_limit] by session:paper (account paper): "
        "daily loss 4%"
    )


@pytest.mark.parametrize(
    ("action", "trigger", "message"),
    [
        (KillAction.TRIP, None, "a trip needs a trigger"),
        (KillAction.RESET, KillTrigger.MANUAL, "a reset none"),
    ],
)
def test_trip_needs_a_trigger_and_reset_none(
    action: KillAction, trigger: KillTrigger | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        KillSwitchEvent(action, "why", "who", T0, trigger)


def test_empty_reason_or_actor_and_naive_time_are_refused() -> None:
    with pytest.raises(ValidationError, match="reason is empty"):
        KillSwitchEvent(KillAction.RESET, " ", "who", T0)
    with pytest.raises(ValidationError, match="actor is empty"):
        KillSwitchEvent(KillAction.RESET, "why", "", T0)
    with pytest.raises(DataError, match="not timezone-aware UTC"):
        KillSwitchEvent(KillAction.RESET, "why", "who", datetime(2024, 3, 1))
