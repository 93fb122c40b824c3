"""Two writers storing the same new listing at once (a marketplace retrying a publish-time screening
whose first call is still running; two stream workers given events of one listing): both read it as
absent, and the second's insert meets the first's row. Both must land, on SQLite and PostgreSQL: the
second finds the listing stored and treats it as it treats any stored listing (unchanged, or changed
when its content differs), so a retried call is answered instead of failing."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from recallguard.domain.models import Listing
from recallguard.store import Store
from recallguard.store.catalog_repos import ListingUpsert


def _race(store: Store, first_batch: list[Listing], second_batch: list[Listing]) -> list[ListingUpsert]:
    """The first writer stores its batch and holds its transaction open for a second; meanwhile the
    second reads the listings as absent (uncommitted) and writes them too, waiting on the first."""
    first_wrote = threading.Event()
    outcomes: dict[str, ListingUpsert] = {}
    errors: list[BaseException] = []

    def run(body: Callable[[], None]) -> threading.Thread:
        def target() -> None:
            try:
                body()
            except BaseException as e:  # reported below
                errors.append(e)
            finally:
                first_wrote.set()

        return threading.Thread(target=target)

    def first() -> None:
        with Store(store.url) as process, process.transaction() as uow:
            outcomes["first"] = uow.listings.upsert_many(first_batch)
            first_wrote.set()
            threading.Event().wait(1.0)  # the second writer reaches its insert meanwhile

    def second() -> None:
        first_wrote.wait(30)
        with Store(store.url) as process, process.transaction() as uow:
            outcomes["second"] = uow.listings.upsert_many(second_batch)

    threads = [run(first), run(second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return [outcomes["first"], outcomes["second"]]


@pytest.mark.parametrize("same", [True, False], ids=["retried", "edited"])
def test_two_writers_storing_one_new_listing_both_land(store: Store, same: bool) -> None:
    stroller = Listing("L1", "Bugaboo stroller BS-100", seller_id="S1")
    again = stroller if same else Listing("L1", "Bugaboo stroller BS-100, with rain cover", seller_id="S1")
    other = Listing("L2", "Garden hose 15 m", seller_id="S2")  # new to the second writer only
    first, second = _race(store, [stroller], [again, other])
    assert first.created == ["L1"]
    assert second.created == ["L2"]
    assert (second.changed, second.unchanged) == (([], 1) if same else (["L1"], 0))
    with store.transaction() as uow:
        stored = uow.listings.get("L1")
        assert stored is not None and stored.title == again.title  # the later writer's content
        assert uow.listings.get("L2") is not None
        assert uow.listings.count() == 2
