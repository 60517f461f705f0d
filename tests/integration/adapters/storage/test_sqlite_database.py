"""SqliteDatabase against a real file: pragmas, migrations, transactions and error translation."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from quantcli.adapters.storage import SqliteDatabase, sqlite_database
from quantcli.adapters.storage.sqlite_schema import MIGRATIONS
from quantcli.domain.errors import StorageError


def _pragma(database: SqliteDatabase, name: str) -> object:
    row = database.fetch_one(f"PRAGMA {name}", what=f"read {name}")
    assert row is not None
    return row[0]


def test_opening_creates_the_file_and_its_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "nested" / "quantcli.db"
    with SqliteDatabase(path):
        pass
    assert path.is_file()


def test_journal_mode_is_wal(database: SqliteDatabase) -> None:
    assert _pragma(database, "journal_mode") == "wal"


def test_wal_mode_is_recorded_in_the_file_for_other_connections(
    database: SqliteDatabase, database_path: Path
) -> None:
    with contextlib.closing(sqlite3.connect(database_path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_keys_are_enforced_and_busy_timeout_is_set(database: SqliteDatabase) -> None:
    assert _pragma(database, "foreign_keys") == 1
    assert _pragma(database, "busy_timeout") == 5_000


def test_busy_timeout_can_be_chosen(tmp_path: Path) -> None:
    with SqliteDatabase(tmp_path / "q.db", busy_timeout_ms=250) as database:
        assert _pragma(database, "busy_timeout") == 250


def test_schema_is_migrated_to_the_latest_version(database: SqliteDatabase) -> None:
    assert database.schema_version == len(MIGRATIONS) >= 1
    tables = {
        row[0]
        for row in database.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'", what="list tables"
        )
    }
    assert {"bars", "orders", "fills", "portfolios", "positions"} <= tables


def test_reopening_keeps_the_schema_and_data_without_migrating_again(database_path: Path) -> None:
    with SqliteDatabase(database_path) as database, database.transaction():
        _insert_bar(database, 1)
    with SqliteDatabase(database_path) as reopened:
        assert reopened.schema_version == len(MIGRATIONS)
        assert reopened.fetch_one("SELECT COUNT(*) FROM bars", what="count") == (1,)


def test_a_schema_newer_than_the_code_is_refused_naming_the_file(database_path: Path) -> None:
    with SqliteDatabase(database_path):
        pass
    with contextlib.closing(sqlite3.connect(database_path)) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StorageError, match="newer than this QuantCLI") as error:
        SqliteDatabase(database_path)
    assert str(database_path) in str(error.value)


def test_a_failing_migration_leaves_the_file_at_the_previous_version(
    database_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteDatabase(database_path):
        pass
    broken_next = ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL")
    monkeypatch.setattr(sqlite_database, "MIGRATIONS", (*MIGRATIONS, broken_next))
    next_version = len(MIGRATIONS) + 1
    with pytest.raises(StorageError, match=f"migrate the schema to version {next_version}"):
        SqliteDatabase(database_path)
    monkeypatch.undo()
    with SqliteDatabase(database_path) as database:
        assert database.schema_version == len(MIGRATIONS)
        half_done = database.fetch_one(
            "SELECT name FROM sqlite_master WHERE name = 'half_done'", what="look for the table"
        )
        assert half_done is None


def test_a_corrupt_file_raises_storage_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes " * 100)
    with pytest.raises(StorageError) as error:
        SqliteDatabase(path)
    assert str(path) in str(error.value)
    assert "not a database" in str(error.value)


def test_an_unwritable_location_raises_storage_error_naming_it(tmp_path: Path) -> None:
    # A regular file where a folder should be: fails even for root, unlike chmod.
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    path = blocker / "sub" / "quantcli.db"
    with pytest.raises(StorageError) as error:
        SqliteDatabase(path)
    assert str(path) in str(error.value)


def test_a_directory_in_place_of_the_file_raises_storage_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "quantcli.db"
    path.mkdir()
    with pytest.raises(StorageError) as error:
        SqliteDatabase(path)
    assert str(path) in str(error.value)


def test_a_failing_statement_raises_storage_error_naming_the_file_and_the_action(
    database: SqliteDatabase, database_path: Path
) -> None:
    with pytest.raises(StorageError) as error:
        database.execute("SELECT * FROM no_such_table", what="read the missing table")
    message = str(error.value)
    assert str(database_path) in message
    assert "read the missing table" in message
    assert "no_such_table" in message
    assert isinstance(error.value.__cause__, sqlite3.Error)


def test_using_a_closed_database_raises_storage_error(database_path: Path) -> None:
    database = SqliteDatabase(database_path)
    database.close()
    database.close()  # closing twice is harmless
    with pytest.raises(StorageError, match="after close"):
        database.fetch_one("SELECT 1", what="select")


def test_context_manager_closes_the_database(database_path: Path) -> None:
    with SqliteDatabase(database_path) as database:
        assert database.fetch_one("SELECT 1", what="select") == (1,)
    with pytest.raises(StorageError):
        database.fetch_one("SELECT 1", what="select")


def _count_bars(database: SqliteDatabase) -> int:
    row = database.fetch_one("SELECT COUNT(*) FROM bars", what="count")
    assert row is not None
    return int(row[0])


def _insert_bar(database: SqliteDatabase, ts: int) -> None:
    database.execute(
        "INSERT INTO bars VALUES ('AAPL', ?, 1.0, 1.0, 1.0, 1.0, 0.0)", (ts,), what="insert a bar"
    )


def test_an_exception_inside_a_transaction_rolls_everything_back(
    database: SqliteDatabase,
) -> None:
    def insert_then_fail() -> None:
        with database.transaction():
            _insert_bar(database, 1)
            _insert_bar(database, 2)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail()
    assert _count_bars(database) == 0
    assert not database.in_transaction


def test_a_failed_nested_transaction_undoes_only_its_own_writes(database: SqliteDatabase) -> None:
    def inner_insert_then_fail() -> None:
        with database.transaction():
            _insert_bar(database, 2)
            raise RuntimeError("inner")

    with database.transaction():
        _insert_bar(database, 1)
        with pytest.raises(RuntimeError, match="inner"):
            inner_insert_then_fail()
        _insert_bar(database, 3)
    rows = database.fetch_all("SELECT ts FROM bars ORDER BY ts", what="read")
    assert rows == [(1,), (3,)]


def test_a_committed_transaction_is_visible_to_another_connection(
    database: SqliteDatabase, database_path: Path
) -> None:
    with database.transaction():
        _insert_bar(database, 1)
    with contextlib.closing(sqlite3.connect(database_path)) as raw:
        assert raw.execute("SELECT COUNT(*) FROM bars").fetchone() == (1,)


def test_an_open_transaction_is_invisible_to_another_connection(
    database: SqliteDatabase, database_path: Path
) -> None:
    with database.transaction():
        _insert_bar(database, 1)
        with contextlib.closing(sqlite3.connect(database_path)) as raw:
            assert raw.execute("SELECT COUNT(*) FROM bars").fetchone() == (0,)


def test_a_second_writer_waits_then_fails_with_storage_error_when_the_lock_is_held(
    database_path: Path,
) -> None:
    with (
        SqliteDatabase(database_path) as first,
        SqliteDatabase(database_path, busy_timeout_ms=50) as second,
    ):
        with first.transaction():
            _insert_bar(first, 1)
            with pytest.raises(StorageError, match="locked") as error, second.transaction():
                pass
            assert str(database_path) in str(error.value)
        assert _count_bars(second) == 1
