"""How sellers really write a recalled product, and what the screener must still see in it: a company's
first word or a misspelt company name in the brand field, a model year after the brand, an apostrophe in
the wrong place, one product recalled in many notices, a recall that names several products, a trade mark
sign, misspelt marketing words and a misspelt word that reads two ways."""

from __future__ import annotations

from dataclasses import replace

from recallguard.domain.models import DecisionKind, Listing, Target
from recallguard.domain.policy import DecisionPolicy, Thresholds
from recallguard.matching.features import FEATURES, pair_features
from recallguard.matching.index import TargetIndex
from recallguard.matching.profiles import listing_profile
from recallguard.matching.screen import MAX_MATCHES_PER_AUTHORITY, Screener

SHOCK = Target(
    "17022",
    "CPSC",
    brand="Float",
    brand_aliases=["Fox Factory"],
    product_name="Mountain bike rear shock absorbers",
    product_type="rear shock absorber",
    text="This recall involves FLOAT X2 bicycle rear shock absorbers made by Fox Factory.",
)
SLED = Target(
    "23702",
    "CPSC",
    brand="Ski-Doo",
    brand_aliases=["Bombardier Recreational Products"],
    product_name="Ski-Doo snowmobiles",
    product_type="snowmobile",
    text="This recall involves Ski-Doo snowmobiles with 850 E-TEC engines, made by Bombardier Recreational "
    "Products.",
)
BILLIARDS = Target(
    "09122",
    "CPSC",
    brand="Golf Galaxy",
    product_name="Golfer's Billiard Games",
    product_type="billiard game",
    text="This recall involves Golfer's Billiard Games sold at golf stores.",
)


def _features(index: TargetIndex, listing: Listing, target: int = 0) -> dict[str, float]:
    lp = listing_profile(listing)
    cands = index.candidates(lp)
    assert target in cands, f"{listing.title!r} is not a candidate"
    row = pair_features(lp, index.profiles[target], lp.brand_hits.get(target), cands[target],
                        target in lp.model_key_hits)  # fmt: skip
    return dict(zip(FEATURES, row, strict=True))


def test_a_company_first_word_in_the_brand_field_is_the_recalled_brand() -> None:
    # sellers write "Fox" for Fox Factory: the brand field must tie the listing to the recall
    index = TargetIndex([SHOCK])
    lp = listing_profile(Listing("L1", "Free Shipping Fox rear shock absorber", brand="Fox"))
    index.candidates(lp)
    form, how, sim = lp.brand_hits[0]
    assert form == "fox" and "company" in how and sim >= 0.7


def test_a_misspelt_company_name_in_the_brand_field_is_no_brand_conflict() -> None:
    # "Bombarider" is Bombardier misspelt, the company that recalled the snowmobiles; not another brand
    # three notices of one company: its name's words alone no longer nominate a recall from a title
    lynx = Target(
        "25188",
        "CPSC",
        brand="Lynx",
        brand_aliases=["Bombardier Recreational Products"],
        product_name="Lynx snowmobiles",
        product_type="snowmobile",
        text="Lynx snowmobiles.",
    )
    atv = Target(
        "19001",
        "CPSC",
        brand="Can-Am",
        brand_aliases=["Bombardier Recreational Products"],
        product_name="Can-Am Outlander ATVs",
        product_type="atv",
        text="Can-Am Outlander ATVs.",
    )
    index = TargetIndex([SLED, lynx, atv])
    f = _features(index, Listing("L1", "bobmardier ski-doo snowmobile", brand="Bombarider"))
    assert f["brand_conflict"] == 0.0
    other = _features(index, Listing("L2", "arctic ski-doo snowmobile", brand="Arctic Cat"))
    assert other["brand_conflict"] == 1.0  # another company's brand still is


def test_a_model_year_after_the_brand_is_not_a_model_number_in_conflict() -> None:
    # "BRP 2017" is not model BRP2017: the title names the recalled snowmobiles, it conflicts with nothing
    index = TargetIndex([SLED])
    f = _features(index, Listing("L1", "BRP 2017 Ski-Doo snowmobiles Hot Sale", brand="BRP"))
    assert f["model_conflict"] == 0.0


def test_an_apostrophe_in_the_wrong_place_is_read_as_a_misspelling() -> None:
    index = TargetIndex([BILLIARDS])
    lp = listing_profile(Listing("L1", "golfe'rs billiard game"))
    index.candidates(lp)
    assert "golfer" in lp.title_set


def test_every_notice_tied_with_the_best_is_kept_past_the_cap() -> None:
    # one product recalled in many notices, and nothing in the listing tells them apart: each notice's
    # report must show the listing, so none is dropped for the cap on matches per authority
    notices = [
        Target(f"2270{k}", "CPSC", brand="Ski-Doo", product_name="Ski-Doo Snowmobiles",
               product_type="snowmobile", text="This recall involves Ski-Doo snowmobiles.")
        for k in range(MAX_MATCHES_PER_AUTHORITY + 3)
    ]  # fmt: skip
    matches = Screener(notices).screen(Listing("L1", "Ski-Doo Snowmobiles", brand="Ski-Doo"))
    assert {m.recall_number for m in matches} == {t.recall_number for t in notices}
    assert len({m.score for m in matches}) == 1


def test_a_recall_of_several_products_is_judged_on_the_product_the_title_names() -> None:
    # one recall, three products: the listing names the third; a reading of the brand with nothing of
    # its product (golf cars) must not stand in for the recall and then be dropped as brand-only
    parts = [
        Target("15174", "CPSC", brand="E-Z-GO", product_name=name, product_type=name,
               text="This recall involves E-Z-GO golf cars, shuttles and off-road utility vehicles.")
        for name in ("Golf cars", "shuttles", "off-road utility vehicles")
    ]  # fmt: skip
    other = Target("12056", "CPSC", brand="E-Z-GO", product_name="TXT golf cars", product_type="golf car",
                   text="This recall involves E-Z-GO TXT golf cars.")  # fmt: skip
    matches = Screener([*parts, other]).screen(
        Listing("L1", "Factory Price E-Z-GO off-road utility vehicle", brand="E-Z-GO")
    )
    found = {m.recall_number: m for m in matches}
    assert "15174" in found and found["15174"].decision is not DecisionKind.NONE
    assert found["15174"].features["name_cover"] >= 0.5  # the reading that names its product


def test_an_accessory_is_not_the_recalled_part_of_another_kind() -> None:
    # the recall is of replacement parts (an accessory recall): a case for the ladder is not one of them,
    # a replacement step is
    parts = Target(
        "93089",
        "CPSC",
        brand="Delair",
        product_name="Replacement Parts For Certain A Frame Pool Ladders",
        product_type="pool ladder part",
        model_numbers=["X4932-01"],
        text="Delair renews its offer of replacement steps and handrails for A-frame pool ladders, "
        "model X4932-01.",
    )
    screener = Screener([parts])
    case = Listing("L1", "Protective Case for Delair Frame Pool Ladder X4932-01")
    step = Listing("L2", "Replacement Step for Delair Frame Pool Ladder X4932-01")
    assert _features(screener.index, case)["accessory"] == 1.0
    assert all(m.decision is not DecisionKind.BLOCK for m in screener.screen(case))
    assert _features(screener.index, step)["accessory"] == 0.0


def test_a_brand_that_sounds_like_the_recalled_one_ties_the_listing_to_it() -> None:
    # "Cybeks" for Cybex: no single edit and no anagram, the same sound
    treadmill = Target(
        "08041", "CPSC", brand="Cybex", product_name="Cybex Trotter Treadmills", product_type="treadmill",
        text="This recall involves Cybex Trotter treadmills.",
    )  # fmt: skip
    index = TargetIndex([treadmill, SHOCK])
    listing = Listing("L1", "Cybeks Trotter treadmill", brand="Cybeks")
    lp = listing_profile(listing)
    index.candidates(lp)
    form, how, _ = lp.brand_hits[0]
    assert (form, how) == ("cybex", "brand field sounds alike")
    assert _features(index, listing)["brand_conflict"] == 0.0


def test_plain_words_are_not_corrected_by_their_sound() -> None:
    # sound keys are for brands: a title word that merely sounds like a recall word is not read as it
    index = TargetIndex([SHOCK, SLED])
    lp = listing_profile(Listing("L1", "Snomobeel cover"))  # snowmobile: the same sound, two edits away
    index.correct_tokens(lp)
    assert "snowmobile" not in lp.fixed_tokens


def test_a_swapped_pair_in_a_short_brand_field_is_no_brand_conflict() -> None:
    # "Balck" is Black (of Black Diamond) with two letters swapped: a misspelling, not another brand;
    # "Rossi" is another brand
    poles = Target(
        "15028", "CPSC", brand="Black Diamond", product_name="Ski poles", product_type="ski pole",
        text="This recall includes Black Diamond Whippet ski poles.",
    )  # fmt: skip
    # other recalls name black products: "black" alone is no brand form here, only the text has it
    others = [
        Target(str(n), "CPSC", brand=b, product_name=f"{b} black {kind}", product_type=kind)
        for n, (b, kind) in enumerate([("Acme", "kettle"), ("Zenith", "heater"), ("Orbit", "lamp")])
    ]
    index = TargetIndex([poles, SHOCK, *others])
    assert _features(index, Listing("L1", "Balck Ski poles", brand="Balck"))["brand_conflict"] == 0.0
    assert _features(index, Listing("L2", "Rossi Ski poles", brand="Rossi"))["brand_conflict"] == 1.0


def test_a_misspelt_word_read_as_the_recalls_costs_the_title_nothing() -> None:
    # "Livehoom" read as the recalled Livehom is compared as Livehom, not also as an unexplained word
    text = "This recall involves LIVEHOM 11-Drawer Dressers."
    dresser = Target("24707", "CPSC", brand="LIVEHOM", product_name="LIVEHOM 11-Drawer Dressers", text=text)
    other = Target("24708", "CPSC", brand="Hasuit", product_name="Hasuit 7-Drawer Dressers")
    index = TargetIndex([dresser, other])
    written = _features(index, Listing("L1", "LIVEHOM 11-Drawer Dressers Top Rated", brand="LIVEHOM"))
    misspelt = _features(index, Listing("L2", "LIVEHOOM 11-Drawer Dressers Top Rated", brand="LIVEHOOM"))
    assert misspelt["title_cover"] == written["title_cover"] > 0.9
    assert misspelt["name_cover"] == written["name_cover"]
    assert Screener([dresser, other]).screen(Listing("L3", "Livehmo 11-Drawer Dressers"))[0].decision is (
        DecisionKind.BLOCK
    )


def test_a_two_word_brand_with_one_word_misspelt_is_the_recalled_brand() -> None:
    # the real CPSC notice 26437 (Sweetie Baby loungers) among the repository's 80 recalls
    from pathlib import Path

    from recallguard.matching.build import build_screener
    from recallguard.sources.loader import load_recalls

    cpsc = Path(__file__).resolve().parents[2] / "data" / "cpsc" / "cpsc-recalls-api-80.json"
    screener = build_screener(load_recalls(cpsc).recalls, include_rules=False)
    (match,) = screener.screen(Listing("L1", "Sweetie Bbay Baby Loungers", brand="Sweetie"))
    assert match.recall_number == "26437" and match.decision is DecisionKind.BLOCK, match.evidence
    assert "brand Sweetie Baby (title misspelt)" in match.evidence


SCOOTER = Target(
    "05193",
    "CPSC",
    brand="Razor",
    product_name="Razor™ Electric Scooters",
    product_type="electric scooter",
    model_numbers=["E300"],
    text="The recall involves models E300 and E200 Razor™ Electric Scooters.",
)
ELECTRA = Target(
    "12345", "CPSC", brand="Electra", product_name="Electra Townie bicycles", product_type="bicycle"
)


def test_a_trade_mark_sign_is_not_part_of_the_word_it_marks() -> None:
    # NFKC writes "™" as "TM": "Razor™" read "razortm" met neither the brand nor a listing's "Razor"
    index = TargetIndex([SCOOTER, ELECTRA])
    assert "razor" in index.profiles[0].text_tokens and "razortm" not in index.profiles[0].text_tokens
    marked = _features(index, Listing("L1", "Razor™ Electric Scooters E300"))
    plain = _features(index, Listing("L2", "Razor Electric Scooters E300"))
    assert marked["brand_in_title"] == plain["brand_in_title"] == 1.0
    assert marked["title_cover"] == plain["title_cover"] == 1.0


def test_a_misspelt_marketing_word_says_nothing_about_the_product() -> None:
    index = TargetIndex([SCOOTER, ELECTRA])
    upgraded = _features(index, Listing("L1", "Razor Electric Scooters E300 Upgraded Factory Price"))
    misspelt = _features(index, Listing("L2", "Razor Electric Scooters E300 Ugraded Facory Price"))
    assert misspelt["title_cover"] == upgraded["title_cover"] == 1.0


def test_a_misspelt_word_read_two_ways_is_one_word_of_the_title() -> None:
    # "Electrc" is one edit from Electric and from Electra: the scooter recall explains it as Electric
    index = TargetIndex([SCOOTER, ELECTRA])
    lp = listing_profile(Listing("L1", "Razor Electrc Scooters E300"))
    index.correct_tokens(lp)
    assert {"electric", "electra"} <= lp.fixed_tokens
    assert _features(index, Listing("L2", "Razor Electrc Scooters E300"))["title_cover"] == 1.0
    assert Screener([SCOOTER, ELECTRA]).screen(Listing("L3", "Razor Electrc Scooters E300"))[0].decision is (
        DecisionKind.BLOCK
    )


def test_a_misspelt_product_word_is_compared_with_the_name_as_its_correction() -> None:
    # "Scooers" read as scooters: the title is as near the recalled name as the one spelt right
    index = TargetIndex([SCOOTER, ELECTRA])
    right = _features(index, Listing("L1", "Razor Electric Scooters E300 Limited Stock"))
    misspelt = _features(index, Listing("L2", "Razor Electric Scooers E300 Limited Stock"))
    assert misspelt["name_ratio"] == right["name_ratio"] == 1.0


HOVERBOARD = Target(
    "19046",
    "CPSC",
    brand="Swagtron",
    product_name="Swagger 5 Boost Commuter Electric Scooters",
    product_type="electric scooter",
    model_numbers=["SG-5"],
    text="This recall involves Swagtron SG-5 Swagger 5 Boost Commuter electric scooters.",
)


def test_a_placeholder_brand_field_is_read_as_no_brand_not_as_another_brand() -> None:
    # "Generic" (Amazon's value for unbranded goods), "Unbranded" and "Does Not Apply" (eBay's), "N/A":
    # a seller who takes the recalled brand off says no brand, not another one; read as another brand,
    # the listing looked like the same product made by someone else and was let through
    screener = Screener([HOVERBOARD])
    title = "Swagger 5 Boost Commuter Electric Scooter SG-5"
    (bare,) = screener.screen(Listing("L0", title))
    assert bare.decision is not DecisionKind.NONE
    for i, brand in enumerate(["Generic", "Unbranded", "N/A", "Does Not Apply", "no brand"]):
        (match,) = screener.screen(Listing(f"L{i + 1}", title, brand=brand))
        assert (match.decision, match.score) == (bare.decision, bare.score), brand
        assert match.features["brand_conflict"] == 0.0
    # a real brand still is another brand, and "Generic" leading the title is a sales word, not a product word
    (other,) = screener.screen(Listing("L9", title, brand="Segway")) or [None]
    assert other is None or other.score < bare.score
    (lead,) = screener.screen(Listing("L10", f"Generic {title}", brand="Generic"))
    assert lead.score == bare.score


def test_a_market_suffix_on_the_model_number_is_the_same_model() -> None:
    # "SG-5US", "SG5-EU": the recalled scooter made for a market; read as another model (a model conflict),
    # the listing was let through. A revision mark ("SG-5V2") is not stripped: it may be the remedied one.
    screener = Screener([HOVERBOARD])
    index = TargetIndex([HOVERBOARD])
    plain = "Swagtron Swagger 5 Boost Commuter Electric Scooter {}"
    (bare,) = screener.screen(Listing("L0", plain.format("SG-5")))
    assert bare.decision is DecisionKind.BLOCK
    for code in ("SG-5US", "SG5-EU", "SG-5USA", "sg-5uk"):
        (match,) = screener.screen(Listing("L1", plain.format(code)))
        assert (match.decision, match.score) == (bare.decision, bare.score), code
        assert _features(index, Listing("L1", plain.format(code)))["model_match"] == 1.0
    revised = _features(index, Listing("L2", plain.format("SG-5V2")))
    assert revised["model_match"] == 0.0 and revised["model_conflict"] == 1.0


def test_a_synonym_of_the_recalled_product_word_is_read_as_it() -> None:
    # a British seller's "pram" or "pushchair" is the recalled "stroller": read as a word no recall
    # explains, the title lost the product type the recall names and the listing went to review or nowhere
    pram = Target(
        "21001",
        "CPSC",
        brand="Zoe",
        product_name="Zoe Tour Strollers",
        product_type="stroller",
        text="This recall involves Zoe Tour strollers sold in black and grey.",
    )
    screener = Screener([pram, SLED])
    (plain,) = screener.screen(Listing("L0", "Zoe Tour stroller Free Shipping"))
    assert plain.decision is DecisionKind.BLOCK
    for word in ("pram", "pushchair", "Prams"):
        (match,) = screener.screen(Listing("L1", f"Zoe Tour {word} Free Shipping"))
        assert match.decision is DecisionKind.BLOCK and match.score >= plain.score - 0.05, word
        assert "synonyms stroller" in match.evidence
    # the reading is one word: the title's "pram" is not also a word the recall fails to explain
    features = _features(TargetIndex([pram]), Listing("L2", "Zoe Tour pram"))
    assert features["title_cover"] == 1.0 and features["type_cover"] == 1.0
    # a British spelling is the same word
    tires = Target("21002", "CPSC", brand="Kenda", product_name="Kenda Bicycle Tires", product_type="tire")
    british = _features(TargetIndex([tires]), Listing("L3", "Kenda bicycle tyres"))
    assert british["name_cover"] == 1.0 and british["title_cover"] == 1.0


def test_words_sellers_add_to_be_found_do_not_count_against_the_recall() -> None:
    # "for Kids Adults, Lightweight Foldable, Gift for Christmas Birthday, Black": whom for, what for,
    # what colour. Counted as words the recall does not explain, they sank the title's cover and the block.
    screener = Screener([HOVERBOARD, SHOCK])
    index = TargetIndex([HOVERBOARD, SHOCK])
    plain = "Swagtron Swagger 5 Boost Commuter Electric Scooter"
    padded = f"{plain} for Kids Adults Teens, Lightweight Foldable, Gift for Christmas Birthday, Black"
    (bare,) = screener.screen(Listing("L0", plain))
    (seo,) = screener.screen(Listing("L1", padded))
    assert bare.decision is seo.decision is DecisionKind.BLOCK
    assert _features(index, Listing("L1", padded))["title_cover"] == 1.0
    # a word that tells products apart still counts against: a helmet is not the scooter
    helmet = _features(index, Listing("L2", "Swagtron Swagger 5 kids helmet gift"))
    assert helmet["title_cover"] < 0.9
    # a descriptor the recall uses counts for it ("mountain bike" words of the shock recall are not
    # descriptors; "bicycle rear shock for adults" keeps its cover from the recall's own words)
    assert _features(index, Listing("L3", "Fox Float X2 rear shock absorber black"), 1)["title_cover"] == 1.0
    # a word the listing's brand field names is its brand, not a size: it still counts against
    big = _features(index, Listing("L4", "Big Swagger 5 Boost Commuter Electric Scooter", brand="Big"))
    assert big["title_cover"] < 1.0


def test_a_quantity_on_the_title_does_not_count_against_the_recall() -> None:
    # "(2-Pack)", "Pack of 3", "12 Count": how many, not which product. Counted as a word no recall explains
    # ("pack"), or read as a misspelling of a rare recall word ("count" as the "Scout" of a scooter recall),
    # they sank the title's cover and the block went to review
    scout = Target(
        "19047", "CPSC", brand="Aqua", product_name="Aqua Scout Water Scooters", product_type="scooter"
    )
    index = TargetIndex([HOVERBOARD, scout])
    plain = "Swagtron Swagger 5 Boost Commuter Electric Scooter"
    for title in (f"{plain} (2-Pack)", f"{plain}, Pack of 3", f"{plain} 12 Count"):
        lp = listing_profile(Listing("L1", title))
        index.candidates(lp)
        assert "count" not in lp.corrections, title
        assert _features(index, Listing("L1", title))["title_cover"] == 1.0, title


def test_a_label_written_onto_the_model_number_is_read_off() -> None:
    # "No.SG-5", "SKU-SG-5", "Art.-Nr.SG-5": the seller's label glued to the code; read whole, the code was
    # another model (a model conflict) and the recalled scooter went through
    index = TargetIndex([HOVERBOARD])
    for code in ("No.SG-5", "SKU-SG-5", "Ref.SG-5", "Art.-Nr.SG-5"):
        features = _features(
            index, Listing("L1", f"Swagtron Swagger 5 Boost Commuter Electric Scooter {code}")
        )
        assert features["model_match"] == 1.0 and features["model_conflict"] == 0.0, code


def test_the_recalled_model_and_product_without_the_brand_go_to_review() -> None:
    # an unbranded copy sold under the maker's code: "adult bike helmet KY-055". The model may score a short
    # brandless title below review (0.04 among the dev recalls' helmets); the recalled code and product type
    # together are worth a review whatever the score (here an authority's strict thresholds put it below)
    helmet = Target(
        "26528",
        "CPSC",
        brand="Gudook",
        product_name="Gudook Adult Bike Helmets",
        product_type="bike helmet",
        model_numbers=["KY-055"],
    )
    strict = DecisionPolicy(default=Thresholds(block=0.99, review=0.95))
    screener = Screener([helmet, HOVERBOARD], policy=strict)
    (match,) = screener.screen(Listing("L1", "adult bike helmet KY-055"))
    assert (match.recall_number, match.decision) == ("26528", DecisionKind.REVIEW)
    assert "recalled model KY055 and product without its brand" in match.evidence
    # another brand declared, an accessory of it, the code with another product, a short code: no such review
    short = replace(helmet, recall_number="26529", model_numbers=["K55"])
    for listing, targets in (
        (Listing("L2", "adult bike helmet KY-055", brand="Segway"), [helmet]),
        (Listing("L3", "replacement visor for adult bike helmet KY-055"), [helmet]),
        (Listing("L4", "garden hose KY-055"), [helmet]),
        (Listing("L5", "adult bike helmet K55"), [short]),
    ):
        assert Screener(targets, policy=strict).screen(listing) == [], listing.title
