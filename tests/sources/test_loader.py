"""Loading recall files: format detection, clear errors, the project's own format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import recallguard.sources
from recallguard.domain.models import Recall, RecallStatus
from recallguard.errors import InputError
from recallguard.sources.extract import extract_targets
from recallguard.sources.loader import load_recalls, load_recalls_data
from recallguard.sources.own_format import FORMAT_ID, dump_own, parse_own

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "cpsc" / "cpsc-recalls-api-80.json"


def test_importing_sources_registers_the_built_in_formats() -> None:
    names = [f.name for f in recallguard.sources.FORMATS]
    assert names[:2] == ["cpsc-api", "recallguard"]
    assert len(names) == len(set(names))


def test_load_the_real_cpsc_file(tmp_path: Path) -> None:
    path = tmp_path / "recalls.json"
    shutil.copy(SAMPLE, path)
    batch = load_recalls(path)
    assert batch.format == "cpsc-api" and len(batch.recalls) == 80 and not batch.bad


def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"RecallNumber": "1", "Title": "T"}]).encode())
    assert load_recalls(path).recalls[0].title == "T"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b'[{"RecallNumber": "1", "Title": "T"', r"not valid JSON \(line 1"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"something": "else"}', "not a recall format"),
        (b"just some words", "neither JSON nor"),
    ],
)
def test_unreadable_input_raises_a_clear_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        load_recalls(path)
    assert "bad.json" in str(info.value)
    assert info.value.exit_code == 2


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_recalls(tmp_path / "nope.json")


def test_own_format_round_trip_and_detection(tmp_path: Path) -> None:
    cpsc = load_recalls(SAMPLE).recalls[:3]
    doc = dump_own(cpsc)
    path = tmp_path / "own.json"
    path.write_text(json.dumps(doc))
    batch = load_recalls(path)
    assert batch.format == "recallguard" and not batch.bad
    back = batch.recalls
    assert [(r.key, r.title, r.recall_date, r.product_names, r.upcs) for r in back] == [
        (r.key, r.title, r.recall_date, r.product_names, r.upcs) for r in cpsc
    ]


def test_own_format_targets_override_extraction() -> None:
    doc = {
        "format": FORMAT_ID,
        "authority": "CPSC",
        "recalls": [
            {
                "recall_number": "X1",
                "title": "Widget Heaters Recalled",
                "recall_date": "2026-01-02",
                "status": "withdrawn",
                "upcs": ["036000291452"],
                "targets": [
                    {"brand": "Acme", "product_type": "heater", "model_numbers": ["H-1"]},
                    {"brand": "Acme", "product_type": "fan", "gtins": ["4006381333931"], "skus": ["S9"]},
                ],
            }
        ],
    }
    batch = load_recalls_data(doc, "own.json")
    r = batch.recalls[0]
    assert r.status is RecallStatus.WITHDRAWN and r.recall_date is not None and r.recall_date.tzinfo
    targets = extract_targets(r)
    assert [(t.brand, t.product_type) for t in targets] == [("Acme", "heater"), ("Acme", "fan")]
    assert targets[0].gtins == ["00036000291452"]  # defaults to the recall's UPCs
    assert targets[1].gtins == ["04006381333931"] and targets[1].skus == ["S9"]
    assert targets[0].target_id != targets[1].target_id


def test_own_format_bad_records_are_named() -> None:
    doc = {
        "format": FORMAT_ID,
        "recalls": [
            {"recall_number": "1", "title": "Ok", "authority": "cpsc"},
            {"recall_number": "2", "title": "No authority"},
            {"recall_number": "3", "title": "Bad date", "authority": "CPSC", "recall_date": "yesterday"},
            {"recall_number": "4", "title": "Bad list", "authority": "CPSC", "upcs": "123"},
            {"recall_number": "5", "title": "Bad targets", "authority": "CPSC", "targets": {"brand": "x"}},
        ],
    }
    batch = parse_own(doc, "mine.json")
    assert [r.key for r in batch.recalls] == ["CPSC:1"]
    assert [(b.location, b.field) for b in batch.bad] == [
        ("record 1 (recall_number 2)", "authority"),
        ("record 2 (recall_number 3)", "recall_date"),
        ("record 3 (recall_number 4)", "upcs"),
        ("record 4 (recall_number 5)", "targets"),
    ]


def test_recall_without_overrides_is_extracted_from_prose() -> None:
    r = Recall("7", "CPSC", "Acme Heaters Recalled", product_names=["Acme Space Heaters"], description="")
    t = extract_targets(r)[0]
    assert (t.brand, t.product_type) == ("Acme", "space heater")
