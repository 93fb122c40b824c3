"""Recalls get their targets by the format they were published in: structured fields first (Safety Gate,
Health Canada, generic CSV), CPSC prose extraction for CPSC records and to fill the gaps."""

from __future__ import annotations

from pathlib import Path

from recallguard.domain.models import Listing
from recallguard.matching.build import build_screener, targets_for
from recallguard.matching.scorer import RuleScorer
from recallguard.matching.screen import Screener
from recallguard.service.screening import extract
from recallguard.sources.extract import extract_targets
from recallguard.sources.loader import load_recalls
from recallguard.sources.targets_by_format import recall_format, targets_for_recall
from recallguard.store import Store

DATA = Path(__file__).parents[1] / "data"
SG = DATA / "safety-gate" / "safety-gate-notification-sample.json"
HC = DATA / "health-canada" / "hc-recalls-sample.json"
CSV = DATA / "generic-csv" / "recalls-sample.csv"
CPSC = Path(__file__).parents[1] / "service" / "data" / "cpsc-3.json"


def test_safety_gate_targets_use_the_notification_fields_not_the_french_prose() -> None:
    (recall,) = load_recalls(SG).recalls
    assert recall_format(recall) == "safety-gate"
    (t,) = targets_for_recall(recall)
    assert t.model_numbers == ["7389-1"]  # product.modelTypes
    assert t.product_type == "Toy projector"  # the English generic name, not a phrase of the French title
    assert t.skus == ["BCD25042500206593", "S24061300040000101"]  # barcodes that are not GTINs
    assert t.brand == ""  # the notification says the brand is unknown: none is guessed from the prose
    assert t.target_id == "SAFETYGATE:SR/01950/26"


def test_health_canada_targets_take_the_product_type_from_the_prose_and_guess_no_brand() -> None:
    recalls = {r.recall_number: r for r in load_recalls(HC).recalls}
    (tray,) = targets_for_recall(recalls["82281"])
    assert recall_format(recalls["82281"]) == "health-canada"
    assert tray.product_type == "tray"  # not the department "Gastroenterology and urology"
    assert tray.brand == ""  # the prose guesser would say "Urinary"
    assert extract_targets(recalls["82281"])[0].brand == "Urinary"
    assert "catheter trays" in tray.phrases
    (saw,) = targets_for_recall(recalls["82280"])
    assert saw.product_type == "Orthopaedics"  # no product type in the prose: the category stays


def test_generic_csv_columns_win_and_the_prose_fills_the_rest() -> None:
    recalls = {r.key: r for r in load_recalls(CSV).recalls}
    acme = recalls["ACCC:PRA-2026-00123"]
    assert recall_format(acme) == "generic-csv"
    (t,) = targets_for_recall(acme)
    assert (t.brand, t.product_type, t.model_numbers) == ("Acme", "Toy", ["MB-216", "MB-512"])
    assert t.gtins == ["04006381333931"] and [r.start for r in t.ranges] == ["L2401", "L2402"]
    assert t.phrases == ["216 magnetic balls"]  # from the prose: the CSV has no phrases column
    # the same authority code in a CSV row is still a CSV row: the format decides, not the authority
    assert recall_format(recalls["HC:HC-TEST-1"]) == "generic-csv"


def test_cpsc_recalls_keep_prose_extraction() -> None:
    for recall in load_recalls(CPSC).recalls:
        assert recall_format(recall) == "prose"
        assert targets_for_recall(recall) == extract_targets(recall)


def test_screener_and_service_use_the_same_dispatch(tmp_path: Path) -> None:
    recalls = [*load_recalls(SG).recalls, *load_recalls(HC).recalls, *load_recalls(CSV).recalls]
    assert targets_for(recalls) == [t for r in recalls for t in extract(r)]
    screener = build_screener(load_recalls(CSV).recalls, include_rules=False)
    hits = screener.screen(Listing("L1", "Acme 216 magnetic balls MB-216", category="Toys"))
    assert [(m.recall_number, m.decision.value) for m in hits] == [("PRA-2026-00123", "block")]


def test_the_safety_gate_model_type_reaches_the_matcher() -> None:
    """The prose of this notification (French title) yields no model number; the structured target
    does, and the transparent rule scorer finds the listing by it (the learned model, trained on CPSC
    recalls, scores an unbranded numeric model too low to act on: see docs/sources-other.md)."""
    (recall,) = load_recalls(SG).recalls
    assert all(not t.model_numbers for t in extract_targets(recall))
    screener = Screener(targets_for([recall]), scorer=RuleScorer())
    hits = screener.screen(Listing("L1", "Star projector toy flashlight with 10 slides", model="7389-1"))
    assert [m.recall_number for m in hits] == ["SR/01950/26"]


def test_recalls_read_back_from_the_store_dispatch_the_same_way(tmp_path: Path) -> None:
    from recallguard.service.importers import import_recalls

    store = Store(f"sqlite:///{tmp_path / 'rg.db'}")
    for path in (SG, HC, CSV):
        import_recalls(store, path)
    with store.transaction() as uow:
        for recall in uow.recalls.list():
            stored = uow.recalls.targets_of(recall.authority, recall.recall_number)
            assert stored == targets_for_recall(recall)
    assert store.counts()["targets"] == 5
