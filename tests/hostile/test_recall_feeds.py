"""Every recall feed parser fed generated malformed records: no crash, a BadRecord naming the record
and the field for each bad one, and the good records around it still load.

Formats: CPSC Recalls API JSON, Safety Gate, Health Canada, the project's own format (records
mutated from real samples), the generic CSV (rows and cells mutated), and whole files through
``load_recalls`` (cut short, raw tokens no encoder writes, random bytes).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recallguard.errors import RecallguardError
from recallguard.sources.cpsc import parse_cpsc
from recallguard.sources.generic_csv import parse_generic_csv
from recallguard.sources.health_canada import parse_health_canada
from recallguard.sources.loader import load_recalls, load_recalls_data
from recallguard.sources.own_format import dump_own, parse_own
from recallguard.sources.registry import RecallBatch
from recallguard.sources.safety_gate import parse_safety_gate
from tests.hostile.hostile import changes, corrupt_json_text, load_json, mutate, raw_tokens, values

CPSC = load_json("data/samples/recalls.json")[:3]
SAFETY_GATE = load_json("tests/data/safety-gate/safety-gate-notification-sample.json")
SAFETY_GATE = SAFETY_GATE if isinstance(SAFETY_GATE, list) else [SAFETY_GATE]
HEALTH_CANADA = load_json("tests/data/health-canada/hc-recalls-sample.json")
OWN = dump_own(parse_cpsc(CPSC).recalls[:2], authority="CPSC")
CSV_TEXT = (Path(__file__).resolve().parents[1] / "data/generic-csv/recalls-sample.csv").read_text()

LIST_FORMATS = {
    "cpsc": (CPSC, parse_cpsc),
    "safety-gate": (SAFETY_GATE[:1], parse_safety_gate),
    "health-canada": (HEALTH_CANADA, parse_health_canada),
}


def _check_batch(batch: RecallBatch, total: int) -> None:
    """Each record became a recall or a bad record that names where and which field."""
    assert len(batch.recalls) + len(batch.bad) <= total
    for bad in batch.bad:
        assert bad.location, bad
        assert bad.field, bad
        assert bad.error, bad
        assert str(bad)  # printable: what the CLI shows and the quarantine keeps


@pytest.mark.parametrize("name", sorted(LIST_FORMATS))
@given(mutations=changes, position=st.integers(min_value=0, max_value=3))
def test_one_bad_record_does_not_stop_the_feed(name: str, mutations: list[Any], position: int) -> None:
    """A mutated record among good ones: the good ones all load, the bad one is named."""
    good, parse = LIST_FORMATS[name]
    bad_record = mutate(good[0], mutations)
    feed = [*good]
    feed.insert(position % (len(feed) + 1), bad_record)
    batch = parse(feed, "fuzz")
    _check_batch(batch, len(feed))
    good_keys = {r.key for r in parse(good, "clean").recalls}
    assert good_keys <= {r.key for r in batch.recalls} | {None}  # nothing good was lost
    assert len(batch.recalls) + len(batch.bad) >= len(good)


@pytest.mark.parametrize("name", sorted(LIST_FORMATS))
@given(data=values)
def test_any_json_value_is_refused_cleanly(name: str, data: Any) -> None:
    """Whatever JSON a feed answers with, the parser returns a batch (never raises)."""
    _, parse = LIST_FORMATS[name]
    batch = parse(data, "fuzz")
    _check_batch(batch, len(data) if isinstance(data, list) else 1)


@given(mutations=changes)
def test_own_format_mutated(mutations: list[Any]) -> None:
    doc = mutate(OWN, mutations)
    try:
        batch = parse_own(doc, "fuzz")
    except RecallguardError:
        return
    _check_batch(batch, max(2, len(doc.get("recalls") or []) if isinstance(doc, dict) else 1))


@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=14), st.one_of(st.text(max_size=30), st.just("x" * 5000))
        ),
        min_size=1,
        max_size=6,
    ),
    extra_cells=st.integers(min_value=0, max_value=2),
)
def test_generic_csv_mutated_cells(rows: list[tuple[int, str]], extra_cells: int) -> None:
    """Cells replaced with arbitrary text (quotes, newlines, NULs…), rows with too many cells."""
    table = list(csv.reader(io.StringIO(CSV_TEXT)))
    header, body = table[0], table[1:]
    for i, (col, text) in enumerate(rows):
        body[i % len(body)][col % len(header)] = text
    body[0] = body[0] + ["extra"] * extra_cells
    out = io.StringIO()
    csv.writer(out).writerows([header, *body])
    batch = parse_generic_csv(out.getvalue(), "fuzz.csv")
    _check_batch(batch, len(body) + 1)
    if extra_cells:
        assert any(b.field == "(row)" for b in batch.bad)


@given(text=st.text(max_size=400))
def test_generic_csv_arbitrary_text(text: str) -> None:
    batch = parse_generic_csv("authority,recall_number,title,date\n" + text, "fuzz.csv")
    _check_batch(batch, 10_000)


@pytest.mark.parametrize("name", ["cpsc", "health-canada", "own"])
@given(cut=st.integers(min_value=0, max_value=60), token=raw_tokens, where=st.integers(min_value=0))
def test_hostile_files_through_the_loader(
    tmp_path_factory: pytest.TempPathFactory, name: str, cut: int, token: str, where: int
) -> None:
    """Files cut short or holding tokens no encoder writes (5,000-digit numbers, 5,000-deep nesting,
    NaN): either a batch (bad records named) or InputError naming the file — never another error."""
    import json

    data = {"cpsc": CPSC, "health-canada": HEALTH_CANADA, "own": OWN}[name]
    path = tmp_path_factory.mktemp("feeds") / f"{name}.json"
    path.write_text(corrupt_json_text(json.dumps(data), cut, token, where), encoding="utf-8")
    try:
        batch = load_recalls(path)
    except RecallguardError as e:
        assert path.name in str(e)
        return
    _check_batch(batch, 100)


@given(blob=st.binary(max_size=300))
def test_random_bytes_through_the_loader(tmp_path_factory: pytest.TempPathFactory, blob: bytes) -> None:
    path = tmp_path_factory.mktemp("feeds") / "blob.json"
    path.write_bytes(blob)
    try:
        load_recalls(path)
    except RecallguardError as e:
        assert path.name in str(e)


@given(data=values)
def test_detection_of_arbitrary_values(data: Any) -> None:
    """Decoded data of unknown shape: a format claims it and parses it, or InputError."""
    try:
        batch = load_recalls_data(data, "api body")
    except RecallguardError:
        return
    _check_batch(batch, len(data) if isinstance(data, list) else 1_000)
