"""The worker's store sink: listing events from Redis land in the store (SQLite and PostgreSQL),
recalled products get matches and proposed restrictions at once, replays change nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from recallguard.domain.models import Listing, Recall, Target
from recallguard.matching.screen import Screener
from recallguard.scale.producer import ListingProducer
from recallguard.scale.service_sink import ServiceSink
from recallguard.scale.stream import StreamWorker, WorkerConfig
from recallguard.store import Store
from tests.scale.helpers import listing

pytestmark = pytest.mark.redis

TARGET = Target("26561", "CPSC", brand="BABESIDE", product_name="Doll and Stroller Toys",
                product_type="doll stroller toy", model_numbers=["BS-100"])  # fmt: skip


def factory(targets: Sequence[Target], rules: bool) -> Screener:
    return Screener(list(targets))


@pytest.fixture
def recall_store(store: Store) -> Iterator[Store]:
    with store.transaction() as uow:
        uow.recalls.upsert(Recall("26561", "CPSC", "BABESIDE Recalls Doll and Stroller Toys"), [TARGET])
    yield store


def active(store: Store) -> dict[str, list[str]]:
    with store.transaction() as uow:
        out: dict[str, list[str]] = {}
        for m in uow.matches.iter_active():
            out.setdefault(m.listing_id, []).append(m.recall_number)
        return out


def test_events_are_stored_screened_and_acted_on(recall_store: Store, redis_client: Any, key: str) -> None:
    sink = ServiceSink(recall_store, factory=factory)
    w = StreamWorker(redis_client, sink, WorkerConfig(stream=key, group="g", consumer="w", block_ms=50))
    p = ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000)
    p.publish_many(("create", listing(i)) for i in range(30))
    w.run(max_events=30)
    assert active(recall_store) == {f"L{i}": ["26561"] for i in range(0, 30, 5)}
    with recall_store.transaction() as uow:
        assert uow.listings.count() == 30
        actions = {a.listing_id for a in uow.actions.list()}
    assert actions == {f"L{i}" for i in range(0, 30, 5)}  # restrictions proposed for the recalled ones
    before = recall_store.counts()
    p.publish_many(("create", listing(i)) for i in range(30))  # a replay: nothing new
    w.run(max_events=30)
    assert recall_store.counts() == before and sink.counts["unchanged"] == 30
    p.publish("update", {"listing_id": "L5", "title": "Plain wooden spoon"})
    p.publish("delete", {"listing_id": "L10"})
    w.run(max_events=2)
    assert set(active(recall_store)) == {"L0", "L15", "L20", "L25"}


SECOND = Target("26600", "CPSC", brand="KIDOO", product_name="Night Light Projector",
                product_type="night light projector", model_numbers=["KD-7"])  # fmt: skip


def test_a_recall_imported_while_a_batch_is_screened_is_not_missed(store: Store) -> None:
    """The sink screens a batch before its write transaction (so it never holds the write lock while
    screening). A recall another process imports in between must still reach the batch: the sink
    screens such listings again inside the transaction instead of storing the stale answer."""
    calls = 0

    class ImportsARecallMeanwhile(Screener):
        def screen_many(self, listings: Any, batch_size: int = 512) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:  # another process imports a recall while this batch is screened ahead
                with store.transaction() as uow:
                    uow.recalls.upsert(
                        Recall("26600", "CPSC", "KIDOO Recalls Night Light Projectors"), [SECOND]
                    )
            return super().screen_many(listings, batch_size)

    with store.transaction() as uow:
        uow.recalls.upsert(Recall("26561", "CPSC", "BABESIDE Recalls Doll and Stroller Toys"), [TARGET])
    sink = ServiceSink(store, factory=lambda targets, rules: ImportsARecallMeanwhile(list(targets)))
    res = sink.handle_batch([
        ("create", Listing("A", "KIDOO night light projector KD-7 for kids room"), "1-0"),
        ("create", Listing("B", "BABESIDE doll stroller toy BS-100"), "1-1"),
    ])  # fmt: skip
    assert [r.outcome for r in res] == ["new", "new"]
    assert active(store) == {"A": ["26600"], "B": ["26561"]}
    assert sink.rescreened == 2  # both screened again under the new recall set
    with store.transaction() as uow:  # and marked screened at the version that includes the new recall
        assert uow.listings.count_to_screen(sink._version) == 0


def test_the_recall_set_is_read_only_when_it_changed_and_a_failed_build_is_tried_again(store: Store) -> None:
    from tests.sql_reads import reads_of

    built: list[int] = []

    def counting(targets: Sequence[Target], rules: bool) -> Screener:
        if len(targets) > 1 and len(built) == 1:
            built.append(-1)
            raise MemoryError("no room for the new index")
        built.append(len(targets))
        return Screener(list(targets))

    with store.transaction() as uow:
        uow.recalls.upsert(Recall("26561", "CPSC", "BABESIDE Recalls Doll and Stroller Toys"), [TARGET])
    sink = ServiceSink(store, factory=counting)
    sink.handle("create", Listing("G1", "Garden hose 25 m with brass nozzle"))
    with reads_of(store, "recalls") as reads:
        sink.handle("create", Listing("G2", "Garden hose 50 m with brass nozzle"))
    hashes = [q for q in reads if "recalls.content_hash" in q]
    assert hashes == [] and built == [1]  # the same recall set: its revision alone was read
    other = Target("26562", "CPSC", brand="Lumo", product_name="night light", model_numbers=["LK-77Q"])
    with store.transaction() as uow:
        uow.recalls.upsert(Recall("26562", "CPSC", "Lumo Recalls Night Lights"), [other])
    with pytest.raises(MemoryError):
        sink.handle("create", Listing("G3", "Garden hose 15 m with brass nozzle"))
    lumo = Listing("L-lumo", "Lumo kids night light LK-77Q", seller_id="S7")
    assert sink.handle("create", lumo).matches and built == [1, -1, 2]  # built on the next event
