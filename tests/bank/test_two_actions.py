"""One listing actioned twice for one recall (restricted, then delisted after the seller edited it): the
bank screens against the latest entry, and when that action is reversed the earlier one's entry stands
again, with its own text and evidence, in a running bank and after a restart. A running bank keeps one
copy of each entry's fingerprints (the MinHash values in its rows only), so what it gives back must be
what the earlier action banked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recallguard.domain.models import Action, ActionKind, ActionState, Listing
from recallguard.enforcement.actions import transition
from recallguard.service.bank import BankService, open_bank
from recallguard.service.bank_record import action_changed
from recallguard.store import Store
from tests.bank.conftest import ORIGINAL

EDITED = replace(ORIGINAL, title="Safe-Ride infant carrier clip for prams", description="Clip for prams.")
ORIGINAL_AGAIN = Listing("X1", "BabyGo Safe Ride car seat adapter BG 22 41X", seller_id="S41")
EDITED_AGAIN = Listing("X2", "Safe Ride infant carrier clip for prams!", seller_id="S42")


def _delist_edited(store: Store) -> Action:
    """The seller edits L1; a reviewer delists it for the same recall (a second action, banked)."""
    action = Action(
        "L1", "26999", "CPSC", ActionKind.DELIST, ["US"], ActionState.APPROVED, "A-delist", "relisted twice"
    )
    with store.transaction() as uow:
        uow.listings.upsert_many([EDITED])
        uow.actions.add(action)
        action_changed(uow, action, new=True)
    return action


def _reverse(store: Store, action_id: str) -> None:
    with store.transaction() as uow:
        (a,) = [a for a in uow.actions.list() if a.action_id == action_id]
        reversed_ = transition(a, ActionState.REVERSED, "appeal upheld")
        uow.actions.save_state(reversed_)
        action_changed(uow, reversed_)


def _evidence(bank: BankService, listing: Listing) -> str:
    (m,) = bank.check(listing)
    assert m.recall_number == "26999"
    return m.evidence


@pytest.mark.parametrize("restart", [False, True], ids=["running", "restarted"])
def test_reversing_the_later_action_brings_back_the_earlier_entry(
    bank_store: Store, open_banks: list[BankService], restart: bool
) -> None:
    with bank_store.transaction() as uow:
        (first,) = uow.actions.list()
    bank = open_bank(bank_store, poll_s=None)
    open_banks.append(bank)
    second = _delist_edited(bank_store)
    if restart:
        bank.rebuild()
    assert "original action A-delist" in _evidence(bank, EDITED_AGAIN)
    assert bank.status()["entries"] == 1  # one entry per listing and recall

    _reverse(bank_store, second.action_id)
    if restart:
        bank.rebuild()
    assert bank.check(EDITED_AGAIN) == []  # the edited text went with its action
    assert f"original action {first.action_id}" in _evidence(bank, ORIGINAL_AGAIN)
    snapshot = bank.bank.snapshot()["entries"]
    assert [(e["title"], len(e["minhash"]), len(e["title_minhash"])) for e in snapshot] == [
        (ORIGINAL.title, 64, 64)
    ]

    _reverse(bank_store, first.action_id)
    if restart:
        bank.rebuild()
    assert bank.check(ORIGINAL_AGAIN) == [] and bank.status()["entries"] == 0
