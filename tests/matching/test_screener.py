"""The screener's behaviour on the cases a compliance reviewer cares about."""

from __future__ import annotations

import pytest

from recallguard.domain.models import DecisionKind, Listing, Target
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
