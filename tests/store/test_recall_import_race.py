"""Two imports creating the same new recall at once (two `recalls import` runs, a poller and a person,
two regions' pollers: on SQLite and PostgreSQL). Both read it as absent; the second's insert then meets
the first's row. Both imports must land: the second finds the recall stored and stores its own content
over it when it differs, as an import amending a stored recall does."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from recallguard.domain.models import Recall, RecallStatus, Target
from recallguard.store import Store
from recallguard.store.catalog_repos import RecallUpsert


def _recall(number: str, title: str) -> tuple[Recall, list[Target]]:
    return Recall(number, "CPSC", title), [Target(number, "CPSC", brand="Lumo", model_numbers=["LK-7"])]


def _race(store: Store, number: str, first_title: str, second_title: str) -> list[RecallUpsert]:
    """The first import writes the recall and holds its transaction open for a second; meanwhile the
    second import reads it as absent (uncommitted) and writes it too, waiting on the first."""
    first_wrote = threading.Event()
    outcomes: dict[str, RecallUpsert] = {}
    errors: list[BaseException] = []

    def run(name: str, body: Callable[[], None]) -> threading.Thread:
        def target() -> None:
            try:
                body()
            except BaseException as e:  # reported below
                errors.append(e)
            finally:
                first_wrote.set()

        return threading.Thread(target=target, name=name)

    def first() -> None:
        with Store(store.url) as process, process.transaction() as uow:
            outcomes["first"] = uow.recalls.upsert(*_recall(number, first_title))
            first_wrote.set()
            threading.Event().wait(1.0)  # the second import reaches its insert meanwhile

    def second() -> None:
        first_wrote.wait(30)
        with Store(store.url) as process, process.transaction() as uow:
            outcomes["second"] = uow.recalls.upsert(*_recall(number, second_title))

    threads = [run("first", first), run("second", second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return [outcomes["first"], outcomes["second"]]


@pytest.mark.parametrize("same", [True, False], ids=["same-content", "other-content"])
def test_two_imports_creating_one_recall_both_land(store: Store, same: bool) -> None:
    number = "27501" if same else "27502"
    second_title = "Lumo night light recalled" + ("" if same else " (amended)")
    first, second = _race(store, number, "Lumo night light recalled", second_title)
    assert first.outcome == "created"
    with store.transaction() as uow:
        stored = uow.recalls.get("CPSC", number)
        targets = uow.recalls.targets_of("CPSC", number)
    assert stored is not None and stored.title == second_title  # the later import's content
    assert [t.model_numbers for t in targets] == [["LK-7"]]  # one set of targets, not two
    if same:
        assert (second.outcome, second.version) == ("unchanged", 1)
    else:
        assert (second.outcome, second.version, second.previous_status) == ("amended", 2, RecallStatus.ACTIVE)
