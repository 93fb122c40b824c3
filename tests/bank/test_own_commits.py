"""A running bank applies the changes its own process commits from memory, as they commit (the
publish path's answer never waits for a read of the change log), and still hears of every other
process's change by polling: none is lost, none applied twice, whatever order they interleave in."""

from __future__ import annotations

from recallguard.domain.models import Listing
from recallguard.service.bank import BankService, open_bank
from recallguard.store import Store
from tests.bank.conftest import action_listing, block
from tests.sql_reads import reads_of

LIGHT = Listing("L2", "Lumo Kids Night Light LK-77Q", brand="Lumo", seller_id="S2")
LIGHT_RELISTED = Listing("X1", "Lum0 kids night-light LK 77Q", seller_id="S40")
SEAT_RELISTED = Listing("X2", "BabyGo Safe Ride car seat adapter BG 22 41X", seller_id="S41")


def test_a_commit_of_this_process_is_screened_against_at_once_without_reading_it_back(
    bank_store: Store, open_banks: list[BankService]
) -> None:
    svc = open_bank(bank_store, poll_s=3600)  # a server's bank: only commits and the hourly poll
    open_banks.append(svc)
    with reads_of(bank_store, "bank_changes") as reads:
        action_listing(bank_store, LIGHT, block("L2", "27001", "model LK-77Q"))
        (m,) = svc.check(LIGHT_RELISTED)
    assert m.recall_number == "27001" and "removed listing L2" in m.evidence
    assert svc.status()["entries"] == 2
    assert reads == []


def test_changes_of_another_process_in_between_are_polled_and_ours_not_applied_twice(
    bank_store: Store, open_banks: list[BankService]
) -> None:
    svc = open_bank(bank_store, poll_s=None)
    open_banks.append(svc)
    polls = svc.status()["polls"]
    with Store(bank_store.url) as other_process:
        # the other process removes L1's entry (its action is withdrawn) before this one banks L2
        from recallguard.service.decide import reconcile

        with other_process.transaction() as uow:
            (was,) = uow.matches.active_for_listings(["L1"])["L1"]
            reconcile(uow, "L1", [], [was], "other process")
        assert svc.check(SEAT_RELISTED) != []  # not heard of yet: no poll since
        action_listing(bank_store, LIGHT, block("L2", "27001", "model LK-77Q"))
        assert [m.recall_number for m in svc.check(LIGHT_RELISTED)] == ["27001"]
        applied = []
        real_apply = svc._apply
        svc._apply = lambda rec: (applied.append(rec.entry_id), real_apply(rec))[1]  # type: ignore[method-assign]
        assert svc.poll() == 2  # the other process's removal, then this one's add
    assert svc.status()["polls"] == polls + 1
    assert len(applied) == 1  # only the removal: the add was applied when it committed
    assert svc.check(SEAT_RELISTED) == []
    assert [m.recall_number for m in svc.check(LIGHT_RELISTED)] == ["27001"]
    assert svc.status()["entries"] == 1
    assert svc.poll() == 0
