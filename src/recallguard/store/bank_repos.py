"""The fingerprint bank's repository: entries of actioned listings, the numbered change log that
in-memory banks poll, and image hashes computed once. Works inside one unit of work
(``BankRepo(uow.session)``) and returns plain dataclasses.

>>> from datetime import UTC, datetime
>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     bank = BankRepo(uow.session)
...     rec = bank.record("A1", "L1", "CPSC", "26568", "S1", {}, {"title": "x"}, [], datetime.now(UTC))
...     [(seq, op, r.listing_id) for seq, op, r in bank.changes_since(0)]
[(1, 'add', 'L1')]
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, literal, select
from sqlalchemy.orm import Session

from recallguard.store.bank_tables import (
    ENTRY_ACTIVE,
    ENTRY_REMOVED,
    BankChangeRow,
    BankEntryRow,
    ImageHashRow,
)
from recallguard.store.convert import now, utc
from recallguard.store.tables import ActionRow

#: Action states in which a listing counts as actioned (approved and on its way or done).
ACTIONED_STATES = ("approved", "sent", "confirmed", "failed")


@dataclass
class BankRecord:
    """One bank entry as stored."""

    entry_id: int
    action_id: str
    listing_id: str
    authority: str
    recall_number: str
    seller_id: str
    links: dict[str, str]
    fingerprint: dict[str, Any]
    image_urls: list[str]
    images_state: str
    state: str
    reason: str = ""
    actioned_at: datetime | None = None


@dataclass
class BankCounts:
    """What ``recallguard bank status`` shows."""

    active: int = 0
    removed: int = 0
    images: dict[str, int] = field(default_factory=dict)  # images_state → active entries
    last_seq: int = 0
    sellers: int = 0


@dataclass
class StoredHashes:
    """Hashes of one image URL (``[[view, phash, dhash, vphash, vdhash], …]``) or why there are none."""

    url: str
    kind: str
    owner: str
    status: str
    hashes: list[list[Any]]
    error: str = ""


_ENTRY_INSERT = insert(cast(Table, BankEntryRow.__table__))
_CHANGE_INSERT = insert(cast(Table, BankChangeRow.__table__))
_ENTRIES = cast(Table, BankEntryRow.__table__)
_CHANGES = cast(Table, BankChangeRow.__table__)
_ACTIVE = select(_ENTRIES).where(_ENTRIES.c.state == ENTRY_ACTIVE).order_by(_ENTRIES.c.id)


def _record(row: Any) -> BankRecord:
    """A ``BankEntryRow`` (or a row of its table's columns) as a record."""
    return BankRecord(
        row.id, row.action_id, row.listing_id, row.authority, row.recall_number, row.seller_id,
        dict(row.links or {}), dict(row.fingerprint or {}), list(row.image_urls or []), row.images_state,
        row.state, row.reason, utc(row.actioned_at),
    )  # fmt: skip


class BankRepo:
    """Bank entries, their change log, and image hashes."""

    def __init__(self, session: Session) -> None:
        #: the ``seq`` of the last change this repository logged (0: none yet)
        self.last_change = 0
        self.s = session

    def _log(self, entry_id: int, op: str) -> None:
        written = self.s.execute(_CHANGE_INSERT, {"entry_id": entry_id, "op": op, "at": now()})  # Core
        self.last_change = int(written.inserted_primary_key[0])

    def _insert_logged(self, values: dict[str, Any]) -> int:
        """Insert a new entry and log its ``add``; returns the entry's id. PostgreSQL: one statement
        (the entry's INSERT in a CTE whose id the change log's INSERT reads), a round trip less."""
        if self.s.get_bind().dialect.name != "postgresql":
            entry_id = int(self.s.execute(_ENTRY_INSERT, values).inserted_primary_key[0])
            self._log(entry_id, "add")
            return entry_id
        entry = _ENTRY_INSERT.values(values).returning(_ENTRIES.c.id).cte("entry")
        at = bindparam("at", now(), type_=_CHANGES.c.at.type)
        both = _CHANGE_INSERT.from_select(
            ["entry_id", "op", "at"], select(entry.c.id, literal("add"), at)
        ).returning(_CHANGES.c.entry_id, _CHANGES.c.seq)
        entry_id, self.last_change = self.s.execute(both).one()
        return int(entry_id)

    def _row(self, action_id: str) -> BankEntryRow | None:
        return self.s.scalars(select(BankEntryRow).where(BankEntryRow.action_id == action_id)).one_or_none()

    def record(
        self,
        action_id: str,
        listing_id: str,
        authority: str,
        recall_number: str,
        seller_id: str,
        links: dict[str, str],
        fingerprint: dict[str, Any],
        image_urls: list[str],
        actioned_at: datetime,
        new: bool = False,
    ) -> BankRecord:
        """Add (or re-activate and refresh) the entry of one action; logs an ``add`` change. ``new``:
        the action has no entry yet (created in this transaction), so none is looked up."""
        row = None if new else self._row(action_id)
        images_state = "pending" if image_urls else "none"
        values = {
            "listing_id": listing_id, "authority": authority, "recall_number": recall_number,
            "seller_id": seller_id, "links": links, "fingerprint": fingerprint, "image_urls": image_urls,
            "images_state": images_state, "state": ENTRY_ACTIVE, "reason": "", "actioned_at": actioned_at,
            "updated_at": now(),
        }  # fmt: skip
        if new:  # Core INSERTs (no unit of work); the entry id comes back for the change log
            entry_id = self._insert_logged({"action_id": action_id, **values})
            return BankRecord(
                entry_id, action_id, listing_id, authority, recall_number, seller_id, dict(links),
                dict(fingerprint), list(image_urls), images_state, ENTRY_ACTIVE, "", utc(actioned_at),
            )  # fmt: skip
        if row is None:
            row = BankEntryRow(action_id=action_id, **values)
            self.s.add(row)
        else:
            if row.images_state == "done" and row.image_urls == image_urls:  # keep hashes already made
                values["images_state"] = "done"
                fingerprint["images"] = (row.fingerprint or {}).get("images", [])
            for k, v in values.items():
                setattr(row, k, v)
        self.s.flush()
        self._log(row.id, "add")
        return _record(row)

    def remove(self, action_id: str, reason: str) -> BankRecord | None:
        """Mark the entry of an action removed (reversed or withdrawn); None when none was active."""
        row = self._row(action_id)
        if row is None or row.state != ENTRY_ACTIVE:
            return None
        row.state, row.reason, row.updated_at = ENTRY_REMOVED, reason, now()
        self.s.flush()
        self._log(row.id, "remove")
        return _record(row)

    def get(self, action_id: str) -> BankRecord | None:
        row = self._row(action_id)
        return _record(row) if row else None

    def set_images(self, entry_id: int, hashes: list[list[Any]], state: str) -> None:
        """Store the image hashes of an entry (``done``, or ``failed`` when no image could be read)."""
        row = self.s.get(BankEntryRow, entry_id)
        if row is None:
            return
        row.fingerprint = {**(row.fingerprint or {}), "images": hashes}
        row.images_state, row.updated_at = state, now()
        self.s.flush()
        self._log(row.id, "images")

    def pending_images(self, limit: int = 100) -> list[BankRecord]:
        """Active entries whose images are not hashed yet, oldest first."""
        q = (
            select(BankEntryRow)
            .where(BankEntryRow.images_state == "pending", BankEntryRow.state == ENTRY_ACTIVE)
            .order_by(BankEntryRow.id)
            .limit(limit)
        )
        return [_record(r) for r in self.s.scalars(q)]

    def iter_active(self, chunk: int = 2000) -> Iterator[BankRecord]:
        """Every active entry, in id order (what a rebuild loads)."""
        q = _ACTIVE.execution_options(yield_per=chunk)  # table columns: no ORM object per entry
        for row in self.s.execute(q):
            yield _record(row)

    def last_seq(self) -> int:
        return int(self.s.scalar(select(func.max(BankChangeRow.seq))) or 0)

    def changes_since(self, seq: int, also: Collection[int] = ()) -> list[tuple[int, str, BankRecord]]:
        """Changes after ``seq`` (and the listed older ones, e.g. gaps still open), with the entry's
        current state, in ``seq`` order."""
        cond = BankChangeRow.seq > seq
        if also:
            cond = cond | BankChangeRow.seq.in_(list(also))
        entries = cast(Table, BankEntryRow.__table__)
        q = (  # columns, not ORM objects: what a poll after each commit reads stays cheap
            select(BankChangeRow.seq.label("change_seq"), BankChangeRow.op.label("change_op"), entries)
            .join(entries, entries.c.id == BankChangeRow.entry_id)
            .where(cond)
            .order_by(BankChangeRow.seq)
        )
        return [(int(r.change_seq), r.change_op, _record(r)) for r in self.s.execute(q)]

    def counts(self) -> BankCounts:
        c = BankCounts(last_seq=self.last_seq())
        q = select(BankEntryRow.state, BankEntryRow.images_state, func.count()).group_by(
            BankEntryRow.state, BankEntryRow.images_state
        )
        for state, images, n in self.s.execute(q):
            if state == ENTRY_ACTIVE:
                c.active += n
                c.images[images] = c.images.get(images, 0) + n
            else:
                c.removed += n
        sellers = select(func.count(func.distinct(BankEntryRow.seller_id))).where(
            BankEntryRow.state == ENTRY_ACTIVE, BankEntryRow.seller_id != ""
        )
        c.sellers = int(self.s.scalar(sellers) or 0)
        return c

    # --- keeping the bank in step with actions changed outside the decide path -----------------
    def actions_without_entry(self, limit: int = 10_000) -> list[str]:
        """Ids of actioned actions (approved, sent, confirmed, failed) with no active entry."""
        active = select(BankEntryRow.action_id).where(BankEntryRow.state == ENTRY_ACTIVE)
        q = (
            select(ActionRow.action_id)
            .where(ActionRow.state.in_(ACTIONED_STATES), ActionRow.action_id.not_in(active))
            .limit(limit)
        )
        return list(self.s.scalars(q))

    def entries_without_action(self, limit: int = 10_000) -> list[tuple[str, str]]:
        """(action id, action state) of active entries whose action is no longer actioned."""
        q = (
            select(BankEntryRow.action_id, ActionRow.state)
            .join(ActionRow, ActionRow.action_id == BankEntryRow.action_id, isouter=True)
            .where(BankEntryRow.state == ENTRY_ACTIVE)
            .where(ActionRow.state.is_(None) | ActionRow.state.not_in(ACTIONED_STATES))
            .limit(limit)
        )
        return [(a, s or "deleted") for a, s in self.s.execute(q)]

    # --- image hashes -------------------------------------------------------------------------
    def hashes(self, kind: str, urls: Collection[str]) -> dict[str, StoredHashes]:
        """Stored hashes of these URLs (``reference`` or ``query``), by URL."""
        if not urls:
            return {}
        q = select(ImageHashRow).where(ImageHashRow.kind == kind, ImageHashRow.url.in_(list(urls)))
        return {
            r.url: StoredHashes(r.url, r.kind, r.owner, r.status, list(r.hashes or []), r.error)
            for r in self.s.scalars(q)
        }

    def save_hashes(self, h: StoredHashes) -> None:
        """Store (or replace) the hashes of one URL."""
        row = self.s.get(ImageHashRow, (h.kind, h.url))
        if row is None:
            self.s.add(ImageHashRow(kind=h.kind, url=h.url, owner=h.owner[:200], status=h.status,
                                    hashes=h.hashes, error=h.error[:2000], at=now()))  # fmt: skip
            return
        row.owner, row.status, row.hashes, row.error, row.at = (
            h.owner[:200],
            h.status,
            h.hashes,
            h.error,
            now(),
        )

    def recent_hashes(self, kind: str, limit: int = 50_000) -> list[StoredHashes]:
        """The newest ``ok`` hashes of a kind (to warm a cache at startup)."""
        q = (
            select(ImageHashRow)
            .where(ImageHashRow.kind == kind, ImageHashRow.status == "ok")
            .order_by(ImageHashRow.at.desc())
            .limit(limit)
        )
        return [StoredHashes(r.url, r.kind, r.owner, r.status, list(r.hashes or []), r.error)
                for r in self.s.scalars(q)]  # fmt: skip
