"""The KillSwitchStore port on SQLite: every trip and reset, in the order they were recorded."""

from __future__ import annotations

from quantcli.adapters.storage.sqlite_codecs import datetime_to_ns, ns_to_datetime
from quantcli.adapters.storage.sqlite_database import SqliteDatabase
from quantcli.adapters.storage.sqlite_ledger_rows import rebuild
from quantcli.domain.kill_switch import KillAction, KillSwitchEvent, KillTrigger

_COLUMNS = ("action", "trigger", "reason", "actor", "account", "flatten", "at")


class SqliteKillSwitchStore:
    """Kill switch history in the shared SQLite file; rows are only ever appended."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def record_kill_switch_event(self, event: KillSwitchEvent) -> None:
        row = (
            event.action.value,
            None if event.trigger is None else event.trigger.value,
            event.reason,
            event.actor,
            event.account,
            int(event.flatten),
            datetime_to_ns(event.at, f"kill switch {event.action.value.lower()} time"),
        )
        with self._db.transaction():
            self._db.execute(
                f"INSERT INTO kill_switch_events ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                row,
                what=f"record kill switch {event.action.value.lower()}",
            )

    def kill_switch_events(self) -> list[KillSwitchEvent]:
        rows = self._db.fetch_all(
            f"SELECT id, {', '.join(_COLUMNS)} FROM kill_switch_events ORDER BY id",
            what="read kill switch events",
        )
        return [self._event_from_row(row) for row in rows]

    def _event_from_row(self, row: tuple[object, ...]) -> KillSwitchEvent:
        event_id, action, trigger, reason, actor, account, flatten, at = row
        return rebuild(
            f"database {self._db.path}: kill switch event {event_id}",
            lambda: KillSwitchEvent(
                action=KillAction(action),
                reason=str(reason),
                actor=str(actor),
                at=ns_to_datetime(int(at)),  # type: ignore[call-overload]
                trigger=None if trigger is None else KillTrigger(trigger),
                account=None if account is None else str(account),
                flatten=bool(flatten),
            ),
        )
