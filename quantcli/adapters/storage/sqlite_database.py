"""One SQLite file (WAL, foreign keys, versioned schema) shared by the bar store and the ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from quantcli.adapters.storage.sqlite_schema import MIGRATIONS
from quantcli.domain.errors import StorageError

Row = tuple[Any, ...]


class SqliteDatabase:
    """An open SQLite database file whose schema is migrated to the latest version on opening."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5_000) -> None:
        self._path = Path(path)
        self._depth = 0
        self._connection: sqlite3.Connection | None = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"database {self._path}: cannot create folder {self._path.parent} ({exc})"
            ) from exc
        with self.translating("open"):
            # isolation_level=None: we issue BEGIN/SAVEPOINT ourselves, so nesting is explicit.
            self._connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            self._configure(busy_timeout_ms)
            self._migrate()
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The PRAGMA user_version the schema is at."""
        row = self.fetch_one("PRAGMA user_version", what="read the schema version")
        return int(row[0]) if row is not None else 0

    @property
    def in_transaction(self) -> bool:
        """True inside transaction() (at any depth)."""
        return self._depth > 0

    def _configure(self, busy_timeout_ms: int) -> None:
        # busy_timeout first: switching to WAL needs a lock another process may hold.
        self.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}", what="set busy_timeout")
        row = self.fetch_one("PRAGMA journal_mode = WAL", what="enable WAL journal mode")
        mode = str(row[0]).lower() if row is not None else "unknown"
        if mode != "wal":
            raise StorageError(f"database {self._path}: WAL journal mode refused (got {mode!r})")
        self.execute("PRAGMA foreign_keys = ON", what="enable foreign keys")
        # NORMAL is durable across application crashes in WAL mode and much faster than FULL.
        self.execute("PRAGMA synchronous = NORMAL", what="set synchronous mode")

    def _migrate(self) -> None:
        latest = len(MIGRATIONS)
        # BEGIN IMMEDIATE: two processes opening a fresh file must not both run a migration.
        with self.transaction():
            current = self.schema_version
            if current > latest:
                raise StorageError(
                    f"database {self._path}: schema version {current} is newer than this "
                    f"QuantCLI understands ({latest}); upgrade QuantCLI"
                )
            for version in range(current + 1, latest + 1):
                for statement in MIGRATIONS[version - 1]:
                    self.execute(statement, what=f"migrate the schema to version {version}")
                # PRAGMA user_version is part of the transaction, so a failed step leaves none.
                self.execute(f"PRAGMA user_version = {version}", what="record the schema version")

    @contextmanager
    def translating(self, what: str) -> Iterator[None]:
        """Turn any sqlite3 error raised inside into a StorageError naming the file and `what`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"database {self._path}: {what} failed ({exc})") from exc

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StorageError(f"database {self._path}: used after close()")
        return self._connection

    def execute(self, sql: str, parameters: Sequence[Any] = (), *, what: str) -> sqlite3.Cursor:
        """Run one statement; `what` names the action in the StorageError if it fails."""
        connection = self._open_connection()
        with self.translating(what):
            return connection.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], *, what: str) -> None:
        """Run one statement for every row of parameters."""
        connection = self._open_connection()
        with self.translating(what):
            connection.executemany(sql, rows)

    def fetch_all(self, sql: str, parameters: Sequence[Any] = (), *, what: str) -> list[Row]:
        """Every row a query returns."""
        connection = self._open_connection()
        with self.translating(what):
            return connection.execute(sql, parameters).fetchall()

    def fetch_one(self, sql: str, parameters: Sequence[Any] = (), *, what: str) -> Row | None:
        """The first row a query returns, or None."""
        connection = self._open_connection()
        with self.translating(what):
            row: Row | None = connection.execute(sql, parameters).fetchone()
            return row

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything inside together or nothing; nested use becomes a SAVEPOINT."""
        connection = self._open_connection()
        depth = self._depth
        savepoint = f"quantcli_sp_{depth}"
        if depth == 0:
            # IMMEDIATE takes the write lock up front, so busy_timeout applies instead of a
            # deadlock when two writers would both try to upgrade a read lock.
            self.execute("BEGIN IMMEDIATE", what="begin a transaction")
        else:
            self.execute(f"SAVEPOINT {savepoint}", what="open a savepoint")
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            self._roll_back(connection, depth, savepoint)
            raise
        self._depth = depth
        if depth == 0:
            try:
                self.execute("COMMIT", what="commit a transaction")
            except StorageError:
                self._roll_back(connection, depth, savepoint)
                raise
        else:
            self.execute(f"RELEASE {savepoint}", what="release a savepoint")

    def _roll_back(self, connection: sqlite3.Connection, depth: int, savepoint: str) -> None:
        # SQLite may have rolled back on its own already (e.g. disk full): nothing left to undo.
        if not connection.in_transaction:
            return
        if depth == 0:
            self.execute("ROLLBACK", what="roll back a transaction")
        else:
            self.execute(f"ROLLBACK TO {savepoint}", what="roll back to a savepoint")
            self.execute(f"RELEASE {savepoint}", what="release a savepoint")

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with self.translating("close"):
                connection.close()

    def __enter__(self) -> SqliteDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self._connection is not None else "closed"
        return f"SqliteDatabase({str(self._path)!r}, {state})"
