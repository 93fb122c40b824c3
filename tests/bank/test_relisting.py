"""Re-listing fails: an actioned listing's fingerprint is stored with the action, the same product
listed again by another seller under another title is caught by the production screening path with
evidence naming the removed listing, the bank survives a restart, and reversing the action takes
the listing out of the bank."""

from __future__ import annotations

from sqlalchemy import select

from recallguard.api.config import ServiceSettings
from recallguard.api.runtime import Enforcer
from recallguard.domain.models import ActionState, Listing
from recallguard.enforcement.actions import transition
from recallguard.service.bank import BankService, current_bank, open_bank
from recallguard.service.scan import scan
from recallguard.store import Store
from recallguard.store.bank_repos import BankRepo
from recallguard.store.bank_tables import BankEntryRow
from tests.bank.conftest import DESCRIPTION, ORIGINAL, RECALL, TARGET, action_listing, block

RELISTINGS = [
    # homoglyphs: Cyrillic В, а, у, о, е in the brand and name
    Listing("R1", "ВаbуGо SаfеRidе Infant Car Seat Adaptor BG-2241X", seller_id="S21"),
    # model number split and spacing changed
    Listing("R2", "BabyGo Safe Ride car seat adapter BG 22 41X", seller_id="S22"),
    # a new brand over the copied description
    Listing(
        "R3", "KidWay stroller adapter for infant car seats", DESCRIPTION, brand="KidWay", seller_id="S23"
    ),
]
CLEAN = Listing(
    "C1", "Garden hose 30 m with brass spray nozzle", "Kink-free hose for the garden.", seller_id="S30"
)


def _active(store: Store, ids: list[str]) -> dict[str, list]:
    with store.transaction() as uow:
        return uow.matches.active_for_listings(ids)


def test_actioned_listing_is_banked_in_the_same_transaction(bank_store: Store) -> None:
    with bank_store.transaction() as uow:
        action = uow.actions.list()[0]
        rec = BankRepo(uow.session).get(action.action_id)
    assert rec is not None and rec.state == "active"
    assert (rec.listing_id, rec.recall_number, rec.seller_id) == ("L1", "26999", "S9")
    assert rec.links == {"phone": "8613800001111"}
    assert rec.fingerprint["evidence"]["action_id"] == action.action_id
    assert "BG-2241X" in rec.fingerprint["evidence"]["reason"]


def test_relistings_by_other_sellers_are_caught_with_the_original_evidence(
    bank_store: Store, bank: BankService
) -> None:
    assert current_bank() is bank
    with bank_store.transaction() as uow:
        original_action = uow.actions.list()[0].action_id
        uow.listings.upsert_many([*RELISTINGS, CLEAN])
    scan(bank_store)  # the production path: default_screener with the bank as a check
    found = _active(bank_store, ["R1", "R2", "R3", "C1"])
    assert "C1" not in found
    for listing in RELISTINGS:
        (m,) = [m for m in found[listing.listing_id] if m.recall_number == "26999"]
        assert "removed listing L1" in m.evidence, (listing.listing_id, m.evidence)
        assert original_action in m.evidence
    # the disguised copies with the recalled model number are blocked and restricted like any block
    assert {lid: found[lid][0].decision.value for lid in ("R1", "R2")} == {"R1": "block", "R2": "block"}
    assert found["R3"][0].decision.value in ("block", "review")
    assert "brand changed from 'BabyGo' to 'KidWay'" in found["R3"][0].evidence
    with bank_store.transaction() as uow:
        for lid in ("R1", "R2"):
            (a,) = uow.actions.for_match(lid, "CPSC", "26999")
            assert a.state == ActionState.APPROVED and "removed listing L1" in a.reason
        # a blocked re-listing joins the bank in turn
        banked = set(
            uow.session.scalars(select(BankEntryRow.listing_id).where(BankEntryRow.state == "active"))
        )
    assert {"L1", "R1", "R2"} <= banked


def test_bank_is_rebuilt_from_the_store_after_a_restart(bank_store: Store, open_banks: list) -> None:
    url = bank_store.url
    bank_store.close()
    with Store(url) as again:
        svc = BankService(again, poll_s=None, background=False).start()
        open_banks.append(svc)
        assert svc.status()["entries"] == 1
        (m,) = svc.check(RELISTINGS[0])
        assert m.recall_number == "26999" and "removed listing L1" in m.evidence


def test_another_process_sees_a_new_entry_by_polling(bank_store: Store, open_banks: list) -> None:
    with Store(bank_store.url) as other_process:
        other = BankService(other_process, poll_s=None, background=False).start()
        open_banks.append(other)
        assert other.check(Listing("X1", "Lumo Kids Night Light LK-77Q", seller_id="S40")) == []
        light = Listing("L2", "Lumo Kids Night Light LK-77Q", brand="Lumo", seller_id="S2")
        action_listing(bank_store, light, block("L2", "27001", "model LK-77Q"))
        assert other.poll() == 1
        (m,) = other.check(Listing("X1", "Lum0 kids night-light LK 77Q", seller_id="S40"))
        assert m.recall_number == "27001" and "removed listing L2" in m.evidence


def test_withdrawn_action_removes_its_entry_at_once(bank_store: Store, bank: BankService) -> None:
    from recallguard.service.decide import reconcile

    assert bank.check(RELISTINGS[0])
    with bank_store.transaction() as uow:  # the recall no longer matches L1: match and action withdrawn
        existing = uow.matches.active_for_listings(["L1"])["L1"]
        reconcile(uow, "L1", [], existing, "test", why="recall amended")
        rec = BankRepo(uow.session).get(uow.actions.list()[0].action_id)
        assert rec is not None and rec.state == "removed"
    assert bank.check(RELISTINGS[0]) == []  # applied after the commit, no poll needed
    assert bank.status()["entries"] == 0


def test_action_reversed_on_appeal_removes_its_entry(bank_store: Store, bank: BankService, tmp_path) -> None:
    with bank_store.transaction() as uow:
        action_id = uow.actions.list()[0].action_id
    enf = Enforcer(
        ServiceSettings(database_url=bank_store.url, data_dir=str(tmp_path / "api")), store=bank_store
    )
    enf.move(action_id, ActionState.REVERSED, "reviewer", "appeal upheld: not the recalled model")
    with bank_store.transaction() as uow:  # removed in the reversal's own transaction
        rec = BankRepo(uow.session).get(action_id)
    assert rec is not None and rec.state == "removed" and "reversed" in rec.reason
    assert bank.check(RELISTINGS[0]) == []  # applied after the commit, no poll needed


def test_action_a_reviewer_approves_is_banked_at_once(bank_store: Store, bank: BankService, tmp_path) -> None:
    from recallguard.service.decide import reconcile

    with bank_store.transaction() as uow:  # automation withdrew it (the match went away)
        reconcile(uow, "L1", [], uow.matches.active_for_listings(["L1"])["L1"], "test")
        action_id = uow.actions.list()[0].action_id
    assert bank.check(RELISTINGS[0]) == []
    enf = Enforcer(
        ServiceSettings(database_url=bank_store.url, data_dir=str(tmp_path / "api")), store=bank_store
    )
    enf.move(action_id, ActionState.APPROVED, "reviewer", "second look: it is the recalled model")
    assert bank.check(RELISTINGS[0])[0].recall_number == "26999"  # no poll needed


def test_withdrawn_recall_takes_its_listings_out_of_the_bank(bank_store: Store, bank: BankService) -> None:
    """A recall the regulator withdraws lifts its restrictions; a product that is no longer recalled is no
    re-listing either, so its listings leave the bank in the same transaction."""
    from recallguard.service.withdraw import withdraw_recall

    assert bank.check(RELISTINGS[0])
    withdraw_recall(bank_store, "CPSC", "26999", "recall withdrawn by CPSC", actor="test")
    with bank_store.transaction() as uow:
        (a,) = uow.actions.list()
        rec = BankRepo(uow.session).get(a.action_id)
    assert a.state is ActionState.WITHDRAWN and rec is not None and rec.state == "removed"
    assert bank.check(RELISTINGS[0]) == []


def test_action_approved_outside_the_decide_path_is_banked_by_sync(
    bank_store: Store, bank: BankService
) -> None:
    from recallguard.service.decide import reconcile

    with bank_store.transaction() as uow:
        existing = uow.matches.active_for_listings(["L1"])["L1"]
        reconcile(uow, "L1", [], existing, "test")
    assert bank.check(RELISTINGS[0]) == []
    with bank_store.transaction() as uow:  # a reviewer re-approves it directly (no hook)
        (a,) = uow.actions.list()
        uow.actions.save_state(transition(a, ActionState.APPROVED, "reviewer confirmed"))
    bank.sync()
    assert bank.check(RELISTINGS[0])[0].recall_number == "26999"


LONG_WHY = "model BG-2241X named in recall 26999; " + (
    "seller S9 risk 1.00: own history → threshold 0.90→0.70; " * 9
)


def test_a_long_original_reason_is_quoted_whole_by_a_running_and_a_restarted_bank(
    store_url: str, open_banks: list
) -> None:
    # a running bank holds a long reason packed (service.bank_held); what it quotes and stores is the text
    with Store(store_url) as store:
        with store.transaction() as uow:
            uow.recalls.upsert(RECALL, [TARGET])
        running = open_bank(store, poll_s=None, background=False)
        open_banks.append(running)
        action_listing(store, ORIGINAL, block("L1", why=LONG_WHY))  # applied from memory at the commit
        restarted = BankService(store, poll_s=None, background=False).start()  # rebuilt from the store
        open_banks.append(restarted)
        for svc in (running, restarted):
            (m,) = svc.check(RELISTINGS[0])
            assert m.evidence.rstrip().endswith(LONG_WHY.strip()), m.evidence
        with store.transaction() as uow:
            rec = BankRepo(uow.session).get(uow.actions.list()[0].action_id)
        assert rec is not None and rec.fingerprint["evidence"]["reason"].rstrip().endswith(LONG_WHY.strip())
