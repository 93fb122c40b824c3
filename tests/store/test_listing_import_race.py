"""Two writers storing the same new listing at once (a marketplace retrying a publish-time screening
whose first call is still running; two stream workers given events of one listing): both read it as
absent, and the second's insert meets the first's row. Both must land, on SQLite and PostgreSQL: the
second finds the listing stored and treats it as it treats any stored listing (unchanged, or changed
when its content differs), so a retried call is answered instead of failing."""

from __future__ import annotations

import pytest

from recallguard.domain.models import Listing
from recallguard.store import Store
from tests.store.race import race


@pytest.mark.parametrize("same", [True, False], ids=["retried", "edited"])
def test_two_writers_storing_one_new_listing_both_land(store: Store, same: bool) -> None:
    stroller = Listing("L1", "Bugaboo stroller BS-100", seller_id="S1")
    again = stroller if same else Listing("L1", "Bugaboo stroller BS-100, with rain cover", seller_id="S1")
    other = Listing("L2", "Garden hose 15 m", seller_id="S2")  # new to the second writer only
    first, second = race(
        store.url,
        lambda uow: uow.listings.upsert_many([stroller]),
        lambda uow: uow.listings.upsert_many([again, other]),
    )
    assert first.created == ["L1"]
    assert second.created == ["L2"]
    assert (second.changed, second.unchanged) == (([], 1) if same else (["L1"], 0))
    with store.transaction() as uow:
        stored = uow.listings.get("L1")
        assert stored is not None and stored.title == again.title  # the later writer's content
        assert uow.listings.get("L2") is not None
        assert uow.listings.count() == 2
