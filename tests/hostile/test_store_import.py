"""Hostile feeds and listing files imported into a real SQLite store: the good records are stored,
each bad one is quarantined once and counted, and nothing else changes (no half-written import).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.errors import RecallguardError
from recallguard.service.importers import import_listings, import_recalls
from recallguard.sources.cpsc import parse_cpsc
from recallguard.store import Store
from tests.hostile.hostile import changes, load_json, mutate

CPSC = load_json("data/samples/recalls.json")[:3]
LISTINGS = [json.loads(x) for x in (Path(__file__).resolve().parents[2] / "data/samples/listings.jsonl")
            .read_text(encoding="utf-8").splitlines()[:3]]  # fmt: skip
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'hostile.db'}")
    yield s
    s.close()


def _renumber(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Fresh recall numbers for this example, so every good record is new to the store."""
    return [r | {"RecallNumber": f"H{n}-{i}", "RecallID": n * 10 + i} for i, r in enumerate(records)]


@settings(max_examples=15)
@given(mutations=changes, surrogate=st.booleans())
def test_recall_feed_into_the_store(
    store: Store, tmp_path_factory: pytest.TempPathFactory, mutations: list[Any], surrogate: bool
) -> None:
    n = next(_serial)
    good = _renumber(CPSC, n)
    if surrogate:  # valid JSON (\\ud800) that no UTF-8 encoder accepts: used to fail the whole import
        good[1]["Title"] += " \ud800"
    bad = mutate(good[0] | {"RecallNumber": f"H{n}-bad"}, mutations)
    feed = [good[0], bad, good[1], good[2]]
    path = tmp_path_factory.mktemp("feed") / "cpsc.json"
    path.write_text(json.dumps(feed, default=str), encoding="utf-8")
    before = store.counts()
    expected = parse_cpsc(json.loads(path.read_text()), "x")
    report = import_recalls(store, path)
    after = store.counts()
    assert report.created == len({r.recall_number for r in expected.recalls})
    assert after["recalls"] - before["recalls"] == report.created
    assert report.quarantined == len(expected.bad)
    assert after["quarantined"] - before["quarantined"] <= len(expected.bad)
    with store.transaction() as uow:
        for g in good:  # every good record is stored, readable, with its title (scrubbed if need be)
            stored = uow.recalls.get("CPSC", g["RecallNumber"])
            assert stored is not None and stored.title.startswith(g["Title"][:20])
    again = import_recalls(store, path)  # idempotent: the same feed again changes nothing
    assert (again.created, again.updated) == (0, 0)
    assert store.counts() == after


@settings(max_examples=15)
@given(mutations=changes, nul=st.booleans())
def test_listing_file_into_the_store(
    store: Store, tmp_path_factory: pytest.TempPathFactory, mutations: list[Any], nul: bool
) -> None:
    n = next(_serial)
    good = [r | {"listing_id": f"HL{n}-{i}"} for i, r in enumerate(LISTINGS)]
    if nul:  # PostgreSQL refuses NUL in text; it must not cost the batch anywhere
        good[2]["title"] = "mag\x00net \ud800 set"
    bad = mutate(good[0] | {"listing_id": f"HL{n}-bad"}, mutations)
    lines = [json.dumps(good[0]), json.dumps(bad, default=str), json.dumps(good[1]), json.dumps(good[2])]
    path = tmp_path_factory.mktemp("listings") / "listings.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = store.counts()
    report = import_listings(store, path)
    after = store.counts()
    assert report.created + report.quarantined == 4
    assert report.created >= 3  # the three good ones always load
    assert after["listings"] - before["listings"] == report.created
    assert after["quarantined"] - before["quarantined"] <= report.quarantined
    with store.transaction() as uow:
        assert all(uow.listings.get(g["listing_id"]) is not None for g in good)


def test_unreadable_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    """A file that cannot be read at all is refused before anything is written."""
    path = tmp_path / "cpsc.json"
    path.write_text(json.dumps(_renumber(CPSC, next(_serial)))[:-40])  # cut short
    before = store.counts()
    with pytest.raises(RecallguardError, match=r"cpsc\.json"):
        import_recalls(store, path)
    assert store.counts() == before
