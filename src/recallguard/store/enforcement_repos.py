"""Repositories for what recallguard decides and does: matches, actions, the hash-chained audit log
and scan checkpoints. Each works inside one unit of work and returns domain dataclasses.

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     e = uow.audit.append("recall.created", "CPSC:26561", "cli", "imported")
>>> e.seq, len(e.hash)
(1, 64)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from recallguard.domain.models import Action, ActionKind, ActionState, AuditEvent, DecisionKind, Match
from recallguard.enforcement.audit_chain import GENESIS, event_hash
from recallguard.store.convert import now, utc
from recallguard.store.tables import ActionRow, AuditEventRow, MatchRow, ScanCheckpointRow

ACTIVE, WITHDRAWN = "active", "withdrawn"
AUDIT_LOCK = 0x72676175  # PostgreSQL advisory lock that serialises appends to the audit chain


def _match(row: MatchRow) -> Match:
    return Match(
        listing_id=row.listing_id,
        recall_number=row.recall_number,
        authority=row.authority,
        score=row.score,
        decision=DecisionKind(row.decision),
        evidence=row.evidence,
        features=dict(row.features or {}),
        model_version=row.model_version,
    )


def _action(row: ActionRow) -> Action:
    return Action(
        listing_id=row.listing_id,
        recall_number=row.recall_number,
        authority=row.authority,
        kind=ActionKind(row.kind),
        countries=list(row.countries),
        state=ActionState(row.state),
        action_id=row.action_id,
        reason=row.reason,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


class MatchRepo:
    """Matches, one per (listing, authority, recall number); ``active`` or ``withdrawn``."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _row(self, listing_id: str, authority: str, number: str) -> MatchRow | None:
        q = select(MatchRow).where(
            MatchRow.listing_id == listing_id,
            MatchRow.authority == authority,
            MatchRow.recall_number == number,
        )
        return self.s.scalars(q).one_or_none()

    def upsert(self, m: Match) -> str:
        """Store a match: ``created``, ``reactivated`` (was withdrawn), ``updated`` (score, decision or
        evidence changed) or ``unchanged``."""
        row = self._row(m.listing_id, m.authority, m.recall_number)
        ts = now()
        values = {
            "score": float(m.score),
            "decision": m.decision.value,
            "evidence": m.evidence,
            "features": {k: float(v) for k, v in m.features.items()},
            "model_version": m.model_version,
        }
        if row is None:
            self.s.add(
                MatchRow(
                    listing_id=m.listing_id,
                    authority=m.authority,
                    recall_number=m.recall_number,
                    state=ACTIVE,
                    created_at=ts,
                    updated_at=ts,
                    **values,
                )
            )
            return "created"
        if row.state == WITHDRAWN:
            outcome = "reactivated"
        elif (
            round(row.score, 6) == round(values["score"], 6)
            and row.decision == values["decision"]
            and row.evidence == values["evidence"]
            and row.model_version == values["model_version"]
        ):
            return "unchanged"
        else:
            outcome = "updated"
        for k, v in values.items():
            setattr(row, k, v)
        row.state, row.updated_at = ACTIVE, ts
        return outcome

    def withdraw(self, listing_id: str, authority: str, number: str) -> bool:
        """Mark a match withdrawn (its decision no longer holds); False when none was active."""
        row = self._row(listing_id, authority, number)
        if row is None or row.state != ACTIVE:
            return False
        row.state, row.updated_at = WITHDRAWN, now()
        return True

    def active_for_listings(self, ids: Iterable[str]) -> dict[str, list[Match]]:
        """Active matches of these listings, by listing id."""
        q = select(MatchRow).where(MatchRow.listing_id.in_(list(ids)), MatchRow.state == ACTIVE)
        out: dict[str, list[Match]] = {}
        for row in self.s.scalars(q):
            out.setdefault(row.listing_id, []).append(_match(row))
        return out

    def active_for_recall(self, authority: str, number: str) -> list[Match]:
        """Active matches of one recall, by listing id."""
        q = (
            select(MatchRow)
            .where(
                MatchRow.authority == authority, MatchRow.recall_number == number, MatchRow.state == ACTIVE
            )
            .order_by(MatchRow.listing_id)
        )
        return [_match(r) for r in self.s.scalars(q)]

    def iter_active(self, chunk: int = 5000) -> Iterator[Match]:
        """Every active match, by listing id then recall (what `matches export` writes)."""
        q = (
            select(MatchRow)
            .where(MatchRow.state == ACTIVE)
            .order_by(MatchRow.listing_id, MatchRow.authority, MatchRow.recall_number)
            .execution_options(yield_per=chunk)
        )
        for row in self.s.scalars(q):
            yield _match(row)

    def count(self, state: str | None = ACTIVE, decision: DecisionKind | None = None) -> int:
        """Matches in a state (active by default; None for all), optionally of one decision."""
        q = select(func.count()).select_from(MatchRow)
        if state:
            q = q.where(MatchRow.state == state)
        if decision:
            q = q.where(MatchRow.decision == decision.value)
        return int(self.s.scalar(q) or 0)


class ActionRepo:
    """Actions, one per (listing, authority, recall number, kind)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _q(self, listing_id: str, authority: str, number: str) -> Any:
        return select(ActionRow).where(
            ActionRow.listing_id == listing_id,
            ActionRow.authority == authority,
            ActionRow.recall_number == number,
        )

    def get(self, listing_id: str, authority: str, number: str, kind: ActionKind) -> Action | None:
        q = self._q(listing_id, authority, number).where(ActionRow.kind == kind.value)
        row = self.s.scalars(q).one_or_none()
        return _action(row) if row else None

    def for_match(self, listing_id: str, authority: str, number: str) -> list[Action]:
        """Every action (any kind, any state) caused by one (listing, recall)."""
        return [_action(r) for r in self.s.scalars(self._q(listing_id, authority, number))]

    def add(self, action: Action) -> Action:
        """Store a new action; assigns its ``action_id``."""
        ts = now()
        aid = action.action_id or uuid.uuid4().hex
        self.s.add(
            ActionRow(
                action_id=aid,
                listing_id=action.listing_id,
                authority=action.authority,
                recall_number=action.recall_number,
                kind=action.kind.value,
                countries=list(action.countries),
                state=action.state.value,
                reason=action.reason,
                created_at=action.created_at or ts,
                updated_at=action.updated_at or ts,
            )
        )
        return Action(**{**action.__dict__, "action_id": aid})

    def save_state(self, action: Action) -> None:
        """Write an action's state, reason and updated_at (after ``enforcement.actions.transition``)."""
        row = self.s.get(ActionRow, action.action_id)
        if row is None:
            raise KeyError(action.action_id)
        row.state, row.reason, row.updated_at = action.state.value, action.reason, action.updated_at or now()

    def list(self, state: ActionState | None = None, limit: int = 10_000) -> list[Action]:
        q = select(ActionRow).order_by(ActionRow.created_at, ActionRow.action_id).limit(limit)
        if state:
            q = q.where(ActionRow.state == state.value)
        return [_action(r) for r in self.s.scalars(q)]

    def count(self, state: ActionState | None = None) -> int:
        q = select(func.count()).select_from(ActionRow)
        if state:
            q = q.where(ActionRow.state == state.value)
        return int(self.s.scalar(q) or 0)


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

    def _load_head(self) -> tuple[int, str]:
        if self._head is None:
            if self.s.get_bind().dialect.name == "postgresql":
                self.s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
            row = self.s.execute(
                select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
            ).first()
            self._head = (row[0], row[1]) if row else (0, GENESIS)
        return self._head

    def append(
        self, kind: str, subject: str, actor: str, reason: str = "", data: dict[str, Any] | None = None
    ) -> AuditEvent:
        """Add one event at the end of the chain and return it with seq, prev_hash and hash."""
        seq, prev = self._load_head()
        clean = json.loads(json.dumps(data or {}, default=str))  # exactly what the JSON column gives back
        e = AuditEvent(kind, subject, actor, reason, clean, now(), seq + 1, prev)
        e.hash = event_hash(prev, audit_payload(e))
        self.s.add(
            AuditEventRow(
                seq=e.seq, kind=kind, subject=subject, actor=actor, reason=reason, data=e.data,
                at=e.at, prev_hash=prev, hash=e.hash,
            )
        )  # fmt: skip
        self._head = (e.seq or 0, e.hash)
        return e

    def list(self, after_seq: int = 0, limit: int = 1000, subject: str | None = None) -> list[AuditEvent]:
        """Events after ``after_seq`` in order (optionally about one subject)."""
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
