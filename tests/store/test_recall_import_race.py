"""Two imports creating the same new recall at once (two `recalls import` runs, a poller and a person,
two regions' pollers: on SQLite and PostgreSQL). Both read it as absent; the second's insert then meets
the first's row. Both imports must land: the second finds the recall stored and stores its own content
over it when it differs, as an import amending a stored recall does."""

from __future__ import annotations

import pytest

from recallguard.domain.models import Recall, RecallStatus, Target
from recallguard.store import Store
from tests.store.race import race


def _recall(number: str, title: str) -> tuple[Recall, list[Target]]:
    return Recall(number, "CPSC", title), [Target(number, "CPSC", brand="Lumo", model_numbers=["LK-7"])]


@pytest.mark.parametrize("same", [True, False], ids=["same-content", "other-content"])
def test_two_imports_creating_one_recall_both_land(store: Store, same: bool) -> None:
    number = "27501" if same else "27502"
    second_title = "Lumo night light recalled" + ("" if same else " (amended)")
    first, second = race(
        store.url,
        lambda uow: uow.recalls.upsert(*_recall(number, "Lumo night light recalled")),
        lambda uow: uow.recalls.upsert(*_recall(number, second_title)),
    )
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
