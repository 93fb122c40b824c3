"""Repositories for what comes in: recalls (with their targets), listings and quarantined records.
Each works inside one unit of work (a SQLAlchemy session) and returns domain dataclasses.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Recall, Target
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     uow.recalls.upsert(Recall("26561", "CPSC", "Doll"), [Target("26561", "CPSC", brand="X")]).outcome
'created'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Executable, Table, bindparam, event, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recallguard.domain.models import BadRecord, Listing, Recall, RecallStatus, Target
from recallguard.store.convert import (
    listing_from_row,
    listing_hash,
    listing_values,
    now,
    recall_from_json,
    recall_hash,
    recall_to_json,
    sha256_json,
    target_from_json,
    target_to_json,
    utc,
)
from recallguard.store.listing_key_repos import KeyRow, ListingKeyRepo
from recallguard.store.tables import ListingRow, QuarantineRow, RecallRow, RecallSetRevisionRow, TargetRow

# The publish path's statements, built once: building a select each call (and its cache key) costs
# more than SQLite running it; table columns, not ORM attributes, keep the ORM's result setup out.
_LISTINGS, _RECALLS = cast(Table, ListingRow.__table__), cast(Table, RecallRow.__table__)
_REVISION = cast(Table, RecallSetRevisionRow.__table__)
_READ_REVISION = select(_REVISION.c.revision).where(_REVISION.c.id == 1)
_RAISE_REVISION = update(_REVISION).where(_REVISION.c.id == 1).values(revision=_REVISION.c.revision + 1)
_LISTING_INSERT = insert(_LISTINGS)  # Core: no ORM bulk-insert machinery
_CONTENT_HASHES = select(_LISTINGS.c.listing_id, _LISTINGS.c.content_hash).where(
    _LISTINGS.c.listing_id.in_(bindparam("ids", expanding=True))
)
#: Up to this many new listings at once are inserted so that another writer's copy of one is met,
#: not failed on (``ListingRepo._insert_new``)
GUARDED_INSERT = 500
#: Set on a session whose transaction created or amended a recall (``Store.on_commit`` hears it).
RECALLS_CHANGED = "recalls_changed"


_UNLESS_STORED: dict[tuple[str, str], Executable] = {}


def _insert_unless_stored(
    session: Session, table: Table, key: tuple[str, ...], returning: ColumnElement[Any]
) -> Executable:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING returning`` into ``table`` for the session's
    database (built once per database kind): a row another transaction inserted meanwhile is skipped,
    after waiting for that transaction, instead of failing this one, and is missing from what it returns.
    """
    dialect = session.get_bind().dialect.name
    stmt = _UNLESS_STORED.get((dialect, table.name))
    if stmt is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert_(table).on_conflict_do_nothing(index_elements=list(key)).returning(returning)
        _UNLESS_STORED[(dialect, table.name)] = stmt
    return stmt


def _raise_revision(session: Session) -> None:
    """Before a commit that created or amended a recall (SQLAlchemy calls it once a commit): the recall
    set's revision, raised last (on PostgreSQL its row lock is then held only by a transaction already
    committing, so two imports never wait on each other in a cycle)."""
    if not session.info.get(RECALLS_CHANGED):
        return
    if session.execute(_RAISE_REVISION).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(_REVISION).values(id=1, revision=1))  # the row was removed by hand


event.listen(Session, "before_commit", _raise_revision)
_PRIORITY_KEYS = select(_RECALLS.c.authority, _RECALLS.c.recall_number).where(_RECALLS.c.priority.is_(True))
_ACTIVE_FINGERPRINT = (
    select(_RECALLS.c.authority, _RECALLS.c.recall_number, _RECALLS.c.content_hash)
    .where(_RECALLS.c.status == RecallStatus.ACTIVE.value)
    .order_by(_RECALLS.c.authority, _RECALLS.c.recall_number)
)
# Core: the session's listing objects are not synchronised (none is read after it before the commit)
_MARK_SCREENED = (
    update(_LISTINGS)
    .where(_LISTINGS.c.listing_id.in_(bindparam("ids", expanding=True)))
    .values(screened_version=bindparam("version"))
)


@dataclass(frozen=True)
class RecallUpsert:
    """What storing a recall did: ``created``, ``amended`` or ``unchanged``; and its version now."""

    outcome: str
    version: int
    previous_status: RecallStatus | None = None
    content_hash: str = ""


@dataclass(frozen=True)
class ListingUpsert:
    """What storing a batch of listings did (ids of the new and the changed ones)."""

    created: list[str]
    changed: list[str]
    unchanged: int


class RecallRepo:
    """Recalls and their targets, keyed by (authority, recall number)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _row(self, authority: str, number: str) -> RecallRow | None:
        q = select(RecallRow).where(RecallRow.authority == authority, RecallRow.recall_number == number)
        return self.s.scalars(q).one_or_none()

    def get(self, authority: str, number: str) -> Recall | None:
        """The stored recall, or None."""
        row = self._row(authority, number)
        return recall_from_json(row.normalised, row.raw) if row else None

    def upsert(self, recall: Recall, targets: Sequence[Target]) -> RecallUpsert:
        """Store a recall and its targets; the same content again changes nothing, changed content
        replaces the targets and bumps the version."""
        h = recall_hash(recall, list(targets))
        row = self._row(recall.authority, recall.recall_number)
        ts = now()
        if row is not None and row.content_hash == h:
            return RecallUpsert("unchanged", row.version, RecallStatus(row.status), h)
        self.s.info[RECALLS_CHANGED] = True
        fields = {
            "title": recall.title,
            "recall_date": utc(recall.recall_date),
            "last_publish_date": utc(recall.last_publish_date),
            "url": recall.url,
            "hazard": recall.hazard,
            "status": recall.status.value,
            "priority": recall.priority,
            "normalised": recall_to_json(recall),
            "raw": recall.raw,
            "content_hash": h,
            "updated_at": ts,
        }
        new_targets = [
            TargetRow(position=i, target_id=t.target_id, data=target_to_json(t))
            for i, t in enumerate(targets)
        ]
        if row is None:
            key = {"authority": recall.authority, "recall_number": recall.recall_number}
            if self._insert_new({**key, **fields, "version": 1, "created_at": ts}):
                row = self._row(recall.authority, recall.recall_number)
                assert row is not None
                row.targets = new_targets
                self.s.flush()
                return RecallUpsert("created", 1, None, h)
            # another import created it meanwhile and has committed: amend it as any stored recall
            row = self._row(recall.authority, recall.recall_number)
            assert row is not None
            if row.content_hash == h:
                return RecallUpsert("unchanged", row.version, RecallStatus(row.status), h)
        previous = RecallStatus(row.status)
        for k, v in fields.items():
            setattr(row, k, v)
        row.version += 1
        row.targets = new_targets
        self.s.flush()
        return RecallUpsert("amended", row.version, previous, h)

    def _insert_new(self, values: dict[str, object]) -> bool:
        """Insert a recall row unless one with its key is there; False when another transaction's
        (committed meanwhile: PostgreSQL waits for it, SQLite's writer lock for its commit) was."""
        stmt = _insert_unless_stored(self.s, _RECALLS, ("authority", "recall_number"), _RECALLS.c.id)
        return self.s.execute(stmt, values).first() is not None

    def targets_of(self, authority: str, number: str) -> list[Target]:
        """The targets of one recall, in extraction order."""
        row = self._row(authority, number)
        return [target_from_json(t.data) for t in row.targets] if row else []

    def active_targets(self) -> list[Target]:
        """Every target of every active recall (what a full scan screens against)."""
        q = (
            select(TargetRow.data)
            .join(RecallRow)
            .where(RecallRow.status == RecallStatus.ACTIVE.value)
            .order_by(RecallRow.authority, RecallRow.recall_number, TargetRow.position)
        )
        return [target_from_json(d) for d in self.s.scalars(q)]

    def all_targets(self) -> list[Target]:
        """Every stored target, of active and withdrawn recalls (product groups, reports)."""
        q = (
            select(TargetRow.data)
            .join(RecallRow)
            .order_by(RecallRow.authority, RecallRow.recall_number, TargetRow.position)
        )
        return [target_from_json(d) for d in self.s.scalars(q)]

    def revision(self) -> int:
        """The recall set's revision: raised by every commit that created or amended a recall. Equal
        revisions read at two moments mean the same recall set; read it *before* the fingerprint it
        vouches for (a change committed between the two reads then shows as a new revision).

        >>> from recallguard.store import Store
        >>> store = Store("sqlite://")
        >>> with store.transaction() as uow:
        ...     before = uow.recalls.revision()
        ...     _ = uow.recalls.upsert(Recall("26561", "CPSC", "Doll"), [Target("26561", "CPSC")])
        >>> with store.transaction() as uow:
        ...     uow.recalls.revision() - before
        1
        """
        return int(self.s.execute(_READ_REVISION).scalar() or 0)

    def active_fingerprint(self) -> list[tuple[str, str, str]]:
        """(authority, number, content hash) of every active recall, sorted: a scan's recall set."""
        return [(a, n, h) for a, n, h in self.s.execute(_ACTIVE_FINGERPRINT)]

    def list(self, status: RecallStatus | None = None) -> list[Recall]:
        """Stored recalls (optionally of one status), by authority and number."""
        q = select(RecallRow).order_by(RecallRow.authority, RecallRow.recall_number)
        if status is not None:
            q = q.where(RecallRow.status == status.value)
        return [recall_from_json(r.normalised, r.raw) for r in self.s.scalars(q)]

    def latest_publish_date(self, authority: str) -> datetime | None:
        """The newest LastPublishDate stored for an authority (where an incremental sync resumes)."""
        q = select(func.max(RecallRow.last_publish_date)).where(RecallRow.authority == authority)
        return utc(self.s.scalar(q))

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(RecallRow)) or 0)

    def priority_keys(self) -> set[tuple[str, str]]:
        """(authority, number) of every recall marked priority (kept when a feed publishes it again)."""
        return {(a, n) for a, n in self.s.execute(_PRIORITY_KEYS)}

    def count_priority(self) -> int:
        """Active recalls marked priority (``recallguard status``)."""
        q = (
            select(func.count())
            .select_from(RecallRow)
            .where(RecallRow.priority.is_(True), RecallRow.status == RecallStatus.ACTIVE.value)
        )
        return int(self.s.scalar(q) or 0)

    def count_targets(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(TargetRow)) or 0)


class ListingRepo:
    """Listings keyed by listing id, with a content hash and the scan version they were screened at."""

    def __init__(self, session: Session) -> None:
        self.s = session
        # listings inserted by this unit of work, as a read of their rows would give them back (no
        # other writer can change a row's content before this transaction ends): ``get`` skips the read
        self._inserted: dict[str, Listing] = {}

    def get(self, listing_id: str) -> Listing | None:
        if (inserted := self._inserted.get(listing_id)) is not None:
            return inserted
        row = self.s.get(ListingRow, listing_id)
        return listing_from_row(row) if row else None

    def get_many(self, ids: Iterable[str]) -> list[Listing]:
        """The stored listings among ``ids``, by listing id."""
        q = select(ListingRow).where(ListingRow.listing_id.in_(list(ids))).order_by(ListingRow.listing_id)
        return [listing_from_row(r) for r in self.s.scalars(q)]

    def upsert_many(
        self,
        listings: Sequence[Listing],
        keys: Mapping[str, Iterable[KeyRow]] | None = None,
        screened_version: str | None = None,
    ) -> ListingUpsert:
        """Insert new listings, update changed ones (their screening is then due), skip identical ones.

        ``keys``: the listing-key rows of (some of) the listings by id, computed ahead (bulk loads
        compute them in worker processes); the others are computed here. ``screened_version``: the
        new and changed listings are written as screened at that scan version (the caller screens
        them in this transaction; it marks the unchanged ones itself)."""
        by_id = {x.listing_id: x for x in listings}  # the last of duplicate ids in one batch wins
        known = self.content_hashes(list(by_id))
        ts = now()
        new_rows, changed_rows = [], []
        for lid, listing in by_id.items():
            h = listing_hash(listing)
            if lid not in known:
                new_rows.append(
                    {**listing_values(listing), "content_hash": h, "created_at": ts, "updated_at": ts,
                     "screened_version": screened_version}
                )  # fmt: skip
            elif known[lid] != h:
                changed_rows.append(
                    {**listing_values(listing), "content_hash": h, "updated_at": ts,
                     "screened_version": screened_version}
                )  # fmt: skip
        index = ListingKeyRepo(self.s)  # listing-side indexes, in the same transaction
        if new_rows:
            new_rows, late = self._insert_new(new_rows)
            if late:  # stored by another writer meanwhile (committed): stored listings like any other
                stored = self.content_hashes([r["listing_id"] for r in late])
                changed_rows += [
                    {k: v for k, v in r.items() if k != "created_at"}
                    for r in late
                    if stored.get(r["listing_id"]) != r["content_hash"]
                ]
        if new_rows:
            index.add([by_id[r["listing_id"]] for r in new_rows], keys)
            for r in new_rows:
                self._inserted[r["listing_id"]] = dataclasses.replace(
                    by_id[r["listing_id"]], created_at=ts, updated_at=ts
                )
        if changed_rows:
            for r in changed_rows:  # changed again in this unit of work: read back from now on
                self._inserted.pop(r["listing_id"], None)
            old = self.get_many([r["listing_id"] for r in changed_rows])
            self.s.execute(update(ListingRow), changed_rows)
            index.replace(old, [by_id[r["listing_id"]] for r in changed_rows])
        unchanged = len(by_id) - len(new_rows) - len(changed_rows)
        return ListingUpsert(
            [r["listing_id"] for r in new_rows], [r["listing_id"] for r in changed_rows], unchanged
        )

    def _insert_new(
        self, rows: list[dict[str, object]]
    ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """Insert the rows of listings read as absent; returns those inserted and those another writer
        stored meanwhile. A few rows (publish time, the stream: where two writers of one new listing
        meet, a retried call or two workers) go through ``INSERT … ON CONFLICT DO NOTHING RETURNING``,
        which waits for the other writer's commit; a bulk load keeps the plain insert, 2-3 times faster
        on PostgreSQL, and a bulk load racing another writer fails whole and is rerun."""
        if len(rows) > GUARDED_INSERT:
            self.s.execute(_LISTING_INSERT, rows)
            return rows, []
        stmt = _insert_unless_stored(self.s, _LISTINGS, ("listing_id",), _LISTINGS.c.listing_id)
        inserted = set(self.s.scalars(stmt, rows))
        if len(inserted) == len(rows):
            return rows, []
        return [r for r in rows if r["listing_id"] in inserted], [
            r for r in rows if r["listing_id"] not in inserted
        ]

    def content_hashes(self, listing_ids: Sequence[str]) -> dict[str, str]:
        """The stored content hash of each of ``listing_ids`` that is stored."""
        return {lid: h for lid, h in self.s.execute(_CONTENT_HASHES, {"ids": list(listing_ids)})}

    def page_to_screen(self, after: str, version: str, limit: int) -> list[Listing]:
        """The next ``limit`` listings after id ``after`` not yet screened at scan ``version``."""
        return [listing for listing, _ in self.page_to_screen_hashed(after, version, limit)]

    def page_to_screen_hashed(self, after: str, version: str, limit: int) -> list[tuple[Listing, str]]:
        """``page_to_screen`` with each listing's stored content hash (to detect a change meanwhile)."""
        q = (
            select(ListingRow)
            .where(ListingRow.listing_id > after)
            .where(or_(ListingRow.screened_version.is_(None), ListingRow.screened_version != version))
            .order_by(ListingRow.listing_id)
            .limit(limit)
        )
        return [(listing_from_row(r), r.content_hash) for r in self.s.scalars(q)]

    def page(self, after: str, limit: int) -> list[Listing]:
        """The next ``limit`` listings after id ``after`` (keyset paging over every listing)."""
        q = (
            select(ListingRow)
            .where(ListingRow.listing_id > after)
            .order_by(ListingRow.listing_id)
            .limit(limit)
        )
        return [listing_from_row(r) for r in self.s.scalars(q)]

    def mark_screened(self, ids: Sequence[str], version: str) -> None:
        """Record that these listings were screened against scan ``version``."""
        if ids:
            self.s.execute(_MARK_SCREENED, {"ids": list(ids), "version": version})

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(ListingRow)) or 0)

    def count_to_screen(self, version: str) -> int:
        """How many listings are not yet screened at scan ``version``."""
        q = select(func.count()).where(
            or_(ListingRow.screened_version.is_(None), ListingRow.screened_version != version)
        )
        return int(self.s.scalar(q.select_from(ListingRow)) or 0)


class QuarantineRepo:
    """Bad records (recall or listing) kept with the reason, each distinct one once."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, kind: str, bad: Iterable[BadRecord]) -> int:
        """Keep bad records of ``kind`` (``recall`` | ``listing``); returns how many were new."""
        rows = {}
        for b in bad:
            h = sha256_json([kind, b.source, b.location, b.field, b.error, b.raw])
            rows[h] = {
                "kind": kind,
                "source": b.source,
                "location": b.location,
                "field": b.field,
                "error": b.error,
                "raw": b.raw,
                "record_hash": h,
                "created_at": now(),
            }
        if not rows:
            return 0
        known = set(
            self.s.scalars(select(QuarantineRow.record_hash).where(QuarantineRow.record_hash.in_(rows)))
        )
        fresh = [r for h, r in rows.items() if h not in known]
        if fresh:
            self.s.execute(insert(QuarantineRow), fresh)
        return len(fresh)

    def list(self, kind: str | None = None, limit: int = 1000) -> list[BadRecord]:
        """Quarantined records, oldest first."""
        q = select(QuarantineRow).order_by(QuarantineRow.id).limit(limit)
        if kind:
            q = q.where(QuarantineRow.kind == kind)
        return [BadRecord(r.source, r.location, r.field, r.error, r.raw) for r in self.s.scalars(q)]

    def count(self, kind: str | None = None) -> int:
        q = select(func.count()).select_from(QuarantineRow)
        if kind:
            q = q.where(QuarantineRow.kind == kind)
        return int(self.s.scalar(q) or 0)
