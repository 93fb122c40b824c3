"""Listing files (JSONL, CSV, Parquet) and category-ban rule files fed generated malformed content.

Listing readers: every bad record becomes a BadRecord naming file, line and field, the good lines
around it still load, and a file that cannot be read at all is one InputError naming it. Rule files:
any malformed rule is refused with RuleFileError naming the file, the rule and the field.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from recallguard.domain.models import BadRecord, Listing
from recallguard.errors import RecallguardError, RuleFileError
from recallguard.listings.readers import read_listings
from recallguard.matching.rules import engine as rules_engine
from recallguard.matching.rules.model import load_rule_file
from tests.hostile.hostile import ROOT, changes, corrupt_json_text, mutate, raw_tokens, values

GOOD = [
    json.loads(line)
    for line in (ROOT / "data/samples/listings.jsonl").read_text(encoding="utf-8").splitlines()[:3]
]
FIELDS = list(GOOD[0])


def _read(path: Path) -> tuple[list[Listing], list[BadRecord]]:
    good: list[Listing] = []
    bad: list[BadRecord] = []
    for rec in read_listings(path):
        (bad if isinstance(rec, BadRecord) else good).append(rec)  # type: ignore[arg-type]
    for b in bad:
        assert b.location and b.field and b.error, b
        assert str(path) in b.source
    return good, bad


@given(mutations=changes, position=st.integers(min_value=0, max_value=3))
def test_jsonl_bad_line_among_good(
    tmp_path_factory: pytest.TempPathFactory, mutations: list[Any], position: int
) -> None:
    rows = [*GOOD]
    rows.insert(position % 4, mutate(GOOD[0] | {"listing_id": "BAD-1"}, mutations))
    lines = []
    for row in rows:
        try:
            lines.append(json.dumps(row, ensure_ascii=False))
        except (ValueError, TypeError):  # not encodable at all: write the broken text instead
            lines.append(repr(row))
    path = tmp_path_factory.mktemp("l") / "listings.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    good, bad = _read(path)
    assert {g["listing_id"] for g in GOOD} <= {x.listing_id for x in good}
    assert len(good) + len(bad) == 4


@given(cut=st.integers(min_value=0, max_value=40), token=raw_tokens, where=st.integers(min_value=0))
def test_jsonl_raw_tokens(tmp_path_factory: pytest.TempPathFactory, cut: int, token: str, where: int) -> None:
    """A line with a 5,000-digit number, 5,000-deep nesting or cut short is one bad line."""
    broken = corrupt_json_text(json.dumps(GOOD[1]), cut, token, where)
    path = tmp_path_factory.mktemp("l") / "listings.jsonl"
    path.write_text("\n".join([json.dumps(GOOD[0]), broken, json.dumps(GOOD[2])]) + "\n")
    good, _ = _read(path)
    assert {GOOD[0]["listing_id"], GOOD[2]["listing_id"]} <= {x.listing_id for x in good}


@given(cut=st.integers(min_value=0, max_value=40), token=raw_tokens, where=st.integers(min_value=0))
def test_json_array_file_raw_tokens(
    tmp_path_factory: pytest.TempPathFactory, cut: int, token: str, where: int
) -> None:
    """A JSON-array listing file: readable records load, an unreadable file is one InputError."""
    path = tmp_path_factory.mktemp("l") / "listings.json"
    path.write_text(corrupt_json_text(json.dumps(GOOD), cut, token, where))
    try:
        _read(path)
    except RecallguardError as e:
        assert str(path) in str(e)


@given(
    cells=st.lists(
        st.tuples(st.integers(min_value=0), st.one_of(st.text(max_size=30), st.just("y" * 25_000))),
        min_size=1,
        max_size=6,
    ),
    extra=st.booleans(),
)
def test_csv_mutated_cells(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[int, str]], extra: bool
) -> None:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(FIELDS)
    body = [[json.dumps(r[f]) if isinstance(r[f], list) else r[f] for f in FIELDS] for r in GOOD]
    bad_row = list(body[0])
    bad_row[0] = "BAD-1"
    for col, text in cells:
        bad_row[col % len(FIELDS)] = text
    if extra:
        bad_row.append("surplus")
    w.writerows([body[1], bad_row, body[2]])
    path = tmp_path_factory.mktemp("l") / "listings.csv"
    path.write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
    good, _ = _read(path)
    assert {GOOD[1]["listing_id"], GOOD[2]["listing_id"]} <= {x.listing_id for x in good}


@given(blob=st.binary(max_size=300), suffix=st.sampled_from([".jsonl", ".csv", ".parquet", ".bin"]))
def test_random_bytes_any_format(tmp_path_factory: pytest.TempPathFactory, blob: bytes, suffix: str) -> None:
    path = tmp_path_factory.mktemp("l") / f"listings{suffix}"
    path.write_bytes(blob)
    try:
        _read(path)
    except RecallguardError as e:
        assert str(path) in str(e)


@given(
    column=st.sampled_from(FIELDS),
    kind=st.sampled_from(["int", "float", "bool", "list_int", "struct", "null", "binary"]),
)
def test_parquet_wrongly_typed_columns(
    tmp_path_factory: pytest.TempPathFactory, column: str, kind: str
) -> None:
    """A Parquet file whose column has a foreign type: each row is a named BadRecord or loads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(GOOD)
    foreign = {
        "int": pa.array([2**62, -1, 0], pa.int64()),
        "float": pa.array([float("nan"), float("inf"), -0.0]),
        "bool": pa.array([True, False, None]),
        "list_int": pa.array([[1, 2], [], None], pa.list_(pa.int64())),
        "struct": pa.array([{"a": 1}, {"a": None}, None], pa.struct([("a", pa.int64())])),
        "null": pa.nulls(n),
        "binary": pa.array([b"\xff\xfe", b"", None], pa.binary()),
    }[kind]
    cols = {f: [json.dumps(r[f]) if isinstance(r[f], list) else r[f] for r in GOOD] for f in FIELDS}
    table = pa.table({f: (foreign if f == column else cols[f]) for f in FIELDS})
    path = tmp_path_factory.mktemp("l") / "listings.parquet"
    pq.write_table(table, path)
    try:
        good, bad = _read(path)
    except RecallguardError as e:
        assert str(path) in str(e)
        return
    assert len(good) + len(bad) == n


SHIPPED = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in rules_engine.shipped_rule_files()]


@pytest.mark.parametrize("index", range(len(SHIPPED)))
@given(mutations=changes)
def test_rule_file_mutated(
    tmp_path_factory: pytest.TempPathFactory, index: int, mutations: list[Any]
) -> None:
    """A shipped rule file with a few values replaced: it loads (and compiles) or RuleFileError names
    the file and field."""
    doc = mutate(SHIPPED[index], mutations)
    path = tmp_path_factory.mktemp("r") / "rule.yaml"
    try:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8", errors="surrogatepass")
    except yaml.YAMLError:
        return
    try:
        rules = load_rule_file(path)
    except RuleFileError as e:
        assert str(path) in str(e) and e.field
        return
    rules_engine.RuleSet(rules)  # a rule that validated also compiles


@given(
    text=st.text(max_size=300) | st.sampled_from(["[" * 3000, "a: &a [*a]", "!!python/object:os.system x"])
)
def test_rule_file_arbitrary_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("r") / "rule.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_rule_file(path)
    except RuleFileError as e:
        assert str(path) in str(e)


@given(data=values)
def test_rule_of_any_shape(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    path = tmp_path_factory.mktemp("r") / "rule.yaml"
    try:
        path.write_text(yaml.safe_dump(data), encoding="utf-8", errors="surrogatepass")
    except yaml.YAMLError:
        return
    with contextlib.suppress(RuleFileError):
        load_rule_file(path)


_RULE_KEYS = sorted({k for doc in SHIPPED for k in (doc if isinstance(doc, dict) else {})} | {"fields"})


@given(
    index=st.integers(min_value=0, max_value=len(SHIPPED) - 1),
    key=st.sampled_from(_RULE_KEYS),
    value=values,
    inner=st.booleans(),
)
def test_rule_top_level_field_of_any_shape(index: int, key: str, value: Any, inner: bool) -> None:
    """Each rule field (and each field of its first group/condition) given any JSON shape."""
    from recallguard.matching.rules.model import rule_from_dict

    doc = dict(SHIPPED[index])
    if inner and isinstance(doc.get(key), list) and doc[key] and isinstance(doc[key][0], dict):
        first = dict(doc[key][0])
        first[sorted(first)[0]] = value
        doc[key] = [first, *doc[key][1:]]
    else:
        doc[key] = value
    try:
        rule = rule_from_dict(doc, "fuzz.yaml")
    except RuleFileError as e:
        assert "fuzz.yaml" in str(e) and e.field
        return
    rules_engine.RuleSet([rule])
