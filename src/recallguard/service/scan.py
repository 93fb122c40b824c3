"""``recallguard scan``: every stored listing screened against every active recall, resumably.

Listings are read in pages (``batch_size``, listing-id order) and screened outside any write
transaction; the results are then written in short transactions, each holding at most
``busy_per_commit`` listings that have something to write (a match now, or an active match before) and
the quiet listings up to it. Each such transaction — its matches, actions, audit events, the
listings' ``screened_version`` and the checkpoint cursor — commits on its own, so a crash loses at most
the page in flight and a rerun resumes after the last committed listing without duplicating anything.
Short write transactions keep the store's writer lock (SQLite's database lock, PostgreSQL's audit-chain
lock) free for publish-time screening and the stream worker while a scan runs: on SQLite one busy
listing a transaction (the database lock is held from its first write to the commit); on PostgreSQL 20
(:data:`BUSY_PER_COMMIT`: the audit chain's lock is only held from the events' one INSERT to the commit,
so a larger transaction holds it hardly longer, and fewer commits cost the server less).

A listing whose content changed between its page being read and its results being written is left
unscreened (its stored content hash is compared, and ``screened_version`` is only set where the hash
is still the one screened); the next scan screens it. A scan over an unchanged recall set only screens
what changed.

>>> from recallguard.store import Store
>>> scan(Store("sqlite://")).screened
0
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, update

from recallguard.domain.models import Listing, Match
from recallguard.scale.bulk_gc import bulk_screening
from recallguard.service.decide import Progress, ReconcileCounts, reconcile
from recallguard.service.screening import (
    ScreenerFactory,
    ScreenerLike,
    default_screener,
    policy_of,
    scan_version,
)
from recallguard.store import Store, UnitOfWork
from recallguard.store.tables import ListingRow

#: Pause after a write transaction on SQLite, so that writers polling for the lock (publish-time
#: screening, the stream worker) get it between the scan's transactions instead of after the page.
SQLITE_YIELD_S = 0.002

#: Busy listings (something to write) per write transaction, by backend (module doc); others: 1.
BUSY_PER_COMMIT = {"sqlite": 1, "postgresql": 20}


@dataclass
class ScanReport:
    """What a scan did."""

    version: str = ""
    resumed: bool = False
    to_screen: int = 0
    screened: int = 0
    listings_matched: int = 0
    batches: int = 0
    recalls: int = 0
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)
    commits: int = 0
    skipped_changed: int = 0
    rescreened: int = 0  # listings screened again at write time: another writer changed their matches


@dataclass
class _Screened:
    """One listing of a page: as read, its content hash then, and the screener's matches."""

    listing: Listing
    content_hash: str
    matches: list[Match]


def read_page(uow: UnitOfWork, after: str, version: str, limit: int) -> list[tuple[Listing, str]]:
    """The next ``limit`` listings after id ``after`` not screened at ``version``, each with the content
    hash of the same row (one statement: the hash is the one of the content read).

    >>> from recallguard.store import Store
    >>> with Store("sqlite://").transaction() as uow:
    ...     read_page(uow, "", "v1", 10)
    []
    """
    return uow.listings.page_to_screen_hashed(after, version, limit)


def slices(page: Sequence[_Screened], busy: set[str], busy_per_commit: int) -> list[list[_Screened]]:
    """Cut a screened page into write transactions of at most ``busy_per_commit`` busy listings (ids in
    ``busy``) each, the quiet ones going with the next busy one (or the last slice).

    >>> s = [_Screened(Listing(i, i), "h", []) for i in "abcde"]
    >>> [[x.listing.listing_id for x in part] for part in slices(s, {"b", "d"}, 1)]
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    out: list[list[_Screened]] = []
    cur: list[_Screened] = []
    n = 0
    for x in page:
        cur.append(x)
        if x.listing.listing_id in busy:
            n += 1
            if n >= busy_per_commit:
                out.append(cur)
                cur, n = [], 0
    if cur:
        out.append(cur)
    return out


#: A listing's active matches as (authority, recall number, decision, score), sorted.
MatchState = tuple[tuple[str, str, str, float], ...]


def match_state(matches: Sequence[Match]) -> MatchState:
    """What a listing's active matches are, to tell whether another writer changed them.

    >>> from recallguard.domain.models import DecisionKind
    >>> match_state([Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "")])
    (('CPSC', '26561', 'block', 0.97),)
    """
    return tuple(sorted((m.authority, m.recall_number, m.decision.value, round(m.score, 4)) for m in matches))


def _write_slice(
    uow: UnitOfWork,
    part: Sequence[_Screened],
    version: str,
    cp_id: int,
    actor: str,
    report: ScanReport,
    seen: dict[str, MatchState],
    rescreen: Callable[[Listing], list[Match]],
) -> int:
    """Reconcile and mark one slice in ``uow``; returns how many of its listings matched. A listing whose
    active matches another writer changed since the page was read (``seen``) — a re-listing caught once
    its photos were hashed, a reviewer's decision — is screened again here, in the write transaction, so
    the scan never undoes what it did not see."""
    ids = [x.listing.listing_id for x in part]
    stored = uow.listings.content_hashes(ids)
    keep = [x for x in part if stored.get(x.listing.listing_id) == x.content_hash]
    report.skipped_changed += len(part) - len(keep)
    existing = uow.matches.active_for_listings([x.listing.listing_id for x in keep]) if keep else {}
    matched = 0
    for x in keep:
        lid = x.listing.listing_id
        if match_state(existing.get(lid, [])) != seen.get(lid, ()):
            x.matches = rescreen(x.listing)
            report.rescreened += 1
        matched += bool(x.matches)
        report.counts.add(reconcile(uow, lid, x.matches, existing.get(lid, []), actor))
    if keep:  # screened_version only where the content is still the one screened
        t = cast(Table, ListingRow.__table__)
        uow.session.connection().execute(
            update(t)
            .where(t.c.listing_id == bindparam("b_id"), t.c.content_hash == bindparam("b_hash"))
            .values(screened_version=version),
            [{"b_id": x.listing.listing_id, "b_hash": x.content_hash} for x in keep],
        )
    uow.checkpoints.advance(cp_id, ids[-1], len(keep), matched)
    return matched


def scan(
    store: Store,
    *,
    batch_size: int = 500,
    actor: str = "cli",
    factory: ScreenerFactory = default_screener,
    on_progress: Progress | None = None,
    after_batch: Callable[[int], None] | None = None,
    busy_per_commit: int | None = None,
) -> ScanReport:
    """Screen every listing not yet screened at the current scan version; resumes an interrupted scan.

    ``after_batch(n)`` is called after the n-th page is committed (progress hooks, tests of crashes);
    ``busy_per_commit``: listings with something to write per write transaction (default: the
    backend's, :data:`BUSY_PER_COMMIT`).
    """
    report = ScanReport()
    with store.transaction() as uow:
        targets = uow.recalls.active_targets()
        fingerprint = uow.recalls.active_fingerprint()
    report.recalls = len(fingerprint)
    if not fingerprint:
        return report
    screener = factory(targets, True)
    version = scan_version(fingerprint, screener.model_version, policy_of(screener))
    report.version = version
    per_commit = busy_per_commit or BUSY_PER_COMMIT.get(store.engine.dialect.name, 1)
    with store.transaction() as uow:
        report.to_screen = uow.listings.count_to_screen(version)
        if not report.to_screen:
            last = uow.checkpoints.latest()  # a scan killed after its last batch, before finishing
            if last is not None and last.status == "running" and last.scan_version == version:
                report.resumed = True
                finish_scan(uow, last.id, version, actor)
            return report  # everything is screened at this version: nothing else to write
        cp, report.resumed = uow.checkpoints.open(version, screener.model_version)
        uow.audit.append(
            "scan.resumed" if report.resumed else "scan.started", f"scan:{cp.id}", actor,
            f"{report.to_screen} listings to screen against {len(fingerprint)} active recalls",
            {"version": version, "model_version": screener.model_version, "after": cp.last_listing_id},
        )  # fmt: skip
    with bulk_screening():  # the screener out of the collector's walks (no full-heap pause mid-write)
        _scan_pages(store, screener, cp.id, cp.last_listing_id, version, batch_size, actor, report,
                    on_progress, after_batch, per_commit)  # fmt: skip
    with store.transaction() as uow:
        finish_scan(uow, cp.id, version, actor)
    return report


def _scan_pages(
    store: Store,
    screener: ScreenerLike,
    cp_id: int,
    cursor: str,
    version: str,
    batch_size: int,
    actor: str,
    report: ScanReport,
    on_progress: Progress | None,
    after_batch: Callable[[int], None] | None,
    busy_per_commit: int,
) -> None:
    wrap = bool(cursor)  # a resumed scan finishes with one pass over what changed before its cursor
    pause = SQLITE_YIELD_S if store.engine.dialect.name == "sqlite" else 0.0
    if on_progress:
        on_progress(0, report.to_screen)
    while True:
        with store.transaction() as uow:  # reads only: no writer lock while screening
            page = read_page(uow, cursor, version, batch_size)
            if not page and wrap:
                cursor, wrap = "", False
                page = read_page(uow, cursor, version, batch_size)
            if page:
                ids = [x.listing_id for x, _ in page]
                seen = {lid: match_state(ms) for lid, ms in uow.matches.active_for_listings(ids).items()}
                had = set(seen)
        if not page:
            break
        screened = [
            _Screened(listing, h, list(ms))
            for (listing, ms), (_, h) in zip(screener.screen_many([x for x, _ in page]), page, strict=True)
        ]
        busy = had | {x.listing.listing_id for x in screened if x.matches}
        matched = 0
        for part in slices(screened, busy, busy_per_commit):
            with store.transaction() as uow:
                matched += _write_slice(uow, part, version, cp_id, actor, report, seen, screener.screen)
            report.commits += 1
            if pause and any(x.listing.listing_id in busy for x in part):
                time.sleep(pause)
        cursor = ids[-1]
        report.batches += 1
        report.screened += len(page)
        report.listings_matched += matched
        if on_progress:
            on_progress(report.screened, report.to_screen)
        if after_batch:
            after_batch(report.batches)


def finish_scan(uow: UnitOfWork, cp_id: int, version: str, actor: str, where: str = "") -> None:
    """Close a scan's checkpoint and audit ``scan.completed`` (``where``: " on Spark", say)."""
    done = uow.checkpoints.finish(cp_id)
    uow.audit.append(
        "scan.completed", f"scan:{cp_id}", actor, f"{done.screened} listings screened{where}",
        {"version": version, "screened": done.screened, "listings_matched": done.matched},
    )  # fmt: skip
