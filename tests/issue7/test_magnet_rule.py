"""The magnet-set rule after its rework: disguised spellings, accessories sold without magnets, pieces
too big for the small-parts cylinder, more languages; and its fresh labelled set (written after the
change, never tuned on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recallguard.domain.models import Listing
from recallguard.errors import RuleFileError
from recallguard.matching.rules import RuleSet, rule_from_dict
from recallguard.matching.rules.engine import undisguise

RULES = RuleSet.load()
FRESH = Path(__file__).parents[1] / "data" / "rules" / "cpsc-magnet-sets.fresh.jsonl"


def magnet(title: str, description: str = "") -> str | None:
    """The magnet rule's decision for a listing (None: no hit)."""
    hits = [
        m
        for m in RULES.screen(Listing("L", title, description))
        if m.recall_number == "rule:cpsc-magnet-sets"
    ]
    return hits[0].decision.value if hits else None


@pytest.mark.parametrize(
    "title",
    [
        "m@gnetic b@lls 216pcs 5mm desk toy",
        "M-agnetic B.a.l.l.s 5mm 216 pcs fidget",
        "mаgnetic bаlls 5mm 216pcs toy",
    ],
)
def test_disguised_spellings_are_caught(title: str) -> None:
    assert magnet(title) in ("block", "review")


def test_undisguising_leaves_model_numbers_sizes_and_counts_alone() -> None:
    assert undisguise("216pcs 5mm n52 f100xwh1 light-up", RULES._vocab) == "216pcs 5mm n52 f100xwh1 light-up"


def test_accessories_and_sets_without_magnets_are_not_the_product() -> None:
    assert magnet("Storage case for 216 pcs 5mm magnetic balls") is None
    assert magnet("216 pcs 5mm magnetic ball set, magnets not included (box only)") is None
    assert magnet("巴克球收纳盒 仅收纳盒 不含磁珠") is None
    # ...but a set sold with its case is the product
    assert magnet("216 pcs 5mm magnetic balls with storage case, desk toy") == "block"


def test_pieces_too_big_for_the_small_parts_cylinder_are_out_of_scope() -> None:
    assert magnet("Magnetic balls 50mm 6 pcs toy") is None  # 50 mm does not fit the 31.7 mm cylinder
    assert magnet("Magnetic balls 5mm 216 pcs toy, tin 60mm") == "block"  # the smallest size counts


def test_other_languages_and_enclosed_magnet_toys() -> None:
    assert magnet("マグネットボール 5mm 216個 おもちゃ") in ("block", "review")
    assert magnet("Palline magnetiche 5mm 216 pezzi antistress") in ("block", "review")
    assert magnet("Magnetic speed cube 3x3 stickerless puzzle") is None
    assert magnet("Magnetic hematite therapy bracelet beads") is None


def test_not_the_product_is_validated_like_other_phrases() -> None:
    base = {
        "id": "x-magnet",
        "authority": "CPSC",
        "title": "t",
        "legal_basis": "b",
        "terms": ["magnet balls"],
    }
    rule = rule_from_dict({**base, "not_the_product": ["re:case only", "空盒"]}, "x.yaml")
    assert [t.text for t in rule.not_the_product] == ["case only", "空盒"]
    with pytest.raises(RuleFileError, match="not_the_product"):
        rule_from_dict({**base, "not_the_product": [7]}, "x.yaml")


def test_fresh_labelled_set() -> None:
    """28 listings written after the rule change (13 positives); figures in docs/category-bans.md."""
    rows = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines()]
    hits = [magnet(r["title"], r["description"]) is not None for r in rows]
    tp = sum(h and r["label"] == 1 for h, r in zip(hits, rows, strict=True))
    fp = sum(h and r["label"] == 0 for h, r in zip(hits, rows, strict=True))
    positives = sum(r["label"] == 1 for r in rows)
    assert len(rows) == 28 and tp / (tp + fp) >= 0.95 and tp / positives >= 0.9
