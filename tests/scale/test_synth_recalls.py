"""Synthetic recalls (issue 8's index of 10^4-10^5 targets): other firms' products of the same kinds, and
a matcher whose blocks of identified listings survive an index crowded with them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from stdnum import ean

from recallguard.domain.models import Listing
from recallguard.listings.readers import read_listings
from recallguard.matching.build import build_screener, targets_for
from recallguard.scale.synth_recalls import synthetic_recalls
from recallguard.sources.loader import load_recalls_data

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def templates() -> list[dict]:
    return json.loads((SAMPLES / "recalls.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def synthetic(templates: list[dict]) -> list[dict]:
    return synthetic_recalls(templates, 600, seed=3)


def test_deterministic_numbered_and_parsed_like_the_templates(
    templates: list[dict], synthetic: list[dict]
) -> None:
    assert synthetic_recalls(templates, 40, seed=3) == synthetic[:40]
    assert synthetic_recalls(templates, 40, seed=4) != synthetic[:40]
    assert [r["RecallNumber"] for r in synthetic[:3]] == ["SYN-000001", "SYN-000002", "SYN-000003"]
    batch = load_recalls_data(synthetic, "synthetic")
    assert not batch.bad and len(batch.recalls) == 600
    targets = targets_for(batch.recalls)
    assert len({t.brand for t in targets}) > 500  # a firm and brand of its own per record
    assert all(ean.is_valid(u["UPC"]) for r in synthetic for u in r.get("ProductUPCs") or [])


def test_no_template_firm_brand_or_identifier_survives(templates: list[dict], synthetic: list[dict]) -> None:
    real = targets_for(load_recalls_data(templates, "templates").recalls)
    brands = {t.brand.lower() for t in real if len(t.brand) >= 4}
    codes = {c.upper() for t in real for c in (*t.model_numbers, *t.gtins) if any(ch.isdigit() for ch in c)}
    assert brands and codes
    for rec in synthetic:
        text = json.dumps({k: v for k, v in rec.items() if k not in ("RecallID", "RecallDate")})
        words = set(re.findall(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", text.lower()))
        assert not {b for b in brands if b in text.lower()}, rec["RecallNumber"]
        assert not {c for c in codes if c.lower() in words}, rec["RecallNumber"]


def test_identified_listings_stay_blocked_in_a_crowded_index(
    templates: list[dict], synthetic: list[dict]
) -> None:
    """A listing that names a recalled model or GTIN is blocked for its recall with 12 recalls in the
    index, and still with 600 recalls of other firms' products of the same kinds beside them; a listing
    that no real recall matches is blocked by none of the synthetic ones (their brands are invented)."""
    listings = [r for r in read_listings(SAMPLES / "listings.jsonl") if isinstance(r, Listing)]
    small = build_screener(load_recalls_data(templates, "t").recalls)
    big = build_screener(load_recalls_data(templates + synthetic, "t+s").recalls)
    identified, clean = [], []
    for listing, matches in small.screen_many(listings):
        blocks = [m for m in matches if m.decision.value == "block"]
        if any(m.features.get("model_match") or m.features.get("gtin_match") for m in blocks):
            identified.append((listing, {m.recall_number for m in blocks}))
        elif not matches:
            clean.append(listing)
    assert len(identified) >= 15 and len(clean) >= 150
    big_results = dict(
        (listing.listing_id, ms) for listing, ms in big.screen_many([x for x, _ in identified] + clean)
    )
    for listing, recalls in identified:
        still = {m.recall_number for m in big_results[listing.listing_id] if m.decision.value == "block"}
        assert recalls <= still, (listing.listing_id, listing.title, recalls, still)
    falsely = [
        x.listing_id for x in clean if any(m.decision.value == "block" for m in big_results[x.listing_id])
    ]
    assert not falsely


def test_cli_writes_a_recall_file_the_loader_reads(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from recallguard.cli.main import _register, app
    from recallguard.sources.loader import load_recalls

    _register()
    out = tmp_path / "recalls.json"
    args = ["synth-recalls", "--templates", str(SAMPLES / "recalls.json"), "--count", "30", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--with-templates"])
    assert res.exit_code == 0, res.output
    batch = load_recalls(out)
    assert not batch.bad and len(batch.recalls) == 42
    assert sum(r.recall_number.startswith("SYN-") for r in batch.recalls) == 30
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    res = CliRunner().invoke(
        app, ["synth-recalls", "--templates", str(bad), "--count", "3", "--out", str(out)]
    )
    assert res.exit_code != 0 and "not a CPSC API array" in f"{res.output}{res.exception}"
    # bad records are named and left out; the good ones still serve
    mixed = json.loads((SAMPLES / "recalls.json").read_text(encoding="utf-8"))[:2]
    mixed += [{"Title": "no number"}, {"RecallNumber": "X1", "Products": "a string"}]
    bad.write_text(json.dumps(mixed), encoding="utf-8")
    res = CliRunner().invoke(
        app, ["synth-recalls", "--templates", str(bad), "--count", "5", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "record 3: no RecallNumber" in res.output and "record 4 (X1): Products" in res.output
    assert "2 bad template records left out" in res.output
    assert len(load_recalls(out).recalls) == 5
