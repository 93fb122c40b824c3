"""`recallguard listings import` loads the fingerprint bank only when a changed listing must be screened:
an import of new listings (what a marketplace's feed mostly is) reads no bank entry; a changed one is
checked against the bank, loaded before the import's write transaction (loading repairs the bank in
transactions of its own, which would otherwise wait for the import's lock)."""

from __future__ import annotations

from pathlib import Path

from recallguard.domain.models import Action, ActionKind, ActionState, Listing
from recallguard.service.bank import close_bank, current_bank, open_bank_on_demand
from recallguard.service.importers import import_listings, import_recalls
from recallguard.store import Store
from tests.service.helpers import LISTINGS, RECALLS, rule_screener, write_listings
from tests.sql_reads import reads_of


def test_new_listings_leave_the_bank_unloaded_and_a_changed_one_is_checked_against_it(
    store: Store, tmp_path: Path
) -> None:
    import_recalls(store, RECALLS, factory=rule_screener)
    with store.transaction() as uow:  # approved without the bank's hook: loading the bank repairs it
        uow.listings.upsert_many([Listing("R-1", "Gudook Adult Bike Helmet KY-055", seller_id="S1")])
        uow.actions.add(Action("R-1", "26528", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED))
    open_bank_on_demand(store, poll_s=None, background=False)
    try:
        with reads_of(store, "bank_entries") as seen:
            report = import_listings(store, LISTINGS)
        assert report.created == 24 and seen == []

        changed = write_listings(tmp_path / "changed.jsonl", {"L-006": {"title": "Gudook Adult Bike Helmet"}})
        with reads_of(store, "bank_entries") as seen:
            report = import_listings(store, changed)
        assert report.updated == 1 and seen  # the bank was loaded to screen L-006
        bank = current_bank()
        assert bank is not None and bank.status()["entries"] == 2  # R-1's, repaired at load; L-006's
        with store.transaction() as uow:
            screened = {m.recall_number for m in uow.matches.active_for_listings(["L-006"]).get("L-006", [])}
        assert "26528" in screened  # a re-listing of R-1 (and the recall's own product)
    finally:
        if (bank := current_bank()) is not None:
            close_bank(bank)
