"""One writer at a time on a SQLite file, queued by the kernel instead of by SQLite's sleeps.

SQLite lets one connection write at a time. A connection that finds the database locked sleeps in
steps (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms, up to ``busy_timeout``) and tries again, so
a publish-time screening call that arrives while a scan commits 20 ms of results wakes up to ~30 ms
late, long after the lock is free: the slowest answers under load came from these sleeps.

:class:`WriterLockedConnection` (the ``sqlite3`` connection class of every file store's engine) takes
an exclusive ``flock`` on ``<database>-writer.lock`` before the first statement of a transaction that
writes, and lets it go when the transaction commits or rolls back. Writers waiting for it try again
every millisecond at most (not 25-100 ms), so the next one runs as soon as the lock is released; by
then SQLite's own lock is free, so SQLite never sleeps. A writer that waits ``BUSY_TIMEOUT_S`` gets
SQLite's "database is locked" error, as it would from SQLite. Readers never take it (WAL readers do
not wait for writers). The kernel releases the lock of a process that dies, so a killed writer never
leaves it held. Processes that do not use it (another tool on the same file) are still kept out by
SQLite's own lock, as before.
Where ``fcntl`` is missing (Windows) nothing changes.

>>> import os, sqlite3, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "rg.db")
>>> c = sqlite3.connect(path, factory=WriterLockedConnection)
>>> _ = c.execute("CREATE TABLE t (x)")
>>> c.holds_writer_lock
True
>>> c.commit(); c.holds_writer_lock
False
>>> _ = c.execute("SELECT * FROM t").fetchall(); c.holds_writer_lock
False
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking only
    fcntl = None  # type: ignore[assignment]

#: First words of the statements that write (pysqlite opens a transaction before the DML ones).
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})
BUSY_TIMEOUT_S = 30.0  # the stores' ``PRAGMA busy_timeout``
_WAITS = (0.0001, 0.0002, 0.0005)  # then every 1 ms


def _writes(sql: str) -> bool:
    """True when ``sql`` starts with a statement that writes.

    >>> _writes("  insert into t values (1)"), _writes("SELECT 1"), _writes("PRAGMA foreign_keys=ON")
    (True, False, False)
    """
    head = sql.lstrip()[:8].split(None, 1)
    return bool(head) and head[0].upper() in WRITES


class WriterLockedCursor(sqlite3.Cursor):
    """A cursor whose writing statements first take its connection's writer lock."""

    def execute(self, sql: str, parameters: Any = (), /) -> WriterLockedCursor:
        if _writes(sql):
            self.connection.take_writer_lock()  # type: ignore[attr-defined]
        return super().execute(sql, parameters)  # type: ignore[return-value]

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> WriterLockedCursor:
        if _writes(sql):
            self.connection.take_writer_lock()  # type: ignore[attr-defined]
        return super().executemany(sql, seq_of_parameters)  # type: ignore[return-value]


class WriterLockedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that holds ``<database>-writer.lock`` from its first write until the
    transaction ends (see the module docstring)."""

    def __init__(self, database: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database)
        file_db = name not in ("", ":memory:") and not name.startswith("file:")
        self._lock_path = f"{name}-writer.lock" if file_db and fcntl is not None else None
        self._lock_fd: int | None = None
        self.holds_writer_lock = False

    def take_writer_lock(self) -> None:
        """Wait for the writer lock (once per transaction; nothing for memory databases)."""
        if self.holds_writer_lock or self._lock_path is None:
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline, tries = time.monotonic() + BUSY_TIMEOUT_S, 0
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked (writer lock)") from None
                time.sleep(_WAITS[tries] if tries < len(_WAITS) else 0.001)
                tries += 1
        self.holds_writer_lock = True

    def _release(self) -> None:
        if self.holds_writer_lock and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self.holds_writer_lock = False

    def cursor(self, factory: Any = WriterLockedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
