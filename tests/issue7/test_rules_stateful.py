"""Category-ban rules in the stateful path (`scan --rules PATH`: shipped + given rules, hits stored and
actioned as `rule:<id>` with the rule's authority) and in `screen --rules PATH`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from recallguard.enforcement.gate import SaleGate
from recallguard.store import Store
from tests.service.helpers import RECALLS
from tests.service.test_cli import run

RULE = Path(__file__).with_name("data") / "rules" / "hc-magnetic-putty.yaml"
LISTINGS = [
    {"listing_id": "R-001", "title": "216pcs 5mm Magnetic Balls N52 neodymium desk toy", "ship_to": ["*"]},
    {"listing_id": "R-002", "title": "Magnetic thinking putty with 2 magnets, silver", "ship_to": ["*"]},
    {"listing_id": "R-003", "title": "Stainless steel water bottle 750 ml", "ship_to": ["*"]},
]


def _listings(tmp_path: Path) -> Path:
    path = tmp_path / "listings.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in LISTINGS))
    return path


def _matches(path: Path) -> dict[tuple[str, str], str]:
    with path.open(newline="") as f:
        return {(r["listing_id"], r["recall_number"]): r["decision"] for r in csv.DictReader(f)}


def test_scan_applies_shipped_and_given_rules(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", store_url]
    assert run(capsys, monkeypatch, "recalls", "import", str(RECALLS), *db)[0] == 0
    assert run(capsys, monkeypatch, "listings", "import", str(_listings(tmp_path)), *db)[0] == 0
    code, _, err = run(capsys, monkeypatch, "scan", "--rules", str(RULE), *db)
    assert code == 0 and "screened 3 listings" in err
    assert run(capsys, monkeypatch, "matches", "export", "--out", str(tmp_path / "m.csv"), *db)[0] == 0
    found = _matches(tmp_path / "m.csv")
    assert found == {
        ("R-001", "rule:cpsc-magnet-sets"): "block",  # shipped rule
        ("R-002", "rule:hc-magnetic-putty-toys"): "block",  # given rule
    }
    store = Store(store_url)
    with store, store.transaction() as uow:
        gate = SaleGate.build(uow.actions.list())
        (putty,) = uow.actions.for_match("R-002", "HC", "rule:hc-magnetic-putty-toys")
    assert putty.countries == ["CA"]  # the rule's authority decides the countries
    assert not gate.check("R-002", "CA").allowed and gate.check("R-002", "US").allowed
    assert not gate.check("R-001", "US").allowed
    assert gate.check("R-001", "US").reasons[0]["rule_id"] == "cpsc-magnet-sets"

    # the same scan again: nothing to do; without the given rule the scan version differs and its
    # hit is withdrawn (a scan applies the shipped rules plus the ones it is given)
    code, _, err = run(capsys, monkeypatch, "scan", "--rules", str(RULE), *db)
    assert code == 0 and "screened 0 listings" in err
    code, _, err = run(capsys, monkeypatch, "scan", *db)
    assert code == 0 and "screened 3 listings" in err and "1 withdrawn" in err


def test_scan_refuses_a_bad_rule_file(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x-magnet\nauthority: CPSC\ntitle: t\nlegal_basis: b\nterms: [magnet]\ncolour: red\n")
    code, _, err = run(capsys, monkeypatch, "scan", "--rules", str(bad), "--database-url", store_url)
    assert code == 2 and "colour" in err


def test_screen_rule_hits_carry_rule_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "matches.csv"
    args = ["--recalls", str(RECALLS), "--listings", str(_listings(tmp_path)), "--out", str(out)]
    code, _, _ = run(capsys, monkeypatch, "screen", *args, "--rules", str(RULE))
    assert code == 0
    found = _matches(out)
    rule_ids = {n.removeprefix("rule:") for _, n in found if n.startswith("rule:")}
    assert any("magnet" in rid for rid in rule_ids)
    assert found[("R-001", "rule:cpsc-magnet-sets")] == "block"
    assert found[("R-002", "rule:hc-magnetic-putty-toys")] == "block"
    assert not any(lid == "R-003" for lid, _ in found)
