"""The generic recall CSV: any authority's recalls, documented columns, clean per-row errors."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.domain.models import RecallStatus
from recallguard.sources.generic_csv import (
    csv_authorities,
    generic_csv_targets,
    parse_generic_csv,
    sniff_generic_csv,
)
from recallguard.sources.registry import FORMATS

SAMPLE = Path(__file__).parents[1] / "data" / "generic-csv" / "recalls-sample.csv"


def test_sample_file_parses_good_rows_and_reports_bad_ones() -> None:
    text = SAMPLE.read_text()
    assert sniff_generic_csv(text) and "generic-csv" in [f.name for f in FORMATS]
    batch = parse_generic_csv(text, "recalls-sample.csv")
    assert [r.key for r in batch.recalls] == ["ACCC:PRA-2026-00123", "HC:HC-TEST-1"]
    assert [(b.location, b.field) for b in batch.bad] == [
        ("line 4 (recall_number UK-1)", "date"),
        ("line 5 (recall_number UK-2)", "countries"),
    ]
    assert "unknown authority 'OPSS' needs its countries" in str(batch.bad[1])


def test_structured_columns_become_targets_and_unknown_authorities_get_their_countries() -> None:
    batch = parse_generic_csv(SAMPLE.read_text())
    accc = batch.recalls[0]
    (t,) = generic_csv_targets(accc)
    assert (t.brand, t.product_name, t.product_type) == ("Acme", "Acme 216 Magnetic Balls", "Toy")
    assert t.model_numbers == ["MB-216", "MB-512"] and t.gtins == ["04006381333931"]
    assert [r.start for r in t.ranges] == ["L2401", "L2402"]
    assert accc.recall_date is not None and accc.recall_date.year == 2026
    assert set(csv_authorities(batch)) == {"ACCC"} and csv_authorities(batch)["ACCC"].countries == {"AU"}


def test_status_priority_and_invalid_gtin() -> None:
    text = (
        "authority,recall_number,title,gtins,status,priority\n"
        "CPSC,26001,Crib,,withdrawn,yes\n"
        "CPSC,26002,Gate,012345678901,,\n"  # wrong check digit
        "CPSC,26001,Crib again,,,\n"
    )
    batch = parse_generic_csv(text)
    (crib,) = batch.recalls
    assert crib.status is RecallStatus.WITHDRAWN and crib.priority
    assert [(b.field, b.error.split(":")[0]) for b in batch.bad] == [
        ("gtins", "not a GTIN/UPC/EAN (length or check digit)"),
        ("recall_number", "duplicate recall CPSC"),
    ]


def test_missing_header_columns_is_one_clear_error() -> None:
    batch = parse_generic_csv("authority,title\nCPSC,x\n", "x.csv")
    assert batch.recalls == [] and str(batch.bad[0]) == "x.csv: line 1 (header): field 'recall_number': " + (
        "missing columns: recall_number"
    )
    assert not sniff_generic_csv("listing_id,title\n1,x\n") and not sniff_generic_csv({"a": 1})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=15), min_size=0, max_size=18), max_size=6), st.integers(0, 2**32))
def test_fuzzed_rows_never_crash(rows: list[list[str]], seed: int) -> None:
    header = SAMPLE.read_text().splitlines()[0]
    rng = random.Random(seed)
    body = "\n".join(
        ",".join(f'"{c.replace(chr(34), "")}"' if rng.random() < 0.5 else c for c in r) for r in rows
    )
    batch = parse_generic_csv(header + "\n" + body, "fuzz.csv")
    for bad in batch.bad:
        assert bad.field and bad.location.startswith("line")


def test_loader_detects_safety_gate_health_canada_and_csv_by_content() -> None:
    from recallguard.sources.loader import load_recalls

    data = Path(__file__).parents[1] / "data"
    found = {
        load_recalls(data / "safety-gate" / "safety-gate-notification-sample.json").format,
        load_recalls(data / "health-canada" / "hc-recalls-sample.json").format,
        load_recalls(SAMPLE).format,
    }
    assert found == {"safety-gate", "health-canada", "generic-csv"}
