"""Backup and restore of the SQLite store, consistent while the server writes.

:func:`backup_sqlite` copies the live database with SQLite's online backup API: one read transaction
over the whole copy, so the file holds exactly the state of one moment even while the server, a scan
or the stream worker keep writing (WAL readers never block writers). The copy is written next to its
destination and renamed into place only after ``PRAGMA integrity_check`` passed, so a half-written
backup never carries the final name.

:func:`restore_sqlite` checks the backup (SQLite header, integrity, recallguard schema), refuses to
overwrite a store that holds data unless ``force``, copies it in with the same backup API (through
SQLite, so the target's WAL stays consistent), then reopens the store (migrating an older backup to
this version's schema) and verifies the audit chain. The CLI (``recallguard restore``) also verifies
the signed chain heads with the deployment's audit key.

PostgreSQL is backed up with ``pg_dump``/``pg_restore``: see docs/operations.md.

>>> sqlite_file("sqlite:///data/rg.db").name
'rg.db'
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from recallguard.errors import ConflictError, InputError, UsageError
from recallguard.store import Store
from recallguard.store.engine import normalise_url

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did: the file, its size, the audit events in it and their check."""

    path: Path
    bytes: int
    audit_events: int
    chain_ok: bool = True
    first_bad_seq: int | None = None


def sqlite_file(url: str) -> Path:
    """The database file of a ``sqlite:///path`` store URL; UsageError for anything else."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        raise UsageError(
            "backup/restore copy SQLite stores; back up PostgreSQL with pg_dump/pg_restore "
            "(docs/operations.md)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise UsageError(f"{url}: an in-memory store has nothing to back up")
    return Path(parsed.database)


def _integrity(conn: sqlite3.Connection, what: str) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        raise InputError(f"{what}: SQLite integrity check failed: {'; '.join(map(str, rows[:5]))}")


def _audit_count(conn: sqlite3.Connection) -> int:
    try:
        return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0


def backup_sqlite(url: str, out: str | Path, *, force: bool = False) -> BackupReport:
    """Copy the store at ``url`` to ``out`` (refused when ``out`` exists, unless ``force``)."""
    src_path, dest = sqlite_file(url), Path(out)
    if not src_path.exists():
        raise InputError(f"{src_path}: no such store")
    if dest.exists() and not force:
        raise ConflictError(f"{dest} exists; pass --force to overwrite it")
    if dest.resolve() == src_path.resolve():
        raise UsageError("the backup must not be the store itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(tmp)
        try:
            src.backup(copy)  # pages=-1: the whole database in one step, one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            _integrity(copy, str(tmp))
            events = _audit_count(copy)
        finally:
            copy.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.chmod(tmp, 0o600)  # the store holds sellers' and buyers' data
    os.replace(tmp, dest)
    return BackupReport(dest, dest.stat().st_size, events)


def _check_backup(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    if head != SQLITE_HEADER:
        raise InputError(f"{path}: not a SQLite database (not a recallguard backup)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        _integrity(conn, str(path))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    if not {"recalls", "audit_events", "alembic_version"} <= tables:
        raise InputError(f"{path}: not a recallguard store (tables recalls, audit_events missing)")


def _holds_data(path: Path) -> bool:
    """Whether ``path`` is anything but a missing, empty or freshly created store."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return False
        if not {"recalls", "listings", "audit_events"} <= tables:
            return True  # some other database: never overwrite it silently
        row = conn.execute(
            "SELECT EXISTS(SELECT 1 FROM recalls) OR EXISTS(SELECT 1 FROM listings) "
            "OR EXISTS(SELECT 1 FROM audit_events)"
        ).fetchone()
        return bool(row[0])
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


def restore_sqlite(backup: str | Path, url: str, *, force: bool = False) -> BackupReport:
    """Restore ``backup`` into the store at ``url`` and verify its audit chain (the report says)."""
    src_path, target = Path(backup), sqlite_file(url)
    _check_backup(src_path)
    if _holds_data(target) and not force:
        raise ConflictError(f"{target} holds data; pass --force to replace it with {src_path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dest)
            _integrity(dest, str(target))
        finally:
            dest.close()
    finally:
        src.close()
    with Store(url) as store, store.transaction() as uow:  # migrates an older backup to this schema
        check = uow.audit.verify()
    return BackupReport(target, target.stat().st_size, check.events, check.ok, check.first_bad_seq)
