"""``scan`` is resumable: a crash after some batches, or in the middle of one, loses nothing and
duplicates nothing when the scan is run again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pytest

from recallguard.domain.models import Listing, Match, Target
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.scan import BUSY_PER_COMMIT, scan
from recallguard.service.screening import ScreenerLike
from recallguard.store import Store
from tests.service.helpers import LISTINGS, RECALLS, decisions, rule_screener, snapshot


class Crash(Exception):
    pass


@pytest.fixture
def imported(store: Store) -> Store:
    import_recalls(store, RECALLS, factory=rule_screener)
    import_listings(store, LISTINGS, factory=rule_screener)
    return store


def _expected(store: Store) -> dict[tuple[str, str], str]:
    """What one uninterrupted, stateless screening of every stored listing decides."""
    with store.transaction() as uow:
        screener = rule_screener(uow.recalls.active_targets())
        listings = uow.listings.page("", 10_000)
    return {
        (m.listing_id, m.recall_number): m.decision.value
        for _, ms in screener.screen_many(listings)
        for m in {(m.authority, m.recall_number): m for m in sorted(ms, key=lambda m: m.score)}.values()
    }


def _check_no_duplicates(store: Store) -> None:
    snap = snapshot(store)
    with store.transaction() as uow:
        kinds = [e.kind for e in uow.audit.list(limit=100_000)]
        assert uow.audit.verify().ok
    assert kinds.count("match.created") == snap["matches"]
    assert kinds.count("action.created") == snap["actions"]


def test_scan_interrupted_after_batches_resumes_without_loss_or_duplicates(imported: Store) -> None:
    expected = _expected(imported)
    assert sum(d == "block" for d in expected.values()) >= 3

    def crash_after_two(n: int) -> None:
        if n == 2:
            raise Crash("killed after 2 batches")

    with pytest.raises(Crash):
        scan(imported, batch_size=5, after_batch=crash_after_two, factory=rule_screener)
    with imported.transaction() as uow:
        cp = uow.checkpoints.latest()
        assert cp is not None and (cp.status, cp.screened, cp.last_listing_id) == ("running", 10, "L-010")
    report = scan(imported, batch_size=5, factory=rule_screener)
    assert report.resumed and report.screened == 14
    assert decisions(imported) == expected
    _check_no_duplicates(imported)
    assert scan(imported, batch_size=5, factory=rule_screener).screened == 0  # nothing left


def test_scan_crashing_inside_a_batch_rolls_that_batch_back(imported: Store) -> None:
    expected = _expected(imported)

    class CrashOn:
        """The real screener, which dies when it reaches one listing."""

        def __init__(self, inner: ScreenerLike, listing_id: str) -> None:
            self.inner, self.listing_id = inner, listing_id
            self.model_version = inner.model_version
            self.policy = getattr(inner, "policy", None)

        def screen_many(self, listings: Iterable[Listing]) -> Iterator[tuple[Listing, list[Match]]]:
            for listing, matches in self.inner.screen_many(listings):
                if listing.listing_id == self.listing_id:
                    raise Crash(f"killed while screening {listing.listing_id}")
                yield listing, matches

    def crashing(targets: Sequence[Target], rules: bool) -> ScreenerLike:
        return CrashOn(rule_screener(targets, rules), "L-004")

    with pytest.raises(Crash):
        scan(imported, batch_size=10, factory=crashing)
    assert imported.counts()["matches"] == 0  # L-001..L-003 were in the rolled-back batch
    report = scan(imported, batch_size=10, factory=rule_screener)
    assert report.screened == 24
    assert decisions(imported) == expected
    _check_no_duplicates(imported)


def test_new_listings_after_a_scan_are_screened_by_the_next_one(imported: Store, tmp_path) -> None:
    scan(imported, factory=rule_screener)
    before = decisions(imported)
    path = tmp_path / "more.jsonl"
    path.write_text(
        '{"listing_id": "L-100", "title": "Gudook Bike Helmet KY-055 size M", "brand": "Gudook"}\n'
    )
    import_listings(imported, path, factory=rule_screener)
    report = scan(imported, factory=rule_screener)
    assert report.screened == 1
    assert decisions(imported) == {**before, ("L-100", "26528"): decisions(imported)[("L-100", "26528")]}


def test_scan_writes_as_many_busy_listings_a_transaction_as_its_backend_allows(imported: Store) -> None:
    """SQLite's one writer lock is held for a whole write transaction: one listing with something to
    write each. PostgreSQL's audit-chain lock only from the events' INSERT to the commit: up to
    ``BUSY_PER_COMMIT`` of them in one. Either way the scan decides and audits the same."""
    expected = _expected(imported)
    busy = len({lid for lid, _ in expected})
    report = scan(imported, factory=rule_screener)
    per_commit = BUSY_PER_COMMIT[imported.engine.dialect.name]
    assert busy >= 3 and report.listings_matched == busy
    assert report.commits in (-(-busy // per_commit), -(-busy // per_commit) + 1)  # + the quiet tail
    assert decisions(imported) == expected
    _check_no_duplicates(imported)
