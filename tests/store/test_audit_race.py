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
