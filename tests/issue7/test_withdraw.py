"""A withdrawn recall lifts exactly the restrictions it caused — none that another recall or a
category-ban rule still needs for the same listing and countries — with audit events; on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from recallguard.domain.models import Listing
from recallguard.enforcement.gate import SaleGate
from recallguard.errors import NotFoundError, UsageError
from recallguard.service.decide import reconcile
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.scan import scan
from recallguard.service.withdraw import withdraw_recall
from recallguard.store import Store
from tests.service.helpers import LISTINGS, RECALLS, rule_screener

DATA = Path(__file__).with_name("data")
EXTRA = DATA / "same-product-recalls.csv"
MAGNETS = Listing("M-001", "Zen Magnets ZM-216 216pcs 5mm magnetic balls desk toy", ship_to=["*"])


def gate(store: Store) -> SaleGate:
    with store.transaction() as uow:
        return SaleGate.build(uow.actions.list())


def refused_by(store: Store, listing_id: str, country: str) -> set[str]:
    answer = gate(store).check(listing_id, country)
    return {f"{r['authority']}:{r['recall_number']}" for r in answer.reasons}


def audit_kinds(store: Store, after: int) -> list[str]:
    with store.transaction() as uow:
        return [e.kind for e in uow.audit.list() if e.seq is not None and e.seq > after]


def audit_head(store: Store) -> int:
    with store.transaction() as uow:
        return uow.audit.count()


@pytest.fixture
def loaded(store: Store) -> Store:
    """Three CPSC recalls, three more of the same products (CSV), the sample listings and a magnet set."""
    import_recalls(store, RECALLS, factory=rule_screener)
    import_recalls(store, EXTRA, factory=rule_screener)
    import_listings(store, LISTINGS, factory=rule_screener)
    with store.transaction() as uow:
        uow.listings.upsert_many([MAGNETS])
    scan(store, factory=rule_screener)
    return store


def test_withdrawal_lifts_only_its_own_restrictions(loaded: Store) -> None:
    assert refused_by(loaded, "L-001", "US") == {"CPSC:26528", "CPSC:27001"}
    assert refused_by(loaded, "L-001", "CA") == {"HC:HC-77001"}
    head = audit_head(loaded)

    report = withdraw_recall(
        loaded, "CPSC", "26528", "recall notice published in error", factory=rule_screener
    )

    assert report.withdrawn_now and report.listings == ["L-001"]
    assert (report.matches_withdrawn, report.actions_withdrawn) == (1, 1)
    # the other CPSC recall of the same helmets still needs the US restriction; Health Canada the CA one
    assert refused_by(loaded, "L-001", "US") == {"CPSC:27001"}
    assert refused_by(loaded, "L-001", "CA") == {"HC:HC-77001"}
    assert report.still_restricted == {"L-001": ["CPSC:27001", "HC:HC-77001"]}
    with loaded.transaction() as uow:
        (action,) = uow.actions.for_match("L-001", "CPSC", "26528")
        assert action.state.value == "withdrawn" and "published in error" in action.reason
        recall = uow.recalls.get("CPSC", "26528")
        assert recall is not None and recall.status.value == "withdrawn"
        assert ("CPSC", "26528") not in {(t.authority, t.recall_number) for t in uow.recalls.active_targets()}
        assert uow.audit.verify().ok
    kinds = audit_kinds(loaded, head)
    assert kinds == ["recall.withdrawn", "match.withdrawn", "action.withdrawn", "recall.restrictions_lifted"]
    # the other listings and recalls are untouched
    assert refused_by(loaded, "L-002", "US") == {"CPSC:26530"}

    again = withdraw_recall(loaded, "cpsc", "26528", "again", factory=rule_screener)
    assert not again.withdrawn_now and audit_kinds(loaded, head)[-1] == "recall.restrictions_lifted"


def test_a_category_ban_keeps_refusing_after_the_recall_is_withdrawn(loaded: Store) -> None:
    assert refused_by(loaded, "M-001", "US") == {"CPSC:26999", "CPSC:rule:cpsc-magnet-sets"}
    withdraw_recall(loaded, "CPSC", "26999", "duplicate of the category ban", factory=rule_screener)
    assert refused_by(loaded, "M-001", "US") == {"CPSC:rule:cpsc-magnet-sets"}
    assert not gate(loaded).check("M-001", "US").allowed


def test_a_restriction_another_recall_needs_is_added_when_it_was_not_there(store: Store) -> None:
    """The screener reports a second recall of a listing only when it scores close to the best; here only
    26528's match was stored, and withdrawing it must not leave the helmets sellable in the US."""
    import_recalls(store, RECALLS, factory=rule_screener)
    import_recalls(store, EXTRA, factory=rule_screener)
    import_listings(store, LISTINGS, factory=rule_screener)
    with store.transaction() as uow:
        (listing,) = uow.listings.get_many(["L-001"])
        screener = rule_screener(uow.recalls.active_targets(), False)
        first = [m for m in screener.screen(listing) if m.recall_number == "26528"]
        reconcile(uow, "L-001", first, [], "test")
    assert refused_by(store, "L-001", "US") == {"CPSC:26528"}

    report = withdraw_recall(store, "CPSC", "26528", "withdrawn by CPSC", factory=rule_screener)

    assert report.counts.actions_created == 2  # 27001 (US) and HC-77001 (CA), found by screening again
    assert refused_by(store, "L-001", "US") == {"CPSC:27001"}
    assert refused_by(store, "L-001", "CA") == {"HC:HC-77001"}


def test_a_feed_that_says_withdrawn_lifts_and_republishing_reinstates(loaded: Store, tmp_path: Path) -> None:
    text = EXTRA.read_text()
    withdrawn = tmp_path / "withdrawn.csv"
    withdrawn.write_text(text.replace("Ingestion hazard,active", "Ingestion hazard,withdrawn"))
    head = audit_head(loaded)

    report = import_recalls(loaded, withdrawn, factory=rule_screener)

    assert (report.withdrawn, report.counts.withdrawn, report.counts.actions_withdrawn) == (1, 1, 1)
    assert refused_by(loaded, "M-001", "US") == {"CPSC:rule:cpsc-magnet-sets"}
    kinds = audit_kinds(loaded, head)
    assert kinds[0] == "recall.withdrawn" and "action.withdrawn" in kinds
    assert kinds[-1] == "recall.restrictions_lifted"

    republished = import_recalls(loaded, EXTRA, factory=rule_screener)  # active again
    assert republished.counts.actions_reinstated == 1
    assert refused_by(loaded, "M-001", "US") == {"CPSC:26999", "CPSC:rule:cpsc-magnet-sets"}


def test_amended_structured_recall_updates_targets_and_rescreens(loaded: Store, tmp_path: Path) -> None:
    amended = tmp_path / "amended.csv"
    amended.write_text(EXTRA.read_text().replace("Gudook Adult Bike Helmets,bike helmet,KY-055", "Gudook "
                       "Folding Scooter,kick scooter,SC-900"))  # fmt: skip
    report = import_recalls(loaded, amended, factory=rule_screener)
    assert report.updated == 2 and report.rescreened >= 1  # at least the listing it matched (L-001)
    with loaded.transaction() as uow:
        (t,) = uow.recalls.targets_of("CPSC", "27001")
        assert t.model_numbers == ["SC-900"]
    assert refused_by(loaded, "L-001", "US") == {"CPSC:26528"}
    assert refused_by(loaded, "L-001", "CA") == set()


def test_withdrawing_needs_a_stored_recall_and_a_reason(loaded: Store) -> None:
    with pytest.raises(NotFoundError):
        withdraw_recall(loaded, "CPSC", "00000", "no such recall")
    with pytest.raises(UsageError):
        withdraw_recall(loaded, "CPSC", "26528", "  ")


def test_cli_withdraw(
    loaded: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.service.test_cli import run

    db = ["--database-url", loaded.url]
    code, _, err = run(capsys, monkeypatch, "recalls", "withdraw", "CPSC", "26999", "--reason", "dup", *db)
    assert code == 0 and "CPSC:26999 withdrawn: 1 matches and 1 actions withdrawn" in err
    assert "M-001: CPSC:rule:cpsc-magnet-sets" in err
    code, _, err = run(capsys, monkeypatch, "recalls", "withdraw", "CPSC", "26999", "--reason", "dup", *db)
    assert code == 0 and "already withdrawn" in err
    assert run(capsys, monkeypatch, "recalls", "withdraw", "CPSC", "404", "--reason", "x", *db)[0] == 2
    assert run(capsys, monkeypatch, "recalls", "withdraw", "CPSC", "26528", *db)[0] == 2  # --reason missing
