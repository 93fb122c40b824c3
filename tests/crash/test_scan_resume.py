"""A scan that dies after committing its last batch (the window the harness's kills hit) is finished by
the next ``scan``: its checkpoint marked done and ``scan.completed`` audited, nothing screened twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.scan import scan
from recallguard.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


class Killed(Exception):
    pass


def test_scan_killed_after_its_last_batch_is_completed_by_the_next_one(store: Store) -> None:
    import_recalls(store, SAMPLES / "recalls.json")
    import_listings(store, SAMPLES / "listings.jsonl")

    def die_after_last_batch(n: int) -> None:
        if n == 3:  # 300 listings in batches of 100: everything is committed, the finish is not
            raise Killed

    with pytest.raises(Killed):
        scan(store, batch_size=100, after_batch=die_after_last_batch)
    with store.transaction() as uow:
        matches, actions = uow.matches.count(), uow.actions.count()
    again = scan(store, batch_size=100)
    with store.transaction() as uow:
        cp = uow.checkpoints.latest()
        kinds = [e.kind for e in uow.audit.list(limit=100_000)]
        assert (uow.matches.count(), uow.actions.count()) == (matches, actions)
    assert again.screened == 0 and cp is not None and cp.status == "done"
    assert kinds.count("scan.started") == 1 and kinds.count("scan.completed") == 1
