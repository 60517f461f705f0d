"""Which accounts a trading session is running on: an advisory file lock per account.

A session holds a shared lock on `<folder>/<account>.lock` while it runs; a command that
changes the account's orders from outside (`quantcli kill`) takes the exclusive lock, which it
gets only when no session holds the shared one. The operating system drops a lock when its
process ends, a crash or SIGKILL included, so a dead session never looks alive.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quantcli.domain.errors import StorageError


class FileSessionLock:
    """Shared locks for running sessions, an exclusive one for changes made between them."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, account: str) -> Path:
        # Account names are free text; the file name must not be.
        digest = hashlib.sha256(account.encode()).hexdigest()[:16]
        return self._folder / f"{digest}.lock"

    @contextmanager
    def _locked(self, account: str, mode: int) -> Iterator[bool]:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self._path(account), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"session lock of account {account}: {error}") from error
        try:
            try:
                fcntl.flock(descriptor, mode)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(descriptor)  # closing releases the lock

    @contextmanager
    def session(self, account: str) -> Iterator[None]:
        """Held while a session trades `account` (waits while an exclusive change runs)."""
        with self._locked(account, fcntl.LOCK_SH):
            yield

    @contextmanager
    def idle(self, account: str) -> Iterator[bool]:
        """Yields True, holding every session off `account`, when no session runs on it;
        else False at once."""
        with self._locked(account, fcntl.LOCK_EX | fcntl.LOCK_NB) as acquired:
            yield acquired
