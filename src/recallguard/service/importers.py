"""Importers: recall files and the live CPSC feed, listing files — into the store, idempotently.

- The same input twice changes nothing (content hashes); bad records go to quarantine and are
  counted (exit code 1), the rest load.
- A new or amended recall (same number, new content: its targets replaced) is screened against the
  stored listings that could match it — found through the listing-side indexes, ``service.rescan``
  — in the same transaction (one pass for all recalls of an import); matches that no longer hold
  are withdrawn. ``recallguard scan`` afterwards brings every
  listing to the new scan version (cross-recall effects included).
- A listing that comes again with changed content is updated and screened again against every
  active recall in the same transaction. New listings wait for ``recallguard scan``.

>>> from recallguard.store import Store
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "l.jsonl"
>>> _ = p.write_text('{"listing_id": "A", "title": "Kids helmet"}\\n{"listing_id": "B"}\\n')
>>> r = import_listings(Store("sqlite://"), p)
>>> r.created, r.quarantined, r.exit_code
(1, 1, 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from recallguard.domain.models import BadRecord, Listing, Recall, RecallStatus, Target
from recallguard.service.decide import Progress, ReconcileCounts, reconcile
from recallguard.service.rescan import KeyWorkers, key_rows, rescan_recalls
from recallguard.service.screening import (
    ScreenerFactory,
    ScreenerLike,
    default_screener,
    extract,
    policy_of,
    scan_version,
)
from recallguard.service.withdraw import lift_withdrawn
from recallguard.store import Store, UnitOfWork
from recallguard.store.convert import listing_hash
from recallguard.store.listing_key_repos import KeyRow

Extractor = Callable[[Recall], list[Target]]
RESCREEN_PAGE = 1000
#: Listings per write transaction of an import, by backend (as ``service.scan.BUSY_PER_COMMIT``; others:
#: PostgreSQL's). PostgreSQL's writers do not wait for each other's rows. SQLite has one writer, and a
#: publish-time screening arriving meanwhile waits for it: 1,000 listings held it ~95 ms, 50 ~8 ms (its
#: automatic WAL checkpoint off, ``store.wal``); 10 hold it a fifth as long, so a niced import set aside by
#: the scheduler mid-transaction holds up fewer screenings (the load bench's screenings beside imports:
#: p99 53.3 → 39.6 ms). 2,000 listings took 0.58 s (1,000 a transaction), 0.67-0.80 s (50), 0.83-0.94 s (10).
WRITE_CHUNK = {"sqlite": 10, "postgresql": 50}


def write_chunk(dialect: str) -> int:
    """Listings per write transaction of an import into a store of ``dialect``.

    >>> write_chunk("sqlite"), write_chunk("postgresql"), write_chunk("mysql")
    (10, 50, 50)
    """
    return WRITE_CHUNK.get(dialect, WRITE_CHUNK["postgresql"])


@dataclass
class ImportReport:
    """What an import did. ``exit_code``: 0 all loaded, 1 some records quarantined."""

    source: str
    format: str = ""
    created: int = 0
    updated: int = 0  # amended recalls / changed listings
    unchanged: int = 0
    withdrawn: int = 0  # recalls whose status became withdrawn
    quarantined: int = 0  # bad records in this input (kept once each in the quarantine table)
    rescreened: int = 0  # stored listings screened again because a recall or the listing changed
    stale_keys: int | None = None  # the stored listing keys' version, when not this release's (all screened)
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def exit_code(self) -> int:
        return 1 if self.quarantined else 0


def _quarantine(uow: UnitOfWork, kind: str, bad: Sequence[BadRecord], source: str, actor: str) -> None:
    if not bad:
        return
    fresh = uow.quarantine.add_many(kind, bad)
    if not fresh:
        return  # all seen before: the same input again changes nothing
    uow.audit.append(
        "quarantine.added", f"source:{source}", actor, f"{len(bad)} bad {kind} records ({fresh} new)",
        {"kind": kind, "bad": len(bad), "new": fresh, "first": str(bad[0])[:500]},
    )  # fmt: skip


def rescreen_for_recalls(
    uow: UnitOfWork,
    changed: Sequence[tuple[Recall, list[Target]]],
    factory: ScreenerFactory,
    actor: str,
    why: str = "",
) -> tuple[int, ReconcileCounts]:
    """Screen the stored listings that could match the amended (or withdrawn) recalls again, found
    through the listing-side indexes (``service.rescan``); returns (listings screened, counts)."""
    why = why or "recall " + ", ".join(sorted(r.key for r, _ in changed))[:200] + " amended"
    rep = rescan_recalls(uow, changed, factory, actor, why)
    return rep.screened, rep.counts


def store_recalls(
    store: Store,
    recalls: Iterable[Recall],
    bad: Sequence[BadRecord],
    report: ImportReport,
    *,
    actor: str = "cli",
    factory: ScreenerFactory = default_screener,
    extractor: Extractor = extract,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Store parsed recalls in one transaction, with the re-screening amended ones cause (one pass
    over the stored listings against all of them)."""
    bad = list(bad)
    items = list(recalls)
    targets_by_key: dict[str, list[Target]] = {}
    for r in items:
        try:
            targets_by_key[r.key] = extractor(r)
        except ImportError:
            raise  # a broken install, not a bad record
        except Exception as e:  # one recall the extractor chokes on must not stop the feed
            bad.append(
                BadRecord(report.source, f"recall {r.key}", "<targets>", f"target extraction failed: {e}")
            )
    report.quarantined += len(bad)
    changed: list[tuple[Recall, list[Target]]] = []
    withdrawn: list[tuple[Recall, list[Target]]] = []
    arrived: list[tuple[Recall, list[Target]]] = []  # new recalls: their listings found by key at once
    with store.transaction() as uow:  # the whole batch, and the re-screening it causes, or nothing
        _quarantine(uow, "recall", bad, report.source, actor)
        priority = uow.recalls.priority_keys() if items else set()
        for i, r in enumerate(items, 1):
            if r.key not in targets_by_key:
                continue
            targets = targets_by_key[r.key]
            if not r.priority and (r.authority, r.recall_number) in priority:
                r = dataclasses.replace(r, priority=True)  # a priority list outlives feed re-publication
                for t in targets:
                    t.priority = True
            res = uow.recalls.upsert(r, targets)
            data: dict[str, Any] = {
                "version": res.version,
                "content_hash": res.content_hash,
                "targets": len(targets),
            }
            if res.outcome == "unchanged":
                report.unchanged += 1
            elif res.outcome == "created":
                report.created += 1
                uow.audit.append(
                    "recall.created", f"recall:{r.key}", actor, f"imported from {report.source}", data
                )
                arrived.append((r, targets))
            else:
                report.updated += 1
                became_withdrawn = r.status == RecallStatus.WITHDRAWN and res.previous_status != r.status
                report.withdrawn += became_withdrawn
                kind = "recall.withdrawn" if became_withdrawn else "recall.amended"
                uow.audit.append(kind, f"recall:{r.key}", actor, f"new content from {report.source}", data)
                (withdrawn if became_withdrawn else changed).append((r, targets))
            if on_progress:
                on_progress(i, len(items))
        if withdrawn:  # exactly what they caused is lifted; what other recalls need is kept or added
            for rep in lift_withdrawn(uow, [r for r, _ in withdrawn], report.source, actor, factory):
                report.counts.withdrawn += rep.matches_withdrawn
                report.counts.actions_withdrawn += rep.actions_withdrawn
                report.counts.add(rep.counts)
        if changed or arrived:  # listing-side indexes find the candidates (service.rescan)
            why = f"recall imported from {report.source}"
            found = rescan_recalls(uow, [*arrived, *changed], factory, actor, why)
            report.rescreened += found.screened
            report.counts.add(found.counts)
            report.stale_keys = found.stale_keys
    return report


def import_recalls(store: Store, path: str | Path, **kw: Any) -> ImportReport:
    """Import a recall file (any format ``recallguard.sources.loader.load_recalls`` detects).

    Raises InputError (exit 2) when the file cannot be read or is no known recall format.
    """
    from recallguard.sources.loader import load_recalls

    batch = load_recalls(path)
    report = ImportReport(source=str(path), format=batch.format)
    return store_recalls(store, batch.recalls, batch.bad, report, **kw)


def default_since(store: Store, authority: str = "CPSC", today: date | None = None) -> date:
    """Where an incremental sync starts: the newest LastPublishDate stored, else one year back."""
    with store.transaction() as uow:
        latest = uow.recalls.latest_publish_date(authority)
    if latest is not None:
        return latest.date()
    return (today or datetime.now(UTC).date()) - timedelta(days=365)


def sync_recalls(
    store: Store,
    base_url: str,
    *,
    since: date | None = None,
    until: date | None = None,
    client: Any = None,
    **kw: Any,
) -> ImportReport:
    """Fetch recalls published in [since, until] from the CPSC API and store them, window by window."""
    from recallguard.sources.cpsc_client import CpscClient

    since = since or default_since(store)
    until = until or datetime.now(UTC).date()
    report = ImportReport(source=base_url, format="cpsc-api")
    own = client is None
    client = client or CpscClient(base_url)
    try:
        for window in client.sync(since, until):
            batch = getattr(window, "batch", window)  # a WindowResult holds its RecallBatch
            store_recalls(store, batch.recalls, batch.bad, report, **kw)
    finally:
        if own and hasattr(client, "close"):
            client.close()
    return report


def _screen_changed(
    uow: UnitOfWork, ids: Sequence[str], screener: ScreenerLike | None, version: str, actor: str
) -> ReconcileCounts:
    counts = ReconcileCounts()
    listings = uow.listings.get_many(ids)
    existing = uow.matches.active_for_listings(ids)
    results = screener.screen_many(listings) if screener else ((x, []) for x in listings)
    for listing, matches in results:
        old = existing.get(listing.listing_id, [])
        counts.add(reconcile(uow, listing.listing_id, matches, old, actor, why="listing changed"))
    if screener:
        uow.listings.mark_screened(ids, version)
    return counts


def keys_ahead(store: Store, listings: Sequence[Listing]) -> dict[str, list[KeyRow]]:
    """Index keys of the listings that are new or changed, computed before the write transaction that
    stores them: SQLite has one writer, and ~0.5 ms of key work a listing inside it (0.5 s for a batch
    of 1,000) held publish-time screening and the stream worker back for as long.

    >>> from recallguard.store import Store
    >>> sorted(keys_ahead(Store("sqlite://"), [Listing("L1", "Gudook helmet KY-055")]))
    ['L1']
    """
    if not listings:
        return {}
    with store.transaction() as uow:  # a read: the hashes of what is stored
        known = uow.listings.content_hashes([x.listing_id for x in listings])
    return key_rows([x for x in listings if known.get(x.listing_id) != listing_hash(x)])


def _changes_stored(store: Store, listings: Sequence[Listing]) -> bool:
    """Whether any of ``listings`` is stored with other content (an import that only adds new listings
    screens nothing, and needs no screener)."""
    with store.transaction() as uow:
        stored = uow.listings.content_hashes([x.listing_id for x in listings])
    return any(x.listing_id in stored and stored[x.listing_id] != listing_hash(x) for x in listings)


def import_listings(
    store: Store,
    path: str | Path,
    *,
    batch_size: int = 1000,
    actor: str = "cli",
    factory: ScreenerFactory = default_screener,
    on_progress: Progress | None = None,
    workers: int = 0,
) -> ImportReport:
    """Import a listing file (JSONL, CSV or Parquet); changed listings are screened again at once.

    Batches of ``batch_size`` records are read (their index keys computed ahead) and written in
    transactions of ``write_chunk`` listings, so other writers (publish-time screening) never wait
    long for SQLite's one writer. An interrupted import is resumed by running it again: what was
    written is found unchanged.

    ``workers`` > 1: the listings' index keys are computed in that many processes, a batch ahead of
    the writes (bulk loads). Raises InputError (exit 2) when the file cannot be read.
    """
    from recallguard.listings.readers import read_listings

    records = read_listings(path)
    report = ImportReport(source=str(path))
    screener: ScreenerLike | None = None
    version = ""
    ready = False

    def build(uow: UnitOfWork) -> None:
        nonlocal screener, version, ready
        targets, fp = uow.recalls.active_targets(), uow.recalls.active_fingerprint()
        screener = factory(targets, True) if fp else None
        version = scan_version(fp, screener.model_version, policy_of(screener)) if screener else ""
        ready = True

    def flush(listings: list[Listing], bad: list[BadRecord], keys: Any = None) -> None:
        ahead = keys.result() if keys else keys_ahead(store, listings)
        # the screener built before the write transaction: a fingerprint bank opened on demand repairs
        # itself in transactions of its own
        if not ready and _changes_stored(store, listings):
            with store.transaction() as uow:
                build(uow)
        unique = list({x.listing_id: x for x in listings}.values())  # the last of duplicate ids wins
        chunk = write_chunk(store.engine.dialect.name)
        for start in range(0, max(1, len(unique)), chunk):
            with store.transaction() as uow:
                res = uow.listings.upsert_many(unique[start : start + chunk], ahead)
                report.created += len(res.created)
                report.updated += len(res.changed)
                report.unchanged += res.unchanged
                if start == 0:
                    report.quarantined += len(bad)
                    _quarantine(uow, "listing", bad, report.source, actor)
                if res.changed:
                    if not ready:  # changed since the check above (another writer): build it here
                        build(uow)
                    for lid in res.changed:
                        uow.audit.append(
                            "listing.updated", f"listing:{lid}", actor, f"changed in {report.source}"
                        )
                    report.counts.add(_screen_changed(uow, res.changed, screener, version, actor))
                    report.rescreened += len(res.changed)
        if on_progress:
            on_progress(report.loaded + report.quarantined, None)

    listings: list[Listing] = []
    bad: list[BadRecord] = []
    with KeyWorkers(workers) as pool:  # keys of batch i+1 computed while batch i is written
        ahead: list[tuple[list[Listing], list[BadRecord], Any]] = []
        for rec in records:
            (bad if isinstance(rec, BadRecord) else listings).append(rec)  # type: ignore[arg-type]
            if len(listings) + len(bad) >= batch_size:
                ahead.append((listings, bad, pool.submit(listings)))
                listings, bad = [], []
                if len(ahead) > 1:
                    flush(*ahead.pop(0))
        ahead.append((listings, bad, pool.submit(listings)))
        for args in ahead:
            flush(*args)
    if not (report.created or report.updated):
        return report
    with store.transaction() as uow:
        uow.audit.append(
            "listings.imported", f"source:{report.source}", actor,
            f"{report.created} new, {report.updated} changed, {report.unchanged} unchanged, "
            f"{report.quarantined} quarantined",
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
             "quarantined": report.quarantined},
        )  # fmt: skip
    return report
