"""Importing recalls and listings into the store, deciding and acting — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recallguard.errors import InputError
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.scan import scan
from recallguard.store import Store
from tests.service.helpers import (
    LISTINGS,
    RECALLS,
    decisions,
    live_actions,
    rule_screener,
    snapshot,
    write_listings,
    write_recalls,
)


@pytest.fixture
def loaded(store: Store) -> Store:
    """The sample recalls and listings imported and scanned."""
    assert import_recalls(store, RECALLS, factory=rule_screener).exit_code == 0
    assert import_listings(store, LISTINGS, factory=rule_screener).exit_code == 0
    scan(store, batch_size=7, factory=rule_screener)
    return store


def test_recalls_import_stores_recalls_with_targets(store: Store) -> None:
    report = import_recalls(store, RECALLS, factory=rule_screener)
    assert (report.created, report.quarantined, report.exit_code) == (3, 0, 0)
    with store.transaction() as uow:
        r = uow.recalls.get("CPSC", "26528")
        assert r is not None and "KY-055" in r.description and r.raw["RecallNumber"] == "26528"
        assert any("KY-055" in "".join(t.model_numbers) for t in uow.recalls.targets_of("CPSC", "26528"))
    assert store.counts()["targets"] >= 3


def test_importing_the_same_files_twice_changes_nothing(loaded: Store) -> None:
    before = snapshot(loaded)
    again = import_recalls(loaded, RECALLS, factory=rule_screener)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    listings = import_listings(loaded, LISTINGS, factory=rule_screener)
    assert (listings.created, listings.updated, listings.unchanged) == (0, 0, 24)
    assert scan(loaded, factory=rule_screener).screened == 0
    assert snapshot(loaded) == before


def test_block_becomes_a_us_restriction_approved_automatically(loaded: Store) -> None:
    d = decisions(loaded)
    for key in [("L-001", "26528"), ("L-002", "26530"), ("L-003", "26514")]:
        assert d.get(key) == "block", (key, d)
    assert not any(lid >= "L-005" for lid, _ in d), f"an ordinary product matched: {d}"
    with loaded.transaction() as uow:
        actions = {(a.listing_id, a.recall_number): a for a in uow.actions.list()}
        a = actions[("L-001", "26528")]
        assert (a.kind.value, a.countries, a.state.value) == ("restrict", ["US"], "approved")
        assert "KY055" in a.reason.replace("-", "")  # the evidence behind the decision
        assert {(k, "block") for k in actions} <= {(k, v) for k, v in d.items()}
        kinds = [e.kind for e in uow.audit.list(limit=10_000)]
        assert kinds.count("action.created") == len(actions)
        assert kinds.count("match.created") == len(d)
        assert uow.audit.verify().ok


def test_bad_records_are_quarantined_counted_and_kept_once(store: Store, tmp_path: Path) -> None:
    bad_lines = '{"listing_id": "L-900"}\n{"listing_id": "L-901", "title": "x", "ship_to": "USA"}\nnot json\n'
    path = write_listings(tmp_path / "l.jsonl", extra=bad_lines)
    report = import_listings(store, path, factory=rule_screener)
    assert (report.created, report.quarantined, report.exit_code) == (24, 3, 1)
    assert store.counts()["quarantined"] == 3
    with store.transaction() as uow:
        fields = {b.field for b in uow.quarantine.list("listing")}
    assert {"title", "ship_to", "<json>"} <= fields
    again = import_listings(store, path, factory=rule_screener)
    assert (again.quarantined, again.exit_code) == (3, 1)  # reported again, stored once
    assert store.counts()["quarantined"] == 3


def test_bad_recall_records_are_quarantined(store: Store, tmp_path: Path) -> None:
    poison = {"RecallID": 0, "Title": "Error retrieving Recalls: too wide"}
    records = [*json.loads(RECALLS.read_text()), poison]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(records))
    report = import_recalls(store, path, factory=rule_screener)
    assert (report.created, report.quarantined, report.exit_code) == (3, 1, 1)
    assert store.counts()["quarantined"] == 1


def test_unreadable_input_raises_input_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        import_listings(store, tmp_path / "missing.jsonl", factory=rule_screener)
    (tmp_path / "r.json").write_text("{ not json")
    with pytest.raises(InputError):
        import_recalls(store, tmp_path / "r.json", factory=rule_screener)
    assert store.counts() == dict.fromkeys(store.counts(), 0)


def test_changed_listing_is_rescreened_and_its_restriction_withdrawn(loaded: Store, tmp_path: Path) -> None:
    assert live_actions(loaded)[("L-001", "26528")] == "approved"
    changed = {
        "L-001": {"title": "Garden hose reel 30 m", "brand": "HoseCo", "model": "HR-30", "category": "Garden"}
    }
    report = import_listings(loaded, write_listings(tmp_path / "l.jsonl", changed), factory=rule_screener)
    assert (report.updated, report.unchanged, report.rescreened) == (1, 23, 1)
    assert (report.counts.withdrawn, report.counts.actions_withdrawn) == (1, 1)
    assert ("L-001", "26528") not in decisions(loaded)
    assert ("L-001", "26528") not in live_actions(loaded)
    with loaded.transaction() as uow:
        assert uow.listings.get("L-001").title == "Garden hose reel 30 m"  # type: ignore[union-attr]
        events = uow.audit.list(limit=10_000)
        kinds = [
            e.kind for e in events if e.subject == "listing:L-001" or e.data.get("listing_id") == "L-001"
        ]
        assert kinds[-3:] == ["listing.updated", "match.withdrawn", "action.withdrawn"]
        assert uow.audit.verify().ok
    assert scan(loaded, factory=rule_screener).screened == 0  # screened at the current version already
    # and back again: the block and its restriction return (reinstated, not duplicated)
    report = import_listings(loaded, LISTINGS, factory=rule_screener)
    assert (report.counts.created, report.counts.actions_reinstated) == (1, 1)
    assert live_actions(loaded)[("L-001", "26528")] == "approved"


def test_amended_recall_updates_targets_and_rescreens_stored_listings(loaded: Store, tmp_path: Path) -> None:
    assert decisions(loaded).get(("L-003", "26514")) == "block"
    assert ("L-004", "26514") not in live_actions(loaded)
    with loaded.transaction() as uow:
        version_before = len(uow.recalls.targets_of("CPSC", "26514"))

    rec = {r["RecallNumber"]: r for r in json.loads(RECALLS.read_text())}["26514"]
    amended = json.loads(json.dumps(rec).replace("MT2287", "MT9999"))  # the notice now names another model
    path = write_recalls(tmp_path / "r.json", {"26514": amended})
    report = import_recalls(loaded, path, factory=rule_screener)
    assert (report.updated, report.unchanged) == (1, 2)
    assert 0 < report.rescreened < 24  # only the listings the listing-side indexes name (service.rescan)
    with loaded.transaction() as uow:
        targets = uow.recalls.targets_of("CPSC", "26514")
        assert version_before and any("MT9999" in " ".join(t.model_numbers) for t in targets)
        assert not any("MT2287" in " ".join(t.model_numbers) for t in targets)
        kinds = [e.kind for e in uow.audit.list(limit=10_000)]
        assert "recall.amended" in kinds and uow.audit.verify().ok
    actions = live_actions(loaded)
    assert actions.get(("L-004", "26514")) == "approved"  # the newly named model is restricted at once
    assert ("L-003", "26514") not in actions  # the restriction on the model no longer named is withdrawn
    assert decisions(loaded).get(("L-003", "26514")) != "block"
    assert decisions(loaded).get(("L-001", "26528")) == "block"  # other recalls untouched


def test_an_import_is_written_in_short_transactions_and_the_last_of_duplicate_ids_wins(
    store: Store, tmp_path: Path
) -> None:
    """A batch is written a few listings at a time (``write_chunk``: another writer gets the store between
    them); a listing id repeated across those chunks is still one new listing, as its last line says."""
    from recallguard.service.importers import write_chunk

    n = 2 * write_chunk(store.engine.dialect.name) + 3
    rows = [{"listing_id": f"L{i:04d}", "title": f"garden chair number {i}"} for i in range(n)]
    rows.append({"listing_id": "L0000", "title": "garden chair, the last word"})  # in the last chunk
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = import_listings(store, path, batch_size=10_000)
    assert (report.created, report.updated, report.unchanged) == (n, 0, 0)
    with store.transaction() as uow:
        first = uow.listings.get("L0000")
        assert first is not None and first.title == "garden chair, the last word"
        assert uow.listings.count() == n
