"""The fingerprint bank of a running process, kept in step with the store.

A :class:`BankService` holds an in-memory :class:`~recallguard.matching.fingerprints.FingerprintBank`
of every actioned listing, an :class:`~recallguard.enforcement.offenders.OffenderBook` fed from the
same entries (seller ids and seller-link attributes of actioned listings) and an image index of
removed listings' and recalls' photos. It is

- **rebuilt from the store** at startup (checkpoint read in one transaction, built aside, swapped
  in whole), after repairing the bank for actions changed outside the decide path;
- **updated incrementally**: a transaction of this process applies the changes it wrote from
  memory as it commits (no read; the poll that later reads them skips them), and the poll thread
  applies ``bank_changes`` rows after the last applied ``seq`` every ``poll_s`` seconds for commits
  of other processes (out-of-order commits on PostgreSQL are caught by re-reading open gaps);
- **used by screening**: :func:`open_bank` makes it the process's bank, and
  ``service.screening.default_screener`` then adds :meth:`BankService.check` to the screener and
  wraps it in the seller policy (:mod:`recallguard.service.offenders`).

Photos are never fetched while screening: a listing whose photos are not hashed yet is queued for
the bounded image worker, which hashes them, and screens the listing's photos again once they are.
``background=False`` (one-shot CLI commands) starts no thread and queues no photo work: pending
photos are hashed by ``recallguard bank rebuild`` or by the next long-running process.

>>> from recallguard.store import Store
>>> svc = open_bank(Store("sqlite://"), poll_s=None)
>>> current_bank() is svc, svc.status()["entries"]
(True, 0)
>>> close_bank(svc)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event

from recallguard.domain.models import DecisionKind, Listing, Match, Target
from recallguard.domain.policy import BANK_MODEL, DecisionPolicy
from recallguard.enforcement.offenders import OffenderBook
from recallguard.matching.fingerprints import FingerprintBank
from recallguard.matching.images import ImageHash, ImageIndex, query_hashes, reference_hashes
from recallguard.service.bank_held import HeldEntry, held
from recallguard.service.bank_images import (
    ImageSettings,
    ImageWorker,
    QueryHashCache,
    from_rows,
    hash_urls,
    to_rows,
)
from recallguard.service.bank_record import WrittenChange, on_bank_commit, sync_with_actions
from recallguard.service.offenders import OffenderPolicy
from recallguard.store import Store
from recallguard.store.bank_repos import BankRecord, BankRepo, StoredHashes

log = logging.getLogger(__name__)
MAX_IMAGES = 5  # photos per listing considered
GAP_WAIT_S = 60.0  # how long a missing seq is re-read (a transaction that committed late)
SYNC_EVERY = 10  # polls between repairs from the actions table
#: At most this share of the poll thread's time goes to repairs: a repair compares every actioned action
#: with the bank (73 ms at 20,000 entries here, linear in the bank: seconds at a million entries), a
#: safety net for writers that bypass the bank's hook, so a big bank's repairs come further apart.
REPAIR_SHARE = 0.01
SYNC_CHUNK = 200  # actions repaired per transaction: a big backlog never holds the write lock for long


def next_repair_at(started: float, ended: float, every_s: float) -> float:
    """When the poll thread's next repair may start (monotonic seconds): ``every_s`` after this one's
    start, or later when it was slow, so that repairs take at most ``REPAIR_SHARE`` of the time.

    >>> next_repair_at(100.0, 100.073, 10.0)  # 73 ms (20,000 entries): the usual pace
    110.0
    >>> round(next_repair_at(100.0, 103.6, 10.0), 1)  # 3.6 s (a million entries): six minutes on
    463.6
    """
    return max(started + every_s, ended + (ended - started) / REPAIR_SHARE)


def _naive(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone().replace(tzinfo=None)  # OffenderBook's clock


class BankService:
    """The bank of one store in this process (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        policy: DecisionPolicy | None = None,
        images: ImageSettings | None = None,
        poll_s: float | None = 1.0,
        background: bool = True,
        actor: str = "bank",
    ) -> None:
        self.store, self.actor, self.background = store, actor, background
        self.policy = policy or DecisionPolicy()
        self.images = images or ImageSettings.from_env()
        # one shared connection (in-memory SQLite) or a one-shot command: no thread
        self.poll_s = None if _in_memory(store) or not background else poll_s
        self.query_cache = QueryHashCache(self.images.cache)
        self.worker = ImageWorker(self.images.workers, self.images.queue)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gaps: dict[int, float] = {}
        self._own: set[int] = set()  # seqs past ``_last_seq`` this process applied from memory
        self._keyed: dict[tuple[str, str], tuple[int, ...]] = {}  # (listing, recall) → its held entries
        self.rebuilds = self.polls = self.rescreened = 0
        self.last_poll_at: datetime | None = None
        self._swap(FingerprintBank(self.policy, image_loader=None), {}, 0, {})

    # --- state ----------------------------------------------------------------------------------
    def _swap(
        self,
        bank: FingerprintBank,
        records: dict[int, HeldEntry],
        seq: int,
        recalls: dict[str, list[ImageHash]],
    ) -> None:
        book = OffenderBook()
        for r in records.values():
            if r.seller_id:
                book.record_action(r.seller_id, r.recall_number, at=_naive(r.actioned_at), links=r.links)
        index = ImageIndex()
        for key, hashes in recalls.items():
            index.add(f"recall:{key}", hashes)
        for r in records.values():
            if r.images:
                index.add(f"bank:{r.entry_id}", from_rows(r.images))
        keyed: dict[tuple[str, str], tuple[int, ...]] = {}
        for r in records.values():
            k = (r.listing_id, r.recall_number)
            keyed[k] = (*keyed.get(k, ()), r.entry_id)
        with self._lock:
            self.bank, self._records, self._last_seq, self.offenders = bank, records, seq, book
            self._keyed = keyed
            self._own = {s for s in self._own if s > seq}
            self._recall_images, self._image_index = recalls, index
            self._imaged = {r.entry_id for r in records.values() if r.images}
            self._watched = {r.seller_id for r in records.values() if r.seller_id}
            self._attrs = {pair for r in records.values() for pair in r.links.items()}

    def rebuild(self) -> dict[str, Any]:
        """Repair the bank from the actions table, then load every active entry and swap it in whole."""
        added, removed = self.repair()
        with self.store.transaction() as uow:
            repo = BankRepo(uow.session)
            seq = repo.last_seq()
            records = {r.entry_id: held(r) for r in repo.iter_active()}
            recalls = self._stored_recall_images(uow, repo)
            for h in repo.recent_hashes("query", self.images.cache):
                self.query_cache.put(h.url, from_rows(h.hashes))
        bank = FingerprintBank(self.policy, image_loader=None)
        bank.load_entries([r.entry for r in records.values()])
        self._swap(bank, records, seq, recalls)
        self.rebuilds += 1
        if self.background:
            self.worker.submit("entry-images", self.process_images)
            self.worker.submit("recall-images", self.hash_recall_images)
        return {"entries": len(records), "seq": seq, "repaired_added": added, "repaired_removed": removed}

    def repair(self) -> tuple[int, int]:
        """Add entries for actioned actions that have none and remove those whose action ended, in
        transactions of ``SYNC_CHUNK`` actions (other writers get the store between them: a backlog of
        thousands, after a bulk load or an upgrade, would otherwise hold SQLite's write lock for a
        minute); returns (added, removed)."""
        added = removed = 0
        while True:
            with self.store.transaction() as uow:
                a, r = sync_with_actions(uow, limit=SYNC_CHUNK)
            added, removed = added + a, removed + r
            if a < SYNC_CHUNK and r < SYNC_CHUNK:
                return added, removed

    def sync(self) -> int:
        """Repair the bank from the actions table (actions approved or reversed by code that does not
        call the hook), then :meth:`poll`; returns the changes applied."""
        self.repair()
        return self.poll()

    def poll(self) -> int:
        """Apply the changes committed since the last one applied (and open gaps); returns how many.
        An applied entry whose photos are still pending queues the image worker (an entry without
        photos, the usual case, queues nothing: no background query competes with screening)."""
        with self._lock:
            last, gaps = self._last_seq, list(self._gaps)
        with self.store.transaction() as uow:
            changes = BankRepo(uow.session).changes_since(last, gaps)
        self._apply_changes(changes)
        with self._lock:
            self.polls += 1
            self.last_poll_at = datetime.now(UTC)
        return len(changes)

    def _apply_changes(self, changes: Sequence[WrittenChange], own: bool = False) -> None:
        """Apply change-log rows in ``seq`` order, those not applied yet; a poll opens gaps for the
        numbers it skipped. ``own``: changes a commit of this process wrote, applied from memory
        (``seq`` beyond the last one read is remembered, and the poll that reads it skips it)."""
        if self.background and any(
            r.state == "active" and r.images_state == "pending" for _, _, r in changes
        ):
            self.worker.submit("entry-images", self.process_images)
        now = time.monotonic()
        removed = False
        with self._lock:
            for seq, _op, rec in changes:
                applied = seq <= self._last_seq and seq not in self._gaps
                if own:
                    if not (applied or seq in self._own):
                        removed |= self._apply(rec)
                        if self._gaps.pop(seq, None) is None:
                            self._own.add(seq)
                    continue
                if seq in self._own:
                    self._own.discard(seq)  # applied from memory when this process committed it
                elif applied:
                    continue
                else:
                    removed |= self._apply(rec)
                self._gaps.pop(seq, None)
                if seq > self._last_seq:
                    self._gaps.update({s: now for s in range(self._last_seq + 1, seq)})
                    self._last_seq = seq
            while self._last_seq + 1 in self._own:  # nothing of other processes in between: read past it
                self._last_seq += 1
                self._own.discard(self._last_seq)
            self._own = {s for s in self._own if s > self._last_seq}
            self._gaps = {s: t for s, t in self._gaps.items() if now - t < GAP_WAIT_S}
            if removed:
                self._rederive()

    def _apply(self, rec: BankRecord) -> bool:
        """Apply one entry's current state; True when an entry was removed, so the offender book and
        the image index must be derived again (:meth:`_rederive`, once per batch of changes)."""
        key = (rec.listing_id, rec.recall_number)
        old = self._records.pop(rec.entry_id, None)
        others = tuple(i for i in self._keyed.pop(key, ()) if i != rec.entry_id)
        if others:
            self._keyed[key] = others
        if rec.state == "active":
            h = self._records[rec.entry_id] = held(rec)
            self._keyed[key] = (*others, rec.entry_id)
            self.bank.put(h.entry)
            if h.images and rec.entry_id not in self._imaged:
                self._image_index.add(f"bank:{rec.entry_id}", from_rows(h.images))
                self._imaged.add(rec.entry_id)
            if old is None and h.seller_id:
                at = _naive(h.actioned_at)
                self.offenders.record_action(h.seller_id, h.recall_number, at, links=h.links)
                self._watched.add(h.seller_id)
                self._attrs.update(h.links.items())
            return False
        if old is None:
            return False
        self.bank.remove(rec.listing_id, rec.recall_number)
        if others:  # another action of the same listing and recall still holds (its entry has its values)
            self.bank.put(self._records[min(others)].entry)
        return True

    def _rederive(self) -> None:
        """The offender book, image index and seller sets derived again from the held entries (after
        removals: a reversed action no longer counts against its seller)."""
        self._swap(self.bank, self._records, self._last_seq, self._recall_images)

    # --- screening --------------------------------------------------------------------------------
    def committed(self, written: Sequence[WrittenChange]) -> None:
        """A transaction of this process changed the bank: apply the changes it wrote from memory (no
        read: publish-time screening commits one after every block), so a process always screens
        against its own commits."""
        self._apply_changes(written, own=True)

    def check(self, listing: Listing) -> list[Match]:
        """Matches of ``listing`` against the bank (text, identifiers, photos) and recall photos.

        A Screener check: no I/O (photos not hashed yet are queued for the worker)."""
        by_recall = {(m.authority, m.recall_number): m for m in self.bank.screen(listing)}
        for m in self._image_matches(listing):
            key = (m.authority, m.recall_number)
            if (other := by_recall.get(key)) is not None:
                score = round(1 - (1 - other.score) * (1 - m.score), 4)
                decision = self.policy.decide(score, m.authority)
                evidence, feats = f"{other.evidence}; {m.evidence}", {**other.features, **m.features}
                m = Match(
                    m.listing_id, m.recall_number, m.authority, score, decision, evidence, feats, BANK_MODEL
                )
            if m.decision != DecisionKind.NONE:
                by_recall[key] = m
        return sorted(by_recall.values(), key=lambda m: -m.score)

    def _image_matches(self, listing: Listing) -> list[Match]:
        urls = listing.image_urls[:MAX_IMAGES]
        if not urls or not len(self._image_index):
            return []
        hashes: list[ImageHash] = []
        missing = False
        for url in urls:
            cached = self.query_cache.get(url)
            missing |= cached is None
            hashes += cached or []
        if missing and self.background and any(self.images.allowed(u) for u in urls):
            self.worker.submit(f"listing:{listing.listing_id}", lambda: self._hash_listing(listing))
        out = []
        for hit in self._image_index.search(hashes) if hashes else []:
            kind, _, ident = hit.key.partition(":")
            bits = f"{hit.phash_distance}/{hit.dhash_distance} bits"
            how = f"{hit.family} hashes {bits}, {hit.query_view} vs {hit.view}"
            score = 0.92 if hit.distance <= 16 else 0.8
            if kind == "recall":
                authority, _, number = ident.partition(":")
                why = f"photo matches the published photo of recall {number} ({how})"
            else:
                rec = self._records.get(int(ident))
                if rec is None or rec.listing_id == listing.listing_id:
                    continue
                authority, number = rec.authority, rec.recall_number
                why = (f"photo of removed listing {rec.listing_id} (recall {number}; {how}); original action "
                       f"{rec.action_id}: {rec.entry.evidence.reason_text or 'removed'}")  # fmt: skip
            decision = self.policy.decide(score, authority)
            out.append(
                Match(
                    listing.listing_id,
                    number,
                    authority,
                    score,
                    decision,
                    why,
                    {"image_score": score},
                    BANK_MODEL,
                )
            )
        return out

    # --- images (worker jobs) ----------------------------------------------------------------------
    def _hash_listing(self, listing: Listing) -> None:
        urls = [u for u in listing.image_urls[:MAX_IMAGES] if self.query_cache.get(u) is None]
        with self.store.transaction() as uow:
            stored = BankRepo(uow.session).hashes("query", urls)
        todo = [u for u in urls if u not in stored and self.images.allowed(u)]
        done, errors = hash_urls(todo, self.images, query_hashes)
        with self.store.transaction() as uow:
            repo = BankRepo(uow.session)
            for url, h in done.items():
                repo.save_hashes(
                    StoredHashes(url, "query", f"listing:{listing.listing_id}", "ok", to_rows(h))
                )
            for url, err in errors.items():
                repo.save_hashes(
                    StoredHashes(url, "query", f"listing:{listing.listing_id}", "failed", [], err)
                )
        for url in urls:
            s = stored.get(url)
            self.query_cache.put(url, done.get(url) or (from_rows(s.hashes) if s else []))
        if self._image_matches(listing):
            self._rescreen(listing.listing_id)

    def _rescreen(self, listing_id: str) -> None:
        """Store the photo matches of a listing whose photos were just hashed (only stronger ones)."""
        from recallguard.service.decide import reconcile

        with self.store.transaction() as uow:
            listing = uow.listings.get(listing_id)
            if listing is None:
                return  # screened through the API without being stored: the cache serves next time
            found = self.offender_policy(None).apply(listing, self.check(listing))
            existing = uow.matches.active_for_listings([listing_id]).get(listing_id, [])
            old = {(m.authority, m.recall_number): m.score for m in existing}
            better = [m for m in found if m.score > old.get((m.authority, m.recall_number), -1.0)]
            if better:
                scope = {(m.authority, m.recall_number) for m in better}
                reconcile(
                    uow, listing_id, better, existing, self.actor, scope=scope, why="listing photos hashed"
                )
                self.rescreened += 1

    def process_images(self, limit: int = 200) -> int:
        """Hash the photos of bank entries still pending; returns how many entries were done."""
        with self.store.transaction() as uow:
            pending = BankRepo(uow.session).pending_images(limit)
        for rec in pending:
            done, _errors = hash_urls(rec.image_urls[:MAX_IMAGES], self.images, reference_hashes)
            rows = [row for h in done.values() for row in to_rows(h)]
            with self.store.transaction() as uow:
                BankRepo(uow.session).set_images(rec.entry_id, rows, "done" if rows else "failed")
        if pending:
            self.poll()
        return len(pending)

    def _stored_recall_images(self, uow: Any, repo: BankRepo) -> dict[str, list[ImageHash]]:
        want = {u: f"{t.authority}:{t.recall_number}" for t in uow.recalls.active_targets() for u in t.images}
        out: dict[str, list[ImageHash]] = {}
        for url, h in repo.hashes("reference", want).items():
            if h.status == "ok":
                out.setdefault(want[url], []).extend(from_rows(h.hashes))
        return out

    def hash_recall_images(self) -> int:
        """Hash the photos of active recalls not hashed yet (where this deployment may fetch them)."""
        with self.store.transaction() as uow:
            targets: Sequence[Target] = uow.recalls.active_targets()
            want = {u: f"recall:{t.authority}:{t.recall_number}" for t in targets for u in t.images}
            stored = BankRepo(uow.session).hashes("reference", want)
        todo = [u for u in want if u not in stored and self.images.allowed(u)]
        done, errors = hash_urls(todo, self.images, reference_hashes)
        with self.store.transaction() as uow:
            repo = BankRepo(uow.session)
            for url, h in done.items():
                repo.save_hashes(StoredHashes(url, "reference", want[url], "ok", to_rows(h)))
            for url, err in errors.items():
                repo.save_hashes(StoredHashes(url, "reference", want[url], "failed", [], err))
            recalls = self._stored_recall_images(uow, repo)
        if recalls != self._recall_images:
            with self._lock:
                self._swap(self.bank, self._records, self._last_seq, recalls)
        return len(done)

    # --- wiring --------------------------------------------------------------------------------
    def offender_policy(self, screener: Any, targets: Sequence[Target] = ()) -> OffenderPolicy:
        """``screener`` wrapped in the seller policy fed by this bank."""
        prio = {(t.authority, t.recall_number) for t in targets if t.priority}
        return OffenderPolicy(
            screener, lambda: self.offenders, lambda: self._watched, lambda: self._attrs, prio
        )

    def start(self) -> BankService:
        """Rebuild, then poll in a daemon thread (when ``poll_s`` is set)."""
        self.rebuild()
        if self.poll_s and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="rg-bank-poll", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        every_s = SYNC_EVERY * (self.poll_s or 1.0)
        repair_at = time.monotonic() + every_s
        while not self._stop.wait(self.poll_s):
            try:
                if time.monotonic() >= repair_at:
                    started = time.monotonic()
                    try:
                        self.sync()
                    finally:
                        repair_at = next_repair_at(started, time.monotonic(), every_s)
                    self.worker.submit("entry-images", self.process_images)
                else:
                    self.poll()
            except Exception:  # the database may be away for a moment; the next poll retries
                log.exception("fingerprint bank poll failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.worker.close()

    def status(self) -> dict[str, Any]:
        """In-memory figures (``recallguard bank status`` adds the stored ones)."""
        with self._lock:
            return {
                "entries": len(self.bank), "last_seq": self._last_seq, "open_gaps": len(self._gaps),
                "image_entries": len(self._imaged), "recall_images": len(self._recall_images),
                "watched_sellers": len(self._watched), "query_images_cached": len(self.query_cache),
                "image_queue": len(self.worker), "image_jobs_dropped": self.worker.dropped,
                "rebuilds": self.rebuilds, "polls": self.polls, "photo_rescreens": self.rescreened,
            }  # fmt: skip


def _in_memory(store: Store) -> bool:
    return store.engine.dialect.name == "sqlite" and store.engine.url.database in (None, "", ":memory:")


# --- the process's banks ------------------------------------------------------------------------
_services: dict[int, BankService] = {}
_current: BankService | None = None
_registry_lock = threading.Lock()
_pending: tuple[Store, dict[str, Any]] | None = None  # open_bank_on_demand's store, not opened yet


def open_bank(store: Store, **kw: Any) -> BankService:
    """The bank of ``store`` in this process, started (rebuilt, polling) on first use, and made the
    process's current bank (what ``default_screener`` adds)."""
    global _current, _pending
    with _registry_lock:
        _pending = None  # a bank opened now is the current one
        svc = _services.get(id(store.engine))
        if svc is None:
            svc = _services[id(store.engine)] = BankService(store, **kw).start()
            event.listen(store.engine, "engine_disposed", lambda _engine: close_bank(svc))  # Store.close()
        _current = svc
    return svc


def open_bank_on_demand(store: Store, **kw: Any) -> None:
    """Open the bank of ``store`` (as :func:`open_bank`) the first time a screener asks for the current
    bank: a command that may not screen at all (an import of new listings only) does not load every
    entry for nothing (3.4 s at 28,000 entries).

    >>> from recallguard.store import Store
    >>> store = Store("sqlite://"); open_bank_on_demand(store, poll_s=None)
    >>> current_bank().store is store
    True
    """
    global _pending
    with _registry_lock:
        _pending = (store, kw)
    event.listen(store.engine, "engine_disposed", lambda _engine: _forget_pending(store))


def _forget_pending(store: Store) -> None:
    global _pending
    with _registry_lock:
        if _pending is not None and _pending[0] is store:
            _pending = None


def current_bank() -> BankService | None:
    """The bank opened last in this process, or the one :func:`open_bank_on_demand` names, opened now
    (None: screening runs without a bank)."""
    global _pending
    with _registry_lock:
        pending, _pending = _pending, None
    if pending is not None:
        return open_bank(pending[0], **pending[1])
    return _current


def close_bank(svc: BankService) -> None:
    """Stop a bank and forget it (also done when its store is closed)."""
    global _current
    svc.stop()
    with _registry_lock:
        if _services.get(id(svc.store.engine)) is svc:
            del _services[id(svc.store.engine)]
        if _current is svc:
            _current = None  # never fall back to another store's bank


def with_bank(screener: Any, targets: Sequence[Target]) -> Any:
    """``screener`` with the current bank as a check and the seller policy around it (unchanged when
    no bank is open)."""
    svc = current_bank()
    if svc is None:
        return screener
    screener.checks.append(svc.check)
    return svc.offender_policy(screener, targets)


def _committed(engine: Engine, written: list[WrittenChange]) -> None:
    for svc in list(_services.values()):
        if svc.store.engine is engine:
            svc.committed(written)  # queues the image worker when a new entry's photos are pending


on_bank_commit(_committed)
