"""The recall set's revision (on SQLite and PostgreSQL): every commit that creates or amends a recall
raises it once, whichever process commits; nothing else does. Long-running processes trust an
unchanged revision to mean an unchanged recall set, so a change that does not raise it would never
reach their screener."""

from __future__ import annotations

import pytest

from recallguard.domain.models import Recall, RecallStatus, Target
from recallguard.store import Store


def _recall(number: str, title: str = "Lumo night light recalled") -> tuple[Recall, list[Target]]:
    return Recall(number, "CPSC", title), [Target(number, "CPSC", brand="Lumo", model_numbers=["LK-7"])]


def _revision(store: Store) -> int:
    with store.transaction() as uow:
        return uow.recalls.revision()


def test_each_commit_that_changes_recalls_raises_it_once(store: Store) -> None:
    start = _revision(store)
    with store.transaction() as uow:  # three recalls in one import: one new recall set
        for n in ("27101", "27102", "27103"):
            assert uow.recalls.upsert(*_recall(n)).outcome == "created"
    assert _revision(store) == start + 1
    with store.transaction() as uow:  # the same records again: nothing changed
        assert uow.recalls.upsert(*_recall("27101")).outcome == "unchanged"
    assert _revision(store) == start + 1
    with store.transaction() as uow:
        assert uow.recalls.upsert(*_recall("27102", "Lumo night light recalled again")).outcome == "amended"
    assert _revision(store) == start + 2
    withdrawn = Recall("27103", "CPSC", "Lumo night light recalled", status=RecallStatus.WITHDRAWN)
    with store.transaction() as uow:  # leaving the active set is a change of the set
        assert uow.recalls.upsert(withdrawn, _recall("27103")[1]).outcome == "amended"
    assert _revision(store) == start + 3


def test_a_rolled_back_change_leaves_it_and_the_next_commit_raises_it(store: Store) -> None:
    start = _revision(store)
    with pytest.raises(RuntimeError), store.transaction() as uow:
        uow.recalls.upsert(*_recall("27201"))
        raise RuntimeError("the import failed half-way")
    assert _revision(store) == start
    with store.transaction() as uow:
        uow.recalls.upsert(*_recall("27201"))
    assert _revision(store) == start + 1


def test_another_process_sees_the_change(store: Store) -> None:
    seen = _revision(store)
    with Store(store.url) as other_process, other_process.transaction() as uow:
        uow.recalls.upsert(*_recall("27301"))
    assert _revision(store) == seen + 1


def test_two_imports_that_touch_each_others_recalls_both_land(store: Store) -> None:
    """Two processes importing at once, each writing a recall the other writes too. The revision's row
    is locked last, by a transaction already committing: had each import locked it with its first
    recall, the first would hold it while waiting for the second's recall row, and the second would
    hold that row while waiting for the revision (PostgreSQL: a deadlock, one import aborted)."""
    import threading

    with store.transaction() as uow:  # both amend it (two imports creating one recall at once: one fails)
        uow.recalls.upsert(*_recall("27402"))
    start = _revision(store)
    first_wrote, second_wrote = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with Store(store.url) as process, process.transaction() as uow:
                uow.recalls.upsert(*_recall("27401"))
                first_wrote.set()
                second_wrote.wait(1.5)  # SQLite: the other import waits for this one's writer lock
                uow.recalls.upsert(*_recall("27402", "Lumo night light recalled (first import)"))
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            first_wrote.set()

    def second() -> None:
        try:
            first_wrote.wait(30)
            with Store(store.url) as process, process.transaction() as uow:
                uow.recalls.upsert(*_recall("27402", "Lumo night light recalled (second import)"))
                second_wrote.set()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert _revision(store) == start + 2  # two commits that changed recalls
    with store.transaction() as uow:
        assert {n for _, n, _ in uow.recalls.active_fingerprint()} >= {"27401", "27402"}
