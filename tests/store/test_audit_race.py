"""Two processes appending to the audit chain at once never give two events the same seq: the chain's
head is read under the lock that serialises appends (found by bench.load_bench: `listings import`
failed with "UNIQUE constraint failed: audit_events.seq" while a scan appended)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from recallguard.store import Store, audit_repos


def test_an_append_that_read_the_head_is_not_overtaken(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Store(store_url), Store(store_url)  # two engines: two processes' connections
    read_head, errors = threading.Event(), []
    hash_of = audit_repos.event_hash

    def slow_hash(prev: str, payload: dict[str, Any]) -> str:  # between the head read and the insert
        if threading.current_thread().name == "slow":
            read_head.set()
            threading.Event().wait(0.5)
        return hash_of(prev, payload)

    monkeypatch.setattr(audit_repos, "event_hash", slow_hash)

    def slow() -> None:
        try:
            with first.transaction() as uow:
                uow.audit.append("listings.imported", "source:a.jsonl", "cli")
        except Exception as e:  # pragma: no cover - the failure this test exists for
            errors.append(e)

    t = threading.Thread(target=slow, name="slow")
    t.start()
    assert read_head.wait(10)
    with second.transaction() as uow:  # waits for the slow append's transaction, then follows it
        uow.audit.append("scan.started", "scan:1", "cli")
    t.join(10)
    try:
        assert errors == []
        with first.transaction() as uow:
            events = uow.audit.list()
            assert [e.seq for e in events] == [1, 2]
            assert [e.kind for e in events] == ["listings.imported", "scan.started"]
            assert uow.audit.verify().ok
    finally:
        first.close()
        second.close()


def test_an_open_transaction_that_appended_does_not_hold_up_other_writers(store_url: str) -> None:
    """A unit of work that appended an event and is still busy (a publish-time screening writing its
    match, action, bank and webhook rows) does not make another writer's audit event wait for it: the
    chain's lock is taken when the events are written, just before the commit. Before, the other
    writer waited for the whole transaction (the test's 5 s timeout), and the busy one committed first."""
    first, second = Store(store_url), Store(store_url)
    appended, other_done, order = threading.Event(), threading.Event(), []

    def busy() -> None:
        with first.transaction() as uow:
            uow.audit.append("match.created", "listing:L1", "screening")
            appended.set()
            other_done.wait(5)  # still working when the other writer comes
        order.append("busy")

    t = threading.Thread(target=busy)
    t.start()
    try:
        assert appended.wait(10)
        with second.transaction() as uow:
            uow.audit.append("scan.started", "scan:1", "cli")
        order.append("other")
        other_done.set()
        t.join(10)
        assert order == ["other", "busy"]
        with first.transaction() as uow:
            assert [e.kind for e in uow.audit.list()] == ["scan.started", "match.created"]
            assert uow.audit.verify().ok
    finally:
        other_done.set()
        t.join(10)
        first.close()
        second.close()
