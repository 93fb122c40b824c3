"""The worker's store sink: listing events from Redis land in the store (SQLite and PostgreSQL),
recalled products get matches and proposed restrictions at once, replays change nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from recallguard.domain.models import Recall, Target
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
