"""The stream worker's store sink: listing events into the store, screened and acted on at once.

One batch of events is one transaction: listings are upserted (identical content is recognised by
its hash, so a redelivered event changes nothing), new and changed ones are screened against the
active recalls and their matches reconciled — matches stored, actions proposed, audit events
written — exactly as ``recallguard listings import`` does. A delete withdraws the listing's active
matches and their actions. A crash before the commit leaves nothing half-written and the events
pending, so another worker replays them.

The listings a batch changes are screened *before* its write transaction, so screening never holds
the store's write lock (on SQLite one writer at a time: the server's publish-time screening and the
scan wait for it). The write transaction then uses those matches for every listing whose stored
content and active matches are still the ones read; a listing another writer changed meanwhile (its
content, a reviewer's decision, a re-listing match) is screened again inside the transaction.

The screener is rebuilt when the set of active recalls changes (checked once per batch).

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Listing
>>> sink = ServiceSink(Store("sqlite://"))
>>> sink.handle("create", Listing("L1", "Garden hose"), version="1-0").outcome
'new'
>>> sink.handle("create", Listing("L1", "Garden hose"), version="1-0").outcome
'unchanged'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recallguard.domain.models import Listing, Match
from recallguard.scale.sinks import SinkResult
from recallguard.service.decide import ReconcileCounts, reconcile
from recallguard.service.rescan import key_rows
from recallguard.service.scan import MatchState, match_state
from recallguard.service.screening import (
    ScreenerFactory,
    ScreenerLike,
    default_screener,
    policy_of,
    scan_version,
)
from recallguard.store import Store, UnitOfWork
from recallguard.store.convert import listing_hash


class ServiceSink:
    """Stores listing events and screens what changed (see the module docstring)."""

    def __init__(
        self, store: Store, factory: ScreenerFactory = default_screener, actor: str = "worker"
    ) -> None:
        self.store, self.factory, self.actor = store, factory, actor
        self._fingerprint: list[Any] | None = None
        self._revision: int | None = None  # the recall set's revision read before ``_fingerprint``
        self._screener: ScreenerLike | None = None
        self._version = ""
        self.counts: dict[str, int] = {"new": 0, "unchanged": 0, "stale": 0, "deleted": 0}
        self.reconciled = ReconcileCounts()
        self.rescreened = 0  # listings screened again in the write transaction (changed meanwhile)

    @classmethod
    def open(cls, database_url: str) -> ServiceSink:
        """A sink over the store at ``database_url`` (schema created or migrated on first use), with
        the store's fingerprint bank open (polled, so other processes' removals count at once)."""
        from recallguard.service.bank import open_bank

        sink = cls(Store(database_url))
        open_bank(sink.store)
        return sink

    def _screener_for(self, uow: UnitOfWork) -> ScreenerLike | None:
        revision = uow.recalls.revision()  # before the fingerprint it vouches for
        if revision == self._revision:
            return self._screener  # the same recall set: one row read, not every recall's hash
        fp = uow.recalls.active_fingerprint()
        if fp != self._fingerprint:  # a build that raises leaves all three as they were: tried again
            s = self.factory(uow.recalls.active_targets(), True) if fp else None
            self._version = scan_version(fp, s.model_version, policy_of(s)) if s else ""
            self._fingerprint, self._screener = fp, s
        self._revision = revision
        return self._screener

    def handle(self, op: str, listing: Listing, version: str = "") -> SinkResult:
        """Handle one event (one transaction)."""
        return self.handle_batch([(op, listing, version)])[0]

    def handle_batch(self, items: Sequence[tuple[str, Listing, str]]) -> list[SinkResult]:
        """Handle a batch of events in one transaction; results in the order of ``items``."""
        latest: dict[str, tuple[str, Listing]] = {}
        for op, listing, _ in items:  # several events of one listing in a batch: the last one counts
            latest[listing.listing_id] = (op, listing)
        upserts = [x for op, x in latest.values() if op != "delete"]
        by_id = {x.listing_id: x for x in upserts}
        ahead, seen, version = self._screen_ahead(upserts)
        keys = key_rows(upserts)  # index keys before the write transaction: a shorter writer lock
        results: dict[str, SinkResult] = {}
        with self.store.transaction() as uow:
            deleted = [lid for lid, (op, _) in latest.items() if op == "delete"]
            res = uow.listings.upsert_many(upserts, keys)
            fresh = res.created + res.changed
            existing = uow.matches.active_for_listings(fresh + deleted)
            for lid in deleted:
                c = reconcile(uow, lid, [], existing.get(lid, []), self.actor, why="listing deleted")
                self.reconciled.add(c)
                results[lid] = SinkResult(lid, "deleted")
            screener = self._screener_for(uow) if fresh else None
            if fresh and screener is not None:
                for lid in fresh:
                    ms = existing.get(lid, [])
                    if version == self._version and lid in ahead and match_state(ms) == seen.get(lid, ()):
                        matches = ahead[lid]
                    else:  # the recalls, the stored content or the matches changed since: screen again
                        matches = next(iter(screener.screen_many([by_id[lid]])))[1]
                        self.rescreened += 1
                    self.reconciled.add(reconcile(uow, lid, matches, ms, self.actor, why="listing event"))
                    results[lid] = SinkResult(lid, "new", list(matches))
                uow.listings.mark_screened(fresh, self._version)
            for lid in fresh:
                results.setdefault(lid, SinkResult(lid, "new"))
        out = []
        for _, listing, _ in items:
            lid = listing.listing_id
            r = results.get(lid) or SinkResult(lid, "unchanged")
            if latest[lid][1] is not listing:  # superseded by a later event of the same batch
                r = SinkResult(lid, "stale")
            self.counts[r.outcome] += 1
            out.append(r)
        return out

    def _screen_ahead(
        self, upserts: Sequence[Listing]
    ) -> tuple[dict[str, list[Match]], dict[str, MatchState], str]:
        """Screen, outside any write transaction, the listings whose content differs from the stored one;
        returns their matches, their active matches as read, and the scan version screened at."""
        with self.store.transaction() as uow:  # reads only: no write lock is taken
            stored = uow.listings.content_hashes([x.listing_id for x in upserts]) if upserts else {}
            due = [x for x in upserts if stored.get(x.listing_id) != listing_hash(x)]
            screener = self._screener_for(uow) if due else None
            if screener is None:
                return {}, {}, self._version
            seen = {lid: match_state(ms) for lid, ms in uow.matches.active_for_listings(
                [x.listing_id for x in due]).items()}  # fmt: skip
        ahead = {x.listing_id: list(ms) for x, ms in screener.screen_many(due)}
        return ahead, seen, self._version
