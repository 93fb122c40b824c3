"""Target extraction checked against what a careful reader writes down for 46 real CPSC recalls.

The expectations live in expected_targets.yaml and were written from the prose, not from the
extractor's output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from recallguard.domain.identifiers import canonical_model, normalize_gtin
from recallguard.domain.models import IdentifierRange, Recall, Target
from recallguard.sources.extract import extract_targets
from recallguard.sources.loader import load_recalls

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "cpsc" / "cpsc-recalls-api-80.json"
EXPECTED: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "expected_targets.yaml").read_text())


@pytest.fixture(scope="module")
def recalls() -> dict[str, Recall]:
    return {r.recall_number: r for r in load_recalls(SAMPLE).recalls}


def _range_key(r: IdentifierRange) -> str:
    if r.prefix:
        return f"{r.kind}:{r.prefix}*"
    if r.start == r.end and r.kind != "manufacture_date":
        return f"{r.kind}:{r.start}"
    return f"{r.kind}:{r.start}..{r.end}"


def _lower(values: list[str]) -> set[str]:
    return {v.lower() for v in values}


def test_the_table_covers_at_least_30_recalls() -> None:
    assert len({e["recall"] for e in EXPECTED}) >= 30


@pytest.mark.parametrize("exp", EXPECTED, ids=[e["recall"] for e in EXPECTED])
def test_targets_match_what_a_reader_extracts(exp: dict[str, Any], recalls: dict[str, Recall]) -> None:
    targets: list[Target] = extract_targets(recalls[exp["recall"]])
    assert targets, "every recall yields at least one target"
    if "brands" in exp:
        assert _lower([t.brand for t in targets]) == _lower(exp["brands"])
    else:
        assert targets[0].brand.lower() in _lower(exp["brand"])
    if "product_type" in exp:
        types = [t.product_type for t in targets]
        assert any(t == exp["product_type"] or t.endswith(" " + exp["product_type"]) for t in types), types
    found_models = {canonical_model(m) for t in targets for m in t.model_numbers}
    wanted = {canonical_model(m) for m in exp.get("models", [])}
    assert wanted <= found_models, f"missing {wanted - found_models}"
    allowed = wanted | {canonical_model(m) for m in exp.get("models_also", [])}
    assert found_models <= allowed, f"not model numbers: {found_models - allowed}"
    assert set(targets[0].gtins) == {normalize_gtin(g) for g in exp.get("gtins", [])}
    assert set(targets[0].skus) == set(exp.get("skus", []))
    assert {_range_key(r) for r in targets[0].ranges} == set(exp.get("ranges", []))
    if "sold_at" in exp:
        sold = _lower(targets[0].sold_at)
        assert _lower(exp["sold_at"]) <= sold
        assert sold <= _lower(exp["sold_at"] + exp.get("sold_also", []))
    if "countries" in exp:
        assert targets[0].manufacturer_countries == exp["countries"]


def test_models_go_to_the_brand_the_prose_names_them_with(recalls: dict[str, Recall]) -> None:
    by_brand = {t.brand: t.model_numbers for t in extract_targets(recalls["26494"])}
    assert by_brand["DR Power"] == ["DPW3109DEN"]
    assert sorted(by_brand["Generac"]) == ["G0088941", "G0088951", "G0089111"]


def test_a_product_list_becomes_one_target_per_product(recalls: dict[str, Recall]) -> None:
    targets = extract_targets(recalls["26513"])
    by_type = {t.product_type: sorted(t.model_numbers) for t in targets}
    assert by_type == {
        "sofa": ["JF1126-4PHL", "JF1155-4PHL"],
        "loveseat": ["JF1126-5PHL", "JF1155-5PHL"],
        "recliner": ["JF1126-9PHL", "JF1155-9PHL"],
    }
    assert len({t.target_id for t in targets}) == 3


def test_companies_are_aliases_not_the_brand(recalls: dict[str, Recall]) -> None:
    t = extract_targets(recalls["26536"])[0]
    assert t.brand == "Sloosh"
    assert "Joyin" in t.brand_aliases
    gudook = extract_targets(recalls["26528"])[0]
    assert "Gudook Outdoor Sports" in gudook.brand_aliases  # the Amazon seller named in the title


def test_a_model_year_is_not_part_of_the_brand() -> None:
    """Bicycle and vehicle recalls name products by model year: the brand is what follows it (a listing
    never writes "2018 Schwinn")."""
    schwinn = Recall("1", "CPSC", "Pacific Cycle Recalls Adult Men's Mountain Bicycles Due to Fall Hazard",
                     product_names=["2018 Schwinn Abbott Adult Men's Full Suspension Mountain Bicycles"],
                     manufacturers=["Pacific Cycle"])  # fmt: skip
    masi = Recall("2", "CPSC", "Haro Bicycles Recalls Masi Evoluzione and Gran Corsa Bicycles",
                  product_names=["Model Year 2017-2020 Masi Evoluzione and Gran Corsa bicycles"])  # fmt: skip
    assert [t.brand for t in extract_targets(schwinn)] == ["Schwinn"]
    assert [t.brand for t in extract_targets(masi)] == ["Masi"]
    assert "Haro Bicycles" in extract_targets(masi)[0].brand_aliases


def test_sibling_models_named_after_the_brand_are_not_brands() -> None:
    involves = "This recall involves 2010-2012 Cannondale Bad Boy and Bad Girl commuter bicycles."
    r = Recall("3", "CPSC", "Cycling Sports Group Recalls Commuter Bicycles Due to Fall Hazard",
               product_names=["Cannondale commuter bicycles"], description=involves)  # fmt: skip
    assert [t.brand for t in extract_targets(r)] == ["Cannondale"]


def test_context_fields_come_from_the_recall(recalls: dict[str, Recall]) -> None:
    r = recalls["26528"]
    t = extract_targets(r)[0]
    assert t.hazard == r.hazard and "head injury" in t.hazard.lower()
    assert t.remedy == r.remedy
    assert r.title in t.text and r.description in t.text
    assert t.images == r.images and t.images[0].startswith("https://")
    assert t.target_id == "CPSC:26528"


def test_every_sample_recall_yields_targets_with_a_brand_and_type(recalls: dict[str, Recall]) -> None:
    for r in recalls.values():
        targets = extract_targets(r)
        assert targets and all(t.brand and t.product_type for t in targets), r.recall_number


def test_no_dates_prices_or_dimensions_become_model_numbers(recalls: dict[str, Recall]) -> None:
    for r in recalls.values():
        for t in extract_targets(r):
            for m in t.model_numbers:
                assert not m.startswith("$") and "/20" not in m and not m.endswith(('"', "inches"))
                assert canonical_model(m) not in {"2025", "2026", "2024", "MMYYYY"}


def test_extraction_is_deterministic(recalls: dict[str, Recall]) -> None:
    r = recalls["26407"]
    assert extract_targets(r) == extract_targets(r)
