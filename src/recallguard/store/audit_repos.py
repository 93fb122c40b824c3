"""The hash-chained audit log and scan checkpoints, inside a store unit of work.

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     e = uow.audit.append("recall.created", "CPSC:26561", "cli", "imported")
...     e.seq is None  # written when the unit of work commits (see AuditRepo.append)
True
>>> e.seq, len(e.hash)
(1, 64)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from recallguard.domain.models import AuditEvent
from recallguard.enforcement.audit_chain import GENESIS, event_hash
from recallguard.store.convert import now, utc
from recallguard.store.tables import AuditEventRow, ScanCheckpointRow

AUDIT_LOCK = 0x72676175  # PostgreSQL advisory lock that serialises appends to the audit chain
_INSERT = insert(cast(Table, AuditEventRow.__table__))
_EVENTS = cast(Table, AuditEventRow.__table__)
_HEAD = select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1)  # built once


def audit_payload(e: AuditEvent) -> dict[str, Any]:
    """What an audit event's hash covers."""
    at = utc(e.at)
    return {
        "kind": e.kind,
        "subject": e.subject,
        "actor": e.actor,
        "reason": e.reason,
        "data": e.data,
        "at": at.isoformat() if at else "",
        "seq": e.seq,
    }


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying the audit chain: ``ok`` and, when broken, the first bad seq."""

    ok: bool
    events: int
    first_bad_seq: int | None = None


class AuditRepo:
    """The append-only, hash-chained audit log (seq 1, 2, …; each hash covers the previous one)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._head: tuple[int, str] | None = None
        self._pending: list[AuditEvent] = []  # appended, written by write_pending

    def _load_head(self) -> tuple[int, str]:
        """The chain's last (seq, hash), read once per transaction under the lock that serialises
        appends: PostgreSQL's advisory lock; on a SQLite file the store's writer lock, taken before the
        read (pysqlite reads outside a transaction until the first write, so a head read before the
        lock could be appended to by another process before this one's insert: a duplicate seq)."""
        if self._head is None:
            if self.s.get_bind().dialect.name == "postgresql":
                row = self._locked_head_pg()
            else:
                raw = self.s.connection().connection.dbapi_connection
                if (take := getattr(raw, "take_writer_lock", None)) is not None:
                    take()  # released when this transaction commits or rolls back
                row = self.s.execute(_HEAD).first()
            self._head = (row[0], row[1]) if row else (0, GENESIS)
        return self._head

    def _locked_head_pg(self) -> Any:
        """PostgreSQL: take the advisory lock, then read the head, in one round trip (a pipeline: the
        server runs the two statements in order, and the read's snapshot, taken when it starts, is after
        the lock is granted, so it sees the event of the last holder)."""
        raw = self.s.connection().connection.driver_connection
        with raw.cursor() as lock, raw.cursor() as head:  # type: ignore[union-attr]
            with raw.pipeline():  # type: ignore[union-attr]
                lock.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
                head.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            return head.fetchone()  # after the pipeline's one sync (a fetch inside it would sync twice)

    def append(
        self, kind: str, subject: str, actor: str, reason: str = "", data: dict[str, Any] | None = None
    ) -> AuditEvent:
        """Add one event at the end of the chain. It is chained and written (its time, seq and hashes
        filled in on the returned event) by :meth:`write_pending`: when the unit of work commits, or
        before the chain is read in it. The lock that serialises appends is then held from that write
        to the commit only, not from the first append of a long transaction (a publish-time screening
        appends before its match, action, bank and webhook rows: each of those statements used to wait
        under the lock that every other writer's audit event needs), and the events of a transaction
        go in one INSERT.

        >>> from recallguard.store import Store
        >>> with Store("sqlite://").transaction() as uow:
        ...     a = uow.audit.append("k", "s1", "cli")
        ...     b = uow.audit.append("k", "s2", "cli")
        ...     [e.subject for e in uow.audit.list()]  # written before the read
        ['s1', 's2']
        >>> (a.seq, b.seq), b.prev_hash == a.hash
        ((1, 2), True)
        """
        clean = json.loads(json.dumps(data or {}, default=str))  # exactly what the JSON column gives back
        e = AuditEvent(kind, subject, actor, reason, clean)
        self._pending.append(e)
        return e

    def write_pending(self) -> int:
        """Chain and write the events appended since the last write (one INSERT); returns how many.
        ``Store.transaction`` calls it before committing.

        >>> from recallguard.store import Store
        >>> with Store("sqlite://").transaction() as uow:
        ...     _ = uow.audit.append("k", "s", "cli")
        ...     uow.audit.write_pending(), uow.audit.write_pending()
        (1, 0)
        """
        if not self._pending:
            return 0
        seq, prev = self._load_head()
        rows = []
        for e in self._pending:
            e.at, e.seq, e.prev_hash = now(), seq + 1, prev
            e.hash = event_hash(prev, audit_payload(e))
            rows.append(
                {"seq": e.seq, "kind": e.kind, "subject": e.subject, "actor": e.actor, "reason": e.reason,
                 "data": e.data, "at": e.at, "prev_hash": prev, "hash": e.hash}
            )  # fmt: skip
            seq, prev = e.seq, e.hash
        self.s.execute(_INSERT, rows)  # one Core INSERT (no unit of work to flush later)
        self._head, self._pending = (seq, prev), []
        return len(rows)

    def list(self, after_seq: int = 0, limit: int = 1000, subject: str | None = None) -> list[AuditEvent]:
        """Events after ``after_seq`` in order (optionally about one subject)."""
        self.write_pending()
        q = (
            select(AuditEventRow)
            .where(AuditEventRow.seq > after_seq)
            .order_by(AuditEventRow.seq)
            .limit(limit)
        )
        if subject:
            q = q.where(AuditEventRow.subject == subject)
        return [
            AuditEvent(
                r.kind, r.subject, r.actor, r.reason, dict(r.data), utc(r.at), r.seq, r.prev_hash, r.hash
            )
            for r in self.s.scalars(q)
        ]

    def verify(self, chunk: int = 5000) -> ChainCheck:
        """Recompute the chain from the start: each event's hash and link to the one before."""
        self.write_pending()
        prev, expected_seq, n, after = GENESIS, 1, 0, 0
        while batch := self.list(after, chunk):
            for e in batch:
                if (
                    e.seq != expected_seq
                    or e.prev_hash != prev
                    or event_hash(prev, audit_payload(e)) != e.hash
                ):
                    return ChainCheck(False, n, e.seq)
                prev, expected_seq, n, after = e.hash, expected_seq + 1, n + 1, e.seq or 0
        return ChainCheck(True, n)

    def count(self) -> int:
        self.write_pending()
        return int(self.s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


@dataclass(frozen=True)
class ScanCheckpoint:
    """Where a scan stands: the recall-set version it screens against and the last listing done."""

    id: int
    scan_version: str
    last_listing_id: str
    status: str
    screened: int
    matched: int


class CheckpointRepo:
    """Scan checkpoints: a crashed scan resumes after the last committed listing."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _cp(self, r: ScanCheckpointRow) -> ScanCheckpoint:
        return ScanCheckpoint(r.id, r.scan_version, r.last_listing_id, r.status, r.screened, r.matched)

    def open(self, scan_version: str, model_version: str) -> tuple[ScanCheckpoint, bool]:
        """The running checkpoint of this scan version (resumed=True) or a new one."""
        q = (
            select(ScanCheckpointRow)
            .where(ScanCheckpointRow.scan_version == scan_version, ScanCheckpointRow.status == "running")
            .order_by(ScanCheckpointRow.id.desc())
            .limit(1)
        )
        row = self.s.scalars(q).first()
        if row is not None:
            return self._cp(row), True
        ts = now()
        row = ScanCheckpointRow(
            scan_version=scan_version, model_version=model_version, last_listing_id="", status="running",
            screened=0, matched=0, started_at=ts, updated_at=ts,
        )  # fmt: skip
        self.s.add(row)
        self.s.flush()
        return self._cp(row), False

    def advance(self, cp_id: int, last_listing_id: str, screened: int, matched: int) -> None:
        """Move the cursor after a committed batch (same transaction as the batch's results)."""
        row = self.s.get(ScanCheckpointRow, cp_id)
        assert row is not None
        row.last_listing_id, row.updated_at = last_listing_id, now()
        row.screened += screened
        row.matched += matched

    def finish(self, cp_id: int) -> ScanCheckpoint:
        row = self.s.get(ScanCheckpointRow, cp_id)
        assert row is not None
        row.status, row.updated_at = "done", now()
        return self._cp(row)

    def latest(self) -> ScanCheckpoint | None:
        row = self.s.scalars(select(ScanCheckpointRow).order_by(ScanCheckpointRow.id.desc()).limit(1)).first()
        return self._cp(row) if row else None
