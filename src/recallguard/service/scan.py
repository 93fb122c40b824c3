"""``recallguard scan``: every stored listing screened against every active recall, resumably.

Listings are screened in batches in listing-id order. Each batch — its matches, actions, audit
events, the listings' ``screened_version`` and the checkpoint cursor — commits in one transaction,
so a crash loses at most the batch in flight and a rerun resumes after the last committed listing
without duplicating anything. A scan over an unchanged recall set only screens what changed.

>>> from recallguard.store import Store
>>> scan(Store("sqlite://")).screened
0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from recallguard.service.decide import Progress, ReconcileCounts, reconcile
from recallguard.service.screening import ScreenerFactory, default_screener, policy_of, scan_version
from recallguard.store import Store


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


def scan(
    store: Store,
    *,
    batch_size: int = 500,
    actor: str = "cli",
    factory: ScreenerFactory = default_screener,
    on_progress: Progress | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> ScanReport:
    """Screen every listing not yet screened at the current scan version; resumes an interrupted scan.

    ``after_batch(n)`` is called after the n-th batch committed (progress hooks, tests of crashes).
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
    with store.transaction() as uow:
        report.to_screen = uow.listings.count_to_screen(version)
        if not report.to_screen:
            last = uow.checkpoints.latest()  # a scan killed after its last batch, before finishing
            if last is not None and last.status == "running" and last.scan_version == version:
                report.resumed = True
                done = uow.checkpoints.finish(last.id)
                uow.audit.append(
                    "scan.completed", f"scan:{last.id}", actor, f"{done.screened} listings screened",
                    {"version": version, "screened": done.screened, "listings_matched": done.matched},
                )  # fmt: skip
            return report  # everything is screened at this version: nothing else to write
        cp, report.resumed = uow.checkpoints.open(version, screener.model_version)
        uow.audit.append(
            "scan.resumed" if report.resumed else "scan.started", f"scan:{cp.id}", actor,
            f"{report.to_screen} listings to screen against {len(fingerprint)} active recalls",
            {"version": version, "model_version": screener.model_version, "after": cp.last_listing_id},
        )  # fmt: skip
    cursor = cp.last_listing_id
    wrap = bool(cursor)  # a resumed scan finishes with one pass over what changed before its cursor
    if on_progress:
        on_progress(0, report.to_screen)
    while True:
        with store.transaction() as uow:
            page = uow.listings.page_to_screen(cursor, version, batch_size)
            if not page and wrap:
                cursor, wrap = "", False
                page = uow.listings.page_to_screen(cursor, version, batch_size)
            if not page:
                break
            ids = [x.listing_id for x in page]
            existing = uow.matches.active_for_listings(ids)
            matched = 0
            for listing, matches in screener.screen_many(page):
                matched += bool(matches)
                c = reconcile(uow, listing.listing_id, matches, existing.get(listing.listing_id, []), actor)
                report.counts.add(c)
            uow.listings.mark_screened(ids, version)
            cursor = ids[-1]
            uow.checkpoints.advance(cp.id, cursor, len(page), matched)
        report.batches += 1
        report.screened += len(page)
        report.listings_matched += matched
        if on_progress:
            on_progress(report.screened, report.to_screen)
        if after_batch:
            after_batch(report.batches)
    with store.transaction() as uow:
        done = uow.checkpoints.finish(cp.id)
        uow.audit.append(
            "scan.completed", f"scan:{cp.id}", actor, f"{done.screened} listings screened",
            {"version": version, "screened": done.screened, "listings_matched": done.matched},
        )  # fmt: skip
    return report
