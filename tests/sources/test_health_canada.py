"""Health Canada open-data recall records become HC recalls; malformed records are reported, not fatal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.domain.authorities import authority_for
from recallguard.sources.health_canada import health_canada_targets, parse_health_canada, sniff_health_canada
from recallguard.sources.registry import FORMATS

SAMPLE = Path(__file__).parents[1] / "data" / "health-canada" / "hc-recalls-sample.json"


def _sample() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text())
    return data


def test_real_records_parse_into_canadian_recalls() -> None:
    batch = parse_health_canada(_sample(), "hc.json")
    assert batch.bad == []
    assert [r.key for r in batch.recalls] == ["HC:82281", "HC:82280"]
    saw = batch.recalls[1]
    assert saw.title == "Intramedullary Bone Saw Blade Assembly" and saw.hazard == "Sterility"
    assert saw.url.startswith("https://recalls-rappels.canada.ca/en/alert-recall/")
    assert saw.last_publish_date is not None and saw.last_publish_date.isoformat() == "2026-07-03T00:00:00"
    assert authority_for(saw.authority).countries == {"CA"}
    (t,) = health_canada_targets(saw)
    assert (t.product_name, t.product_type) == ("Intramedullary Bone Saw Blade Assembly", "Orthopaedics")


def test_sniffer_recognises_hc_and_not_others() -> None:
    assert sniff_health_canada(_sample()) and sniff_health_canada(_sample()[0])
    assert not sniff_health_canada([{"RecallNumber": "1"}]) and not sniff_health_canada([])
    assert "health-canada" in [f.name for f in FORMATS]


def test_bad_records_name_record_and_field() -> None:
    good, other = _sample()
    no_id = copy.deepcopy(good)
    del no_id["NID"]
    bad_date = copy.deepcopy(other)
    bad_date["Last updated"] = "03/07/2026"
    batch = parse_health_canada([no_id, bad_date, good, "x"], "hc.json")
    assert [r.recall_number for r in batch.recalls] == ["82281"]
    assert [(b.location, b.field) for b in batch.bad] == [
        ("record 1", "NID"),
        ("record 2 (NID 82280)", "Last updated"),
        ("record 4", "(record)"),
    ]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_KEYS = [
    "NID",
    "Title",
    "URL",
    "Product",
    "Issue",
    "What you should do",
    "Category",
    "Last updated",
    "Archived",
]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _json, min_size=1, max_size=4))
def test_fuzzed_records_never_crash(mutation: dict[str, Any]) -> None:
    rec = copy.deepcopy(_sample()[0]) | mutation
    batch = parse_health_canada([rec], "fuzz")
    assert len(batch.recalls) + len(batch.bad) == 1
    assert all(b.field in _KEYS for b in batch.bad)
    for r in batch.recalls:
        health_canada_targets(r)
