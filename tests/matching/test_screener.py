"""The screener's behaviour on the cases a compliance reviewer cares about."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recallguard.domain.models import DecisionKind, Listing, Target
from recallguard.matching.features import FEATURES
from recallguard.matching.scorer import RuleScorer
from recallguard.matching.screen import Screener

HELMET = Target(
    "26528",
    "CPSC",
    brand="Gudook",
    product_name="Gudook Adult Bike Helmets",
    product_type="bike helmet",
    model_numbers=["KY-055"],
    text="This recall involves Gudook-branded bicycle helmets, model KY-055. The helmets were sold in blue.",
)
BOTTLE = Target(
    "26530",
    "CPSC",
    brand="Boon",
    product_name="Boon NURSH 8 oz Reusable Baby Bottles",
    product_type="baby bottle",
    gtins=["669028116546"],
    text="This recall involves Boon NURSH 8 oz Reusable Baby Bottles 3-Pack in pink tie dye.",
)
FORK = Target(
    "08368",
    "CPSC",
    brand="Cervelo",
    product_name="Wolf SL Carbon Fiber Bicycle Forks",
    product_type="bicycle fork",
    text="Cervelo recalls Wolf SL carbon fiber bicycle forks.",
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener([HELMET, BOTTLE, FORK])


def decision_for(screener: Screener, listing: Listing, recall: str) -> DecisionKind:
    for m in screener.screen(listing):
        if m.recall_number == recall:
            return m.decision
    return DecisionKind.NONE


def test_listing_with_recalled_model_is_blocked_with_evidence(screener: Screener) -> None:
    listing = Listing("L1", "Gudook Adult Bike Helmet KY-055 Blue", brand="Gudook", model="KY-055")
    matches = screener.screen(listing)
    assert matches and matches[0].recall_number == "26528"
    assert matches[0].decision is DecisionKind.BLOCK
    assert "KY055" in matches[0].evidence and "Gudook" in matches[0].evidence


def test_recalled_gtin_alone_is_found(screener: Screener) -> None:
    listing = Listing("L2", "Reusable Baby Bottle Durable", gtin="669028116546")
    assert decision_for(screener, listing, "26530") is DecisionKind.BLOCK


def test_model_number_written_with_spaces_is_still_found(screener: Screener) -> None:
    listing = Listing("L3", "Gudook bike helmet KY 055 adult")
    assert decision_for(screener, listing, "26528") is not DecisionKind.NONE


def test_same_brand_other_model_is_not_blocked(screener: Screener) -> None:
    listing = Listing("L4", "Gudook Adult Bike Helmet KY-077", brand="Gudook", model="KY-077")
    assert decision_for(screener, listing, "26528") is not DecisionKind.BLOCK


def test_accessory_for_recalled_product_is_not_blocked(screener: Screener) -> None:
    listing = Listing("L5", "Replacement Strap for Gudook Adult Bike Helmet")
    assert decision_for(screener, listing, "26528") is not DecisionKind.BLOCK


def test_misspelt_brand_is_still_found(screener: Screener) -> None:
    listing = Listing("L6", "cerevlo wolf sl carbon fiber bicycle fork", brand="Cerevlo")
    assert decision_for(screener, listing, "08368") is not DecisionKind.NONE


def test_unrelated_listing_has_no_match(screener: Screener) -> None:
    assert screener.screen(Listing("L7", "Stainless steel water bottle 750 ml", brand="Nordik")) == []


def test_other_brand_same_product_words_is_not_blocked(screener: Screener) -> None:
    listing = Listing("L8", "Velmora Adult Bike Helmet Blue", brand="Velmora")
    assert decision_for(screener, listing, "26528") is not DecisionKind.BLOCK


def test_batch_and_single_screening_agree(screener: Screener) -> None:
    listings = [
        Listing("A", "Gudook Adult Bike Helmet KY-055", brand="Gudook"),
        Listing("B", "garden hose"),
        Listing("C", "Baby bottle", gtin="669028116546"),
    ]
    batch = [
        [(m.recall_number, m.score) for m in ms] for _, ms in screener.screen_many(listings, batch_size=2)
    ]
    single = [[(m.recall_number, m.score) for m in screener.screen(x)] for x in listings]
    assert batch == single


def test_extra_checks_answer_in_the_same_call() -> None:
    from recallguard.domain.models import Match

    def bank(listing: Listing) -> list[Match]:
        if "relisted" in listing.title:
            return [Match(listing.listing_id, "26528", "CPSC", 0.99, DecisionKind.BLOCK, "re-listing of L1")]
        return []

    s = Screener([HELMET], checks=[bank])
    assert [m.evidence for m in s.screen(Listing("X", "relisted thing"))] == ["re-listing of L1"]


def test_brand_alone_never_blocks() -> None:
    sweater = Target(
        "RR10868",
        "CPSC",
        brand="Madewell",
        product_name="Madewell",
        product_type="women's sweater",
        model_numbers=["NT611"],
        text="Madewell Recalls Women's Sweaters Due to Risk of Burn Hazard",
    )
    s = Screener([sweater])
    for m in s.screen(Listing("J", "Madewell Black Hooded Ski Jacket Size M", brand="Madewell")):
        assert m.decision is not DecisionKind.BLOCK


def test_a_brand_alone_is_not_worth_a_review_unless_the_model_would_block() -> None:
    golf_car = Target(
        "RR10820", "CPSC", brand="Yamaha", product_name="UMAX Bistro Vehicles", product_type="vehicle",
        model_numbers=["J0G"], text="Yamaha Recalls UMAX Bistro and Bistro Deluxe Vehicles",
    )  # fmt: skip
    s = Screener([golf_car])
    for m in s.screen(Listing("P", "yamaha the hits of elton john smart pianosoft")):
        assert m.decision is DecisionKind.REVIEW and "nothing but the brand" in m.evidence
    assert [m.decision for m in s.screen(Listing("V", "Yamaha UMAX Bistro golf vehicle J0G"))] == [
        DecisionKind.BLOCK
    ]


def test_a_title_stuffed_with_other_brands_still_blocks_its_own_recall() -> None:
    helmets = Target(
        "22107", "CPSC", brand="Ninebot", product_name="Children's Bicycle Helmets",
        product_type="bicycle helmet", text="Ninebot Recalls Children's Bicycle Helmets Due to Head Injury",
    )  # fmt: skip
    others = [
        Target(str(n), "CPSC", brand=b, product_name=p, product_type=p)
        for n, (b, p) in enumerate(
            [("NordicTrack", "Treadmills"), ("Rollerblade", "Inline Skates"), ("Overstock.com", "Dressers"),
             ("Hill", "Ladders"), ("Semfri", "Bicycle Helmets"), ("Serious", "Scooters"),
             ("Woom", "Bicycles"), ("UVEX", "Ski Helmets")]
        )
    ]  # fmt: skip
    s = Screener([helmets, *others])
    title = "Ninebot Children's Bicycle Helmets High Quality High Serious Limited Hill Best NordicTrack Hot"
    (m,) = s.screen(Listing("S", title))  # the stuffed brands, named with nothing of their products: no match
    assert m.recall_number == "22107" and m.decision is DecisionKind.BLOCK, m
    assert "keyword stuffing: read on the title's part" in m.evidence


ELLIPTIGO_11R = Target(
    "13702", "CPSC", brand="ElliptiGO", product_name="ElliptiGO 11R outdoor elliptical cycles",
    product_type="outdoor elliptical cycle",
    text="This recall involves ElliptiGO 11R outdoor elliptical cycles.",
)  # fmt: skip
ELLIPTIGO = Target(
    "14027", "CPSC", brand="ElliptiGO", product_name="ElliptiGO outdoor elliptical cycles",
    product_type="outdoor elliptical cycle", text="This recall involves ElliptiGO outdoor elliptical cycles.",
)  # fmt: skip


def test_only_the_recall_that_fits_best_is_blocked_a_close_sibling_goes_to_review() -> None:
    # the transparent rule scorer, so the two scores are known to differ only by the better-covered name
    s = Screener([ELLIPTIGO_11R, ELLIPTIGO], scorer=RuleScorer())
    got = {m.recall_number: m for m in s.screen(Listing("E", "ElliptiGO 11R outdoor elliptical cycle"))}
    assert got["13702"].decision is DecisionKind.BLOCK
    assert got["14027"].decision is DecisionKind.REVIEW  # the listing is kept from buyers either way
    assert "another recall of this authority fits it better" in got["14027"].evidence


def test_recalls_nothing_tells_apart_are_all_blocked() -> None:
    twin = replace(ELLIPTIGO, recall_number="14028")
    s = Screener([ELLIPTIGO, twin], scorer=RuleScorer())
    got = {m.recall_number: m.decision for m in s.screen(Listing("E", "ElliptiGO outdoor elliptical cycles"))}
    assert got == {"14027": DecisionKind.BLOCK, "14028": DecisionKind.BLOCK}


def test_a_declared_model_outside_the_recalled_range_is_a_conflict_though_its_parts_coincide() -> None:
    sofas = Target(
        "26513", "CPSC", brand="Talan", product_name="Loveseats", product_type="loveseat",
        model_numbers=["JF1126-5PHL", "JF1155-5PHL"],
        text="This recall involves Talan loveseats, models JF1126-5PHL and JF1155-5PHL.",
    )  # fmt: skip
    s = Screener([sofas])
    other = Listing("O", "Talan Loveseat Recliner JF4426-5PHL", brand="Talan", model="JF4426-5PHL")
    rows, _ = s.candidate_pairs([other])
    assert rows and rows[0][FEATURES.index("model_conflict")] == 1.0  # '5PHL' is shared, the model is not
    assert decision_for(s, other, "26513") is not DecisionKind.BLOCK
    recalled = Listing("R", "Talan Loveseat JF1126-5PHL", brand="Talan", model="JF1126-5PHL")
    rows, _ = s.candidate_pairs([recalled])
    assert rows[0][FEATURES.index("model_conflict")] == 0.0 and rows[0][FEATURES.index("model_match")] == 1.0
