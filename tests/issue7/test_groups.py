"""One product recalled by several authorities shows as one product with its recalls: the real CPSC
recall 26530 (Boon NURSH bottles) and a Safety Gate notification of the same bottles (edited for the
test, see data/cpsc-sg-pair/PROVENANCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recallguard.service.groups import product_groups
from recallguard.service.importers import import_recalls
from recallguard.store import Store
from tests.service.helpers import RECALLS, rule_screener
from tests.service.test_cli import run

PAIR = Path(__file__).with_name("data") / "cpsc-sg-pair"
CPSC = PAIR / "cpsc-26530-boon-nursh.json"
SG = PAIR / "safety-gate-boon-nursh.json"


def test_cpsc_and_safety_gate_recalls_of_one_product_form_one_group(store: Store) -> None:
    for path in (RECALLS, CPSC, SG):  # 26530 arrives twice: the same record changes nothing
        assert import_recalls(store, path, factory=rule_screener).exit_code == 0
    groups = product_groups(store)
    assert len(groups) == 1  # the helmets and the rackets were recalled by CPSC alone
    (g,) = groups
    assert g["authorities"] == ["CPSC", "SAFETYGATE"]
    assert [r["recall"] for r in g["recalls"]] == ["CPSC:26530", "SAFETYGATE:SR/09999/26"]
    assert "NURSH" in g["product"]
    reasons = {lk["reason"] for lk in g["links"]}
    assert {"gtin", "model"} <= reasons  # UPC 669028116546 = EAN 0669028116546; Boon B11654
    everything = product_groups(store, several_only=False)
    assert len(everything) == 3 and everything[0]["group_id"] == "CPSC:26530"


def test_cli_groups(
    store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", store_url]
    for path in (RECALLS, SG):
        assert run(capsys, monkeypatch, "recalls", "import", str(path), *db)[0] == 0
    code, out, _ = run(capsys, monkeypatch, "recalls", "groups", "--json", *db)
    groups = json.loads(out)
    assert code == 0 and [[r["recall"] for r in g["recalls"]] for g in groups] == [
        ["CPSC:26530", "SAFETYGATE:SR/09999/26"]
    ]
    code, out, err = run(capsys, monkeypatch, "recalls", "groups", *db)
    assert (
        code == 0
        and "[CPSC, SAFETYGATE]" in out
        and "SAFETYGATE:SR/09999/26" in out
        and "linked by: gtin" in out
    )
    assert "1 products recalled by several authorities" in err
