"""Category bans screen listings like recalls: block/review with evidence, custom rule files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from recallguard.domain.models import DecisionKind, Listing
from recallguard.errors import RuleFileError, UsageError
from recallguard.matching.rules import RuleSet, fold, parse_attributes


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


def _one(rules: RuleSet, title: str, description: str = "", rule_id: str = "") -> list:
    return [
        m
        for m in rules.screen(Listing("L1", title, description))
        if not rule_id or m.recall_number == rule_id
    ]


def test_shipped_rules_are_the_three_real_bans(rules: RuleSet) -> None:
    ids = {r.id for r in rules.rules}
    assert ids == {"cpsc-magnet-sets", "cpsc-inclined-infant-sleepers", "cpsc-water-bead-toys"}
    magnet = next(r for r in rules.rules if "magnet" in r.id)
    assert "1262" in magnet.legal_basis and magnet.authority == "CPSC"


def test_small_powerful_magnet_set_is_blocked_with_evidence(rules: RuleSet) -> None:
    (m,) = _one(rules, "216pcs 5mm Magnetic Balls N52 Desk Toy Stress Relief")
    assert m.recall_number == "rule:cpsc-magnet-sets" and m.authority == "CPSC"
    assert m.decision is DecisionKind.BLOCK and 0 <= m.score <= 1
    assert "'magnetic balls'" in m.evidence and "5 mm" in m.evidence and "216 pieces" in m.evidence
    assert "N52" in m.evidence and "16 CFR 1262" in m.evidence


def test_fridge_and_industrial_magnets_are_not_flagged(rules: RuleSet) -> None:
    assert _one(rules, "Fridge Magnets Set of 12 Fruit Shapes for Refrigerator") == []
    assert _one(rules, "冰箱贴 创意 卡通 12个装") == []
    assert _one(rules, "N52 Neodymium Lifting Magnet 150kg Pull Industrial") == []
    assert _one(rules, "Magnetic Tiles 100 pcs Building Blocks for Toddlers") == []


def test_chinese_and_german_listings_are_caught(rules: RuleSet) -> None:
    (zh,) = _one(rules, "巴克球 216颗 5毫米 磁力珠 解压玩具")
    assert zh.decision is DecisionKind.BLOCK and "巴克球" in zh.evidence and "216 pieces" in zh.evidence
    (de,) = _one(rules, "Magnetkugeln 216 Stück 5mm Neodym Antistress Spielzeug")
    assert de.recall_number == "rule:cpsc-magnet-sets"


def test_a_magnet_set_run_together_in_camel_case_is_caught(rules: RuleSet) -> None:
    (m,) = _one(rules, "216pcs 5mm MagneticBallsDeskToy StressRelief")
    assert m.recall_number == "rule:cpsc-magnet-sets" and m.decision is DecisionKind.BLOCK
    assert "'magnetic balls'" in m.evidence


def test_generic_magnets_need_the_shape_and_use_of_a_magnet_set(rules: RuleSet) -> None:
    (m,) = _one(rules, "Neodymium magnets 5mm spheres 216pcs")
    assert m.decision is DecisionKind.REVIEW  # no banned-product name: a person decides
    assert _one(rules, "N52 Disc Magnets 10x3mm 100pcs") == []


def test_inclined_sleeper_over_ten_degrees_but_not_a_flat_one(rules: RuleSet) -> None:
    (m,) = _one(rules, "Newborn Lounger Sleeper with 15° Incline for Baby Naps")
    assert m.recall_number == "rule:cpsc-inclined-infant-sleepers" and "15° incline" in m.evidence
    assert _one(rules, "Baby Sleeper Bassinet, 0° flat sleep surface, newborn") == []
    assert (
        _one(rules, "Baby bassinet sleeper with 8 degree incline for newborn sleep") == []
    )  # within the limit
    assert _one(rules, "Adult Bed Wedge Pillow 12 inch Incline for Acid Reflux") == []


def test_water_beads_as_toys_but_not_for_vases(rules: RuleSet) -> None:
    (m,) = _one(rules, "Water Beads for Kids 50,000 pcs, grow 100x, sensory play")
    assert m.recall_number == "rule:cpsc-water-bead-toys" and "expands ×100" in m.evidence
    assert _one(rules, "海洋宝宝 儿童玩具 10000颗")[0].recall_number == "rule:cpsc-water-bead-toys"
    assert _one(rules, "Water Beads Vase Filler for Wedding Centerpieces") == []
    assert _one(rules, "Water beads for plants, not a toy, keep away from children") == []


def test_clean_listing_never_reaches_a_rule(rules: RuleSet) -> None:
    listing = Listing(
        "L9", "Stainless steel garden hose 20 m", "Kink free, brass fittings", category="Garden"
    )
    assert rules.candidates(fold(listing.title + " " + listing.description)) == set()
    assert rules.screen(listing) == []


def test_custom_rule_file_given_by_path_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "lawn-darts.yaml"
    path.write_text(
        "id: cpsc-lawn-darts\nauthority: CPSC\ntitle: Lawn darts\nlegal_basis: 16 CFR 1500.18(a)(4)\n"
        "terms: {en: [lawn darts, lawn dart set], zh: [草坪飞镖]}\nthresholds: {block: 0.6, review: 0.4}\n",
        encoding="utf-8",
    )
    rules = RuleSet.load([path])
    (m,) = rules.screen(Listing("L2", "Classic Lawn Darts Set for Backyard Games"))
    assert m.recall_number == "rule:cpsc-lawn-darts" and m.decision is DecisionKind.BLOCK
    assert {r.id for r in rules.rules} >= {"cpsc-lawn-darts", "cpsc-magnet-sets"}
    only = RuleSet.load([tmp_path], include_shipped=False)  # a folder of rule files works too
    assert [r.id for r in only.rules] == ["cpsc-lawn-darts"]


def test_a_given_rule_replaces_the_shipped_one_with_its_id(tmp_path: Path) -> None:
    path = tmp_path / "magnets.yaml"
    path.write_text(
        "id: cpsc-magnet-sets\nauthority: CPSC\ntitle: Stricter\nlegal_basis: x\nterms: [magnetic balls]\n"
        "thresholds: {block: 0.5, review: 0.3}\n"
    )
    rules = RuleSet.load([path])
    assert [r.title for r in rules.rules if r.id == "cpsc-magnet-sets"] == ["Stricter"]
    assert rules.screen(Listing("L3", "magnetic balls"))[0].decision is DecisionKind.BLOCK


_HEAD = "id: r1\nauthority: CPSC\ntitle: t\nlegal_basis: x\n"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id: Bad Id\n", "id"),
        ("id: r1\nauthority: CPSC\ntitle: t\nlegal_basis: x\n", "terms"),
        ("id: r1\nauthority: CPSC\ntitle: t\nlegal_basis: x\nterms: {en: magnets}\n", "terms.en"),
        (_HEAD + "terms: [a]\nattributes: [{attribute: colour, gt: 1}]\n", "attributes[0].attribute"),
        (_HEAD + "terms: [a]\nthresholds: {block: 0.3, review: 0.6}\n", "thresholds"),
        ("id: r1\nauthority: CPSC\ntitle: t\nlegal_basis: x\nterms: [a]\nexclusions: ['re:(unclosed']\n",
         "exclusions.en[0]"),
        ("id: r1\nauthority: CPSC\ntitle: t\nterms: [a]\n", "legal_basis"),
        ("id: r1\nauthority: CPSC\ntitle: t\nlegal_basis: x\nterms: [a]\ncolour: red\n", "colour"),
        ("id: [unclosed\n", "(file)"),
    ],
)  # fmt: skip
def test_malformed_rule_file_names_the_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as err:
        RuleSet.load([path])
    assert err.value.field == field
    assert str(path) in str(err.value) and repr(field) in str(err.value)
    assert isinstance(err.value, UsageError)  # the CLI exits 2 with the message


def test_missing_rule_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        RuleSet.load([tmp_path / "nope.yaml"])


def test_attribute_parsing_in_several_notations() -> None:
    a = parse_attributes(fold("216 pieces, 3/16 inch (4.76 mm), N35-N52, flux index 60 kG²mm²"))
    assert a.values["piece_count"] == [216.0] and a.values["magnet_grade"] == [35.0, 52.0]
    assert 4.76 in [round(v, 2) for v in a.values["size_mm"]] and a.values["flux_index"] == [60.0]
    assert parse_attributes(fold("0.5cm 磁珠 1000个")).values == {"size_mm": [5.0], "piece_count": [1000.0]}
    assert parse_attributes(fold("3-in-1 toy, rotates 360°, heats to 40°C")).values == {}
    assert parse_attributes(fold("吸水珠 膨胀100倍")).values["expansion"] == [100.0]


def test_every_shipped_rule_has_a_labelled_set_of_100_listings(rules: RuleSet) -> None:
    import json

    sets = Path(__file__).parents[1] / "data" / "rules"
    for rule in rules.rules:
        rows = [
            json.loads(line) for line in (sets / f"{rule.id}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert len(rows) >= 100 and {r["label"] for r in rows} == {0, 1}
        assert len({r["listing_id"] for r in rows}) == len(rows)
