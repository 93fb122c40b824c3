"""Priority lists: an authority's priority recalls get the tighter thresholds in scan and screening, the
tighter SLA, survive feed re-publication, and show in status and `recalls list`; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from recallguard.domain.models import Listing
from recallguard.enforcement.sla import deadline
from recallguard.errors import ValidationFailed
from recallguard.matching.build import targets_for
from recallguard.matching.scorer import RuleScorer
from recallguard.matching.screen import Screener
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.priority import set_priority
from recallguard.service.scan import scan
from recallguard.sources.loader import load_recalls
from recallguard.store import Store
from recallguard.store.enforcement_tables import EnforcementRepo
from tests.service.helpers import LISTINGS, RECALLS, decisions, live_actions, rule_screener
from tests.service.test_cli import run

# The transparent rule scorer gives these 0.86 (helmets, recall 26528) and 0.88 (bottles, 26530): review
# under the default thresholds (block from 0.90), block under the priority ones (block from 0.85).
NEAR = [Listing("P-001", "Gudook bike helmet", ship_to=["US"]), Listing("P-002", "Boon NURSH baby bottles")]


@pytest.fixture
def loaded(store: Store) -> Store:
    import_recalls(store, RECALLS, factory=rule_screener)
    import_listings(store, LISTINGS, factory=rule_screener)
    with store.transaction() as uow:
        uow.listings.upsert_many(NEAR)
    scan(store, factory=rule_screener)
    return store


def test_priority_recalls_block_at_the_tighter_threshold_at_once(loaded: Store) -> None:
    assert decisions(loaded)[("P-001", "26528")] == "review" and ("P-001", "26528") not in live_actions(
        loaded
    )

    report = set_priority(loaded, "cpsc", ["26528"], factory=rule_screener)

    assert report.marked == ["CPSC:26528"] and report.unmarked == []
    assert "1 recalls" in report.warnings[0]  # 5–15 are recommended
    assert decisions(loaded)[("P-001", "26528")] == "block"
    assert live_actions(loaded)[("P-001", "26528")] == "approved"
    assert decisions(loaded)[("P-002", "26530")] == "review"  # not on the list
    assert loaded.counts()["priority"] == 1
    with loaded.transaction() as uow:
        assert all(t.priority for t in uow.recalls.targets_of("CPSC", "26528"))
        kinds = [e.kind for e in uow.audit.list()]
        assert "recall.priority_set" in kinds and uow.audit.verify().ok
        # the SLA clock reads the flag: half the authority's deadline (CPSC: 2 hours instead of 4)
        (case,) = [c for c in EnforcementRepo(uow.session).sla_cases() if c.listing_id == "P-001"]
    assert case.priority and deadline(case.started_at, "CPSC", priority=case.priority) == (
        case.started_at + timedelta(hours=2)
    )

    # a new list replaces the old one: 26528 goes back to the normal thresholds
    report = set_priority(loaded, "CPSC", ["26530"], factory=rule_screener)
    assert (report.marked, report.unmarked) == (["CPSC:26530"], ["CPSC:26528"])
    assert decisions(loaded)[("P-001", "26528")] == "review" and ("P-001", "26528") not in live_actions(
        loaded
    )
    assert decisions(loaded)[("P-002", "26530")] == "block"
    with loaded.transaction() as uow:
        assert "recall.priority_cleared" in [e.kind for e in uow.audit.list()]


def test_the_flag_survives_the_feed_and_a_full_scan(loaded: Store) -> None:
    set_priority(loaded, "CPSC", ["26528"], factory=rule_screener)
    again = import_recalls(loaded, RECALLS, factory=rule_screener)
    assert (again.unchanged, again.updated) == (3, 0)  # the feed says nothing of priority: kept
    with loaded.transaction() as uow:
        recall = uow.recalls.get("CPSC", "26528")
        assert recall is not None and recall.priority
    with loaded.transaction() as uow:
        uow.listings.upsert_many([Listing("P-003", "Gudook bike helmet black")])
    scan(loaded, factory=rule_screener)
    assert decisions(loaded)[("P-003", "26528")] == "block"


def test_unknown_numbers_are_refused_and_nothing_changes(loaded: Store) -> None:
    with pytest.raises(ValidationFailed, match="99999"):
        set_priority(loaded, "CPSC", ["26528", "99999"], factory=rule_screener)
    assert loaded.counts()["priority"] == 0


def test_stateless_screening_uses_the_priority_thresholds() -> None:
    recalls = load_recalls(RECALLS).recalls
    listing = Listing("P-001", "Gudook bike helmet")
    normal = Screener(targets_for(recalls), scorer=RuleScorer()).screen(listing)
    for r in recalls:
        r.priority = r.recall_number == "26528"
    tight = Screener(targets_for(recalls), scorer=RuleScorer()).screen(listing)
    assert [m.decision.value for m in normal] == ["review"] and [m.decision.value for m in tight] == ["block"]


def test_cli_priority_list_and_status(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", store_url]
    assert run(capsys, monkeypatch, "recalls", "import", str(RECALLS), *db)[0] == 0
    code, _, err = run(
        capsys, monkeypatch, "recalls", "priority", "--authority", "CPSC", "26528", "26530", *db
    )
    assert code == 0 and "CPSC: 2 priority recalls (2 newly marked, 0 unmarked)" in err and "warning" in err
    code, out, _ = run(capsys, monkeypatch, "status", "--json", *db)
    assert json.loads(out)["priority"] == 2
    code, out, _ = run(capsys, monkeypatch, "recalls", "list", "--priority", "--json", *db)
    assert [(r["recall_number"], r["priority"]) for r in json.loads(out)] == [
        ("26528", True),
        ("26530", True),
    ]
    code, out, _ = run(capsys, monkeypatch, "recalls", "list", *db)
    flags = {line[2:].split()[1]: line[0] for line in out.splitlines()}
    assert code == 0 and flags == {"26514": " ", "26528": "P", "26530": "P"}

    csv_file = tmp_path / "priority.csv"
    csv_file.write_text("authority,recall_number\nCPSC,26514\n")
    code, _, err = run(capsys, monkeypatch, "recalls", "priority", "--file", str(csv_file), *db)
    assert code == 0 and "(1 newly marked, 2 unmarked)" in err
    code, out, _ = run(capsys, monkeypatch, "recalls", "list", "--priority", "--json", *db)
    assert [r["recall_number"] for r in json.loads(out)] == ["26514"]

    code, _, err = run(capsys, monkeypatch, "recalls", "priority", "--authority", "CPSC", "404", *db)
    assert code == 1 and "unknown recall numbers: 404" in err
    assert run(capsys, monkeypatch, "recalls", "priority", "26528", *db)[0] == 2  # no --authority
    assert (
        run(capsys, monkeypatch, "recalls", "priority", "--authority", "CPSC", "--strict", "26528", *db)[0]
        == 1
    )
