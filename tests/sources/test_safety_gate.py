"""Safety Gate notifications become SAFETYGATE recalls and targets; malformed ones are reported, not fatal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.domain.authorities import authority_for
from recallguard.sources.registry import FORMATS
from recallguard.sources.safety_gate import parse_safety_gate, safety_gate_targets, sniff_safety_gate

SAMPLE = Path(__file__).parents[1] / "data" / "safety-gate" / "safety-gate-notification-sample.json"


def _sample() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text())
    return data


def test_real_notification_parses_into_an_eu_recall() -> None:
    batch = parse_safety_gate(_sample(), "sample.json")
    assert batch.bad == []
    (recall,) = batch.recalls
    assert recall.key == "SAFETYGATE:SR/01950/26"
    assert "projecteur" in recall.title
    assert "damage to sight" in recall.hazard
    assert "Removal from online marketplace" in recall.remedy_options
    assert recall.manufacturer_countries == ["CN"]
    assert recall.recall_date is not None and recall.recall_date.date().isoformat() == "2026-07-01"
    assert recall.images[0].endswith("/notification/image/11012374")
    assert "DE" in authority_for(recall.authority).countries


def test_targets_come_from_the_structured_fields() -> None:
    (target,) = safety_gate_targets(parse_safety_gate(_sample()).recalls[0])
    assert target.model_numbers == ["7389-1"]
    assert target.product_type == "Toy projector"
    # the sample's barcodes are internal codes, not GTINs: kept as SKUs, never as fake GTINs
    assert target.gtins == [] and "BCD25042500206593" in target.skus


def test_brands_gtins_and_batches_from_a_full_product() -> None:
    rec = copy.deepcopy(_sample()[0])
    rec["product"]["brands"] = [{"brand": "StarKid"}, {"brand": "SK Toys"}]
    rec["product"]["barcodes"] = [{"barcode": "4006381333931"}, {"barcode": "4006381333932"}]
    rec["product"]["batchNumbers"] = [{"batchNumber": "B2024-01 to B2024-09"}, {"batchNumber": "X77"}]
    rec["onlineTraderProductIdentifierReference"] = [
        {"onlineTrader": "Amazon", "uniqueProductIdentifier": "B0C1X2Y3Z4"}
    ]
    recall = parse_safety_gate(rec).recalls[0]
    (t,) = safety_gate_targets(recall)
    assert (t.brand, t.brand_aliases) == ("StarKid", ["SK Toys"])
    assert t.gtins == ["04006381333931"]  # the second barcode has a wrong check digit
    assert "4006381333932" in t.skus and "B0C1X2Y3Z4" in t.skus
    assert [(r.start, r.end) for r in t.ranges] == [("B2024-01", "B2024-09"), ("X77", "X77")]
    assert recall.title.endswith("(StarKid, SK Toys)")


def test_single_object_and_list_are_both_accepted_and_sniffed() -> None:
    one = _sample()[0]
    assert sniff_safety_gate(one) and sniff_safety_gate([one])
    assert not sniff_safety_gate([{"RecallID": 1}]) and not sniff_safety_gate("text")
    assert len(parse_safety_gate(one).recalls) == 1
    assert "safety-gate" in [f.name for f in FORMATS]


def test_bad_record_names_record_and_field_and_the_rest_goes_on() -> None:
    good = _sample()[0]
    bad_brands = copy.deepcopy(good)
    bad_brands["reference"] = "SR/2/26"
    bad_brands["product"]["brands"] = "Acme"
    bad_date = copy.deepcopy(good)
    bad_date["reference"] = "SR/3/26"
    bad_date["publicationDate"] = "yesterday"
    batch = parse_safety_gate([bad_brands, good, 42, bad_date], "feed.json")
    assert [r.recall_number for r in batch.recalls] == ["SR/01950/26"]
    assert [(b.location, b.field) for b in batch.bad] == [
        ("record 1 (reference SR/2/26)", "product.brands"),
        ("record 3", "(record)"),
        ("record 4 (reference SR/3/26)", "publicationDate"),
    ]
    assert "feed.json: record 1" in str(batch.bad[0])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_PATHS = [
    ("reference",),
    ("product",),
    ("product", "brands"),
    ("product", "barcodes"),
    ("product", "modelTypes"),
    ("product", "batchNumbers"),
    ("product", "photos"),
    ("product", "nameSpecific"),
    ("product", "versions"),
    ("risk",),
    ("risk", "versions"),
    ("risk", "riskType"),
    ("measureTaken",),
    ("measureTaken", "measures"),
    ("traceability",),
    ("traceability", "countryOrigin"),
    ("publicationDate",),
    ("modificationDate",),
    ("onlineTraderProductIdentifierReference",),
    ("id",),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _json), min_size=1, max_size=4))
def test_fuzzed_notifications_never_crash(mutations: list[tuple[tuple[str, ...], Any]]) -> None:
    rec = copy.deepcopy(_sample()[0])
    for path, value in mutations:
        node = rec
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[path[-1]] = value
    batch = parse_safety_gate([rec], "fuzz")
    assert len(batch.recalls) + len(batch.bad) == 1
    for bad in batch.bad:
        assert bad.field and bad.error and bad.location.startswith("record 1")
    for recall in batch.recalls:
        safety_gate_targets(recall)  # targets never crash on a recall that parsed


@settings(max_examples=200, deadline=None)
@given(_json)
def test_arbitrary_json_gets_clean_errors(data: Any) -> None:
    batch = parse_safety_gate(data, "fuzz")
    assert all(b.field for b in batch.bad)
